"""The render path's shortcuts (taken for the closed loop's speed: docs/journal/animate.md, the eighth
session's "render path draws the same bytes") draw exactly what the plain computations draw, on real
faces and real expressions:

* the crease painter's per-stroke boxes, only the creases a frame asks for, and the blend limited
  to where something was drawn == a reference that draws every stroke over the whole face's box
  (the code before the shortcuts, kept here), to the byte, shading and undoing;
* the warp's closed-form barycentric maps == ``np.linalg.inv`` of each moved triangle;
* the fold projection's axis-at-a-time arithmetic == the stacked reference, to the bit;
* a render scratch that reuses its eye patch (same gaze twice) == a fresh scratch, also after
  another gaze and after no gaze at all;
* the calibrated response curves, all controls at once == ``np.interp`` control by control.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facemimic.animate.portrait import creases as C
from facemimic.animate.portrait import folds as F
from facemimic.animate.portrait.animator import FramePlan, PortraitAnimator, PortraitOptions
from facemimic.animate.portrait.model import drive_vector
from facemimic.animate.portrait.warp import _barycentric
from facemimic.generate.api import express

EMOTIONS = ("happy", "angry", "sad", "disgusted", "surprised")


# -- reference: the crease painter as it was before the shortcuts (whole box, every stroke) ---------
def _ref_shade(p: C.CreasePainter, out, lines, spots, cw) -> float:
    lines = [st for st in lines if cw[st.crease, st.side] >= C.MIN_WEIGHT]
    spots = [sp for sp in spots if cw[C.CREASES.index("cheek_bulge"), sp[2]] >= C.MIN_WEIGHT]
    if not lines and not spots:
        return 0.0
    allp = np.concatenate([st.points for st in lines] + [sp[0][None] for sp in spots])
    pad = int(np.ceil(max([st.width for st in lines] + [sp[1] for sp in spots]) * 2 + 3))
    box = C._padded_box(allp, pad, out.shape)
    if box is None:
        return 0.0
    x0, y0, x1, y1 = box
    o = np.array([x0, y0], np.float64)
    dark = np.zeros((y1 - y0, x1 - x0), np.float32)
    masks = {}
    for st in lines:
        a = cw[st.crease, st.side] * C.DEPTH[C.CREASES[st.crease]] * st.strength
        thick = max(int(round(st.width)), 1)
        m = masks.setdefault(thick, np.zeros(dark.shape, np.uint8))
        q = np.round((st.points - o) * 16).astype(np.int32)
        v = int(round(255 * a))
        if v <= 0:
            continue
        if len(q) > 3:
            cv2.polylines(m, [q[1:-1]], False, v, thick, cv2.LINE_AA, 4)
            for e0, e1 in ((q[0], q[1]), (q[-2], q[-1])):
                cv2.line(m, tuple(map(int, e0)), tuple(map(int, e1)), v // 2, thick, cv2.LINE_AA, 4)
        else:
            cv2.polylines(m, [q], False, v, thick, cv2.LINE_AA, 4)
    for thick, m in masks.items():
        mf = cv2.GaussianBlur(m, (0, 0), max(C.MIN_SIGMA_PX, 0.5 * thick * C.SOFTNESS)).astype(np.float32) / 255.0
        np.maximum(dark, mf, out=dark)
    light = None
    if spots:
        light = np.zeros_like(dark)
        for centre, rad, side in spots:
            a = cw[C.CREASES.index("cheek_bulge"), side] * C.DEPTH["cheek_bulge"]
            c = centre - o
            bx0, by0 = max(int(c[0] - 3.5 * rad), 0), max(int(c[1] - 3.5 * rad), 0)
            bx1, by1 = min(int(c[0] + 3.5 * rad) + 1, dark.shape[1]), min(int(c[1] + 3.5 * rad) + 1, dark.shape[0])
            if bx1 <= bx0 or by1 <= by0:
                continue
            yy, xx = np.ogrid[by0:by1, bx0:bx1]
            g = np.exp(-(((xx - c[0]) ** 2) + ((yy - c[1]) * 1.3) ** 2) / (2 * rad * rad)).astype(np.float32)
            np.maximum(light[by0:by1, bx0:bx1], g * a, out=light[by0:by1, bx0:bx1])
    roi = out[y0:y1, x0:x1, :3].astype(np.float32)
    # the fold: the pixel's brightness in the skin's shadow hue (SHADOW_HUE of the way at full
    # depth), darkened as deep as the skin's shadow, never lighter than the pixel
    a = dark[..., None]
    hued = roi + (roi.mean(axis=2, keepdims=True) * p.shadow_hue - roi) * (a * C.SHADOW_HUE)
    res = np.minimum(hued * (1.0 - a * (1.0 - p.shadow_depth)), roi)
    if light is not None:
        res = res * (1.0 + light[..., None] * (p.light / p.skin - 1.0))
    out[y0:y1, x0:x1, :3] = np.clip(res + 0.5, 0, 255).astype(np.uint8)
    return float(cw.max())


def _ref_undo(p: C.CreasePainter, out, points, lines, spots, uw) -> float:
    """CreasePainter._undo as it was (every stroke drawn and blurred over the whole box)."""
    L = C.L
    P = np.asarray(points, np.float64)[:, :2]
    S = max(float(np.linalg.norm(P[473] - P[468])), 4.0)
    bulge = C.CREASES.index("cheek_bulge")
    lines = [st for st in lines if st.crease != bulge and uw[st.crease, st.side] >= C.MIN_WEIGHT]
    spots = [sp for sp in spots if uw[bulge, sp[2]] >= C.MIN_WEIGHT]
    if not lines and not spots:
        return 0.0
    k = max(int(round(C.UNDO_KERNEL * S)) | 1, 3)
    pad = int(np.ceil(max([st.width * C.UNDO_WIDTH for st in lines] + [sp[1] * 3.5 for sp in spots]) + k + 3))
    allp = np.concatenate([st.points for st in lines] + [sp[0][None] for sp in spots])
    box = C._padded_box(allp, pad, out.shape)
    if box is None:
        return 0.0
    x0, y0, x1, y1 = box
    o = np.array([x0, y0], np.float64)
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    for st in lines:
        a = uw[st.crease, st.side] * C.UNDO_DEPTH * st.strength
        thick = max(int(round(st.width * C.UNDO_WIDTH)), 1)
        m = np.zeros(mask.shape, np.uint8)
        cv2.polylines(m, [np.round((st.points - o) * 16).astype(np.int32)], False, 255, thick, cv2.LINE_AA, 4)
        mf = cv2.GaussianBlur(m, (0, 0), max(0.7, 0.25 * thick)).astype(np.float32) * (a / 255.0)
        np.maximum(mask, mf, out=mask)
    keep = np.zeros(mask.shape, np.uint8)
    polys = [np.concatenate([P[list(L.EYE_UPPER[s])], P[list(L.EYE_LOWER[s])][::-1]]) for s in C.SIDES]
    polys += [np.concatenate([P[list(L.BROW_UPPER[s])], P[list(L.BROW_LOWER[s])][::-1]]) for s in C.SIDES]
    polys.append(np.concatenate([P[list(L.LIP_OUTER_UPPER)], P[list(L.LIP_OUTER_LOWER)][::-1]]))
    cv2.fillPoly(keep, [np.round((q - o) * 16).astype(np.int32) for q in polys], 1, cv2.LINE_AA, 4)
    for s in C.SIDES:
        for c, r in ((0.5 * (P[L.NOSE_ALA[s]] + P[L.SUBNASALE]), 0.1), (P[L.NOSE_ALA[s]], 0.07)):
            cv2.circle(keep, tuple(int(v) for v in np.round((c - o) * 16)), int(r * S * 16), 1, -1, cv2.LINE_AA, 4)
    margin = max(int(round(2 * C.UNDO_KEEP * S)) | 1, 3)
    keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin)))
    free = 1.0 - np.clip(cv2.GaussianBlur(keep.astype(np.float32), (0, 0), max(0.5, 0.25 * margin)) * 2.0, 0.0, 1.0)
    mask *= free
    roi = out[y0:y1, x0:x1, :3]
    lifted = cv2.morphologyEx(roi, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    res = roi.astype(np.float32)
    res += (lifted.astype(np.float32) - res) * mask[..., None]
    for centre, rad, side in spots:
        a = uw[bulge, side] * C.DEPTH["cheek_bulge"]
        c = centre - o
        yy, xx = np.ogrid[0:res.shape[0], 0:res.shape[1]]
        g = np.exp(-(((xx - c[0]) ** 2) + ((yy - c[1]) * 1.3) ** 2) / (2 * rad * rad)).astype(np.float32)
        res /= 1.0 + (g * a * free)[..., None] * (p.light / p.skin - 1.0)
    out[y0:y1, x0:x1, :3] = np.clip(res + 0.5, 0, 255).astype(np.uint8)
    return float(max([uw[st.crease, st.side] for st in lines] + [uw[bulge, sp[2]] for sp in spots]))


def _ref_paint(p: C.CreasePainter, out, points, weights) -> float:
    """CreasePainter.paint as it was: every stroke built, lifted and shaded over the whole box."""
    cw = C.crease_weights(weights, p.rest)
    uw = C.crease_weights(p.rest, weights) if p.rest is not None else np.zeros_like(cw)
    if float(max(cw.max(), uw.max())) < C.MIN_WEIGHT:
        return 0.0
    lines, spots = C.strokes(points, brows=p.brows)
    # the photo's own creases are lifted at their full length (no glabellar reach)
    full = C.strokes(points, reach=False)[0]
    undone = _ref_undo(p, out, points, full, spots, uw) if float(uw.max()) >= C.MIN_WEIGHT else 0.0
    if float(cw.max()) < C.MIN_WEIGHT:
        return undone
    return max(_ref_shade(p, out, lines, spots, cw), undone)


@pytest.fixture(scope="module")
def frames():
    """The generator's expressions of five emotions (UE weights (88,) each), seed 0."""
    return {e: np.nan_to_num(express(e, intensity=1.0, seed=0)[0].weights) for e in EMOTIONS}


def _moved(anim, w, scale: float = 1.0):
    """The landmarks a frame with UE weights ``w`` draws (the render path's target, (478, 2)) and
    their fold-free motion."""
    drive = drive_vector(np.asarray(w, np.float32) * scale, (1.0, 1.0))
    motion = np.tensordot(anim.model.controls(drive), anim.model.basis, axes=1) + anim._rest_overlap
    motion = anim.warp.fold_free(motion)
    return anim.points + motion, motion


@pytest.mark.parametrize("photo,rest", [("single_face.jpg", "source"), ("0-f15-hao-ph.jpg", "neutral")])
def test_crease_painting_equals_the_whole_box_reference(samples, frames, photo, rest):
    anim = PortraitAnimator(samples / photo, PortraitOptions(size=512, crop="face", rest=rest, calibrate=False))
    touched = 0
    for w in [np.zeros(88, np.float32)] + list(frames.values()):
        P, motion = _moved(anim, w)
        base = anim.warp.apply(anim.image, motion)
        fast, ref = base.copy(), base.copy()
        got = anim.creases.paint(fast, P, w)
        want = _ref_paint(anim.creases, ref, P, w)
        assert got == want
        assert np.array_equal(fast, ref), f"{photo}: max diff {np.abs(fast.astype(int) - ref).max()}"
        touched += bool(np.any(fast != base))
    assert touched >= 4  # the emotions did shade (or lift) creases


def test_the_closed_form_barycentric_maps_equal_the_matrix_inverse(samples, frames):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    W = anim.warp
    for w in frames.values():
        _, motion = _moved(anim, w)
        tri = (W.vertices + W.vertex_motion(motion))[W.triangles]
        inv, flat = _barycentric(tri)
        t_h = np.concatenate([tri, np.ones((len(tri), 3, 1))], 2)
        det = np.linalg.det(t_h)
        assert np.array_equal(flat, np.abs(det) < 0.5)
        ok = ~flat
        assert np.allclose(inv[ok], np.linalg.inv(t_h[ok]), rtol=1e-9, atol=1e-9)
        assert np.array_equal(inv[flat], np.broadcast_to(np.eye(3), (int(flat.sum()), 3, 3)))
    # a triangle squeezed to a line has no inverse: flagged, the identity
    inv, flat = _barycentric(np.array([[[0.0, 0.0], [10.0, 0.0], [20.0, 0.01]]]))
    assert flat[0] and np.array_equal(inv[0], np.eye(3))


def _ref_project(src, P, ia, ib, ic, o, floor, w, fold, follow, rounds):
    """folds._project as it was (stacked gradients), for comparison."""
    def oriented(P):
        a, b, c = P[ia], P[ib], P[ic]
        return o * 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))

    n = len(P)
    goal = floor + 0.05 * np.abs(floor) + 1e-3
    area = oriented(P)
    for _ in range(rounds):
        bad = np.flatnonzero(area < floor)
        if len(bad) == 0:
            break
        a, b, c = P[ia[bad]], P[ib[bad]], P[ic[bad]]
        ob = 0.5 * o[bad, None]
        ga = ob * np.stack([b[:, 1] - c[:, 1], c[:, 0] - b[:, 0]], 1)
        gb = ob * np.stack([c[:, 1] - a[:, 1], a[:, 0] - c[:, 0]], 1)
        gc = ob * np.stack([a[:, 1] - b[:, 1], b[:, 0] - a[:, 0]], 1)
        wa, wb, wc = w[ia[bad]], w[ib[bad]], w[ic[bad]]
        denom = wa * (ga ** 2).sum(1) + wb * (gb ** 2).sum(1) + wc * (gc ** 2).sum(1)
        lam = (goal[bad] - area[bad]) / np.maximum(denom, 1e-9)
        idx = np.concatenate([ia[bad], ib[bad], ic[bad]])
        step = np.concatenate([(lam * wa)[:, None] * ga, (lam * wb)[:, None] * gb, (lam * wc)[:, None] * gc])
        k = F.OVER_RELAX / np.maximum(np.bincount(idx, minlength=n), 1)
        P[:, 0] += np.bincount(idx, step[:, 0], minlength=n) * k
        P[:, 1] += np.bincount(idx, step[:, 1], minlength=n) * k
        if follow is not None:
            follow(P)
        area = oriented(P)
    return P


def test_the_fold_projection_equals_the_stacked_reference(samples, frames, monkeypatch):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    W = anim.warp
    projected = 0
    for w in frames.values():
        drive = drive_vector(np.asarray(w, np.float32) * 1.6, (1.0, 1.0))  # past the apex: folds to undo
        motion = np.tensordot(anim.model.controls(drive), anim.model.basis, axes=1)
        calls = []
        real = F._project

        def counting(*a):
            calls.append(1)
            return real(*a)

        monkeypatch.setattr(F, "_project", counting)
        fast = np.asarray(W.fold_free(motion))
        monkeypatch.setattr(F, "_project", _ref_project)
        ref = np.asarray(W.fold_free(motion))
        monkeypatch.setattr(F, "_project", real)
        assert np.array_equal(fast, ref)
        projected += bool(calls)
    assert projected >= 2  # the projection did run


def test_a_reused_eye_patch_equals_a_fresh_one(samples):
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    w = np.zeros(88, np.float32)
    drive = drive_vector(w, (1.0, 1.0))
    gazes = [np.array([[0.4, 0.1], [0.4, 0.1]]), np.array([[0.4, 0.1], [0.4, 0.1]]), np.array([[-0.3, -0.2], [-0.3, -0.2]]),
             np.zeros((2, 2)), np.array([[0.4, 0.1], [0.4, 0.1]]), np.zeros((2, 2))]
    kept = anim.new_scratch()
    for g in gazes:
        plan = FramePlan(drive, w, g, np.zeros(3))
        again = anim.draw(plan, scratch=kept)
        fresh = anim.draw(plan, scratch=anim.new_scratch())
        assert np.array_equal(again, fresh)
    moved = anim.draw(FramePlan(drive, w, gazes[0], np.zeros(3)))
    assert np.any(moved != anim.image)  # the gaze did move the irises


def test_the_response_curves_equal_np_interp_control_by_control(samples):
    """The calibrated curves map all controls at once with np.interp's own arithmetic."""
    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256))  # calibrated curves
    curves = anim.model.curves
    rng = np.random.default_rng(0)
    for i in range(300):
        c = rng.uniform(-1.6, 1.6, curves.values.shape[0]).astype(np.float32)
        if i % 3 == 0:  # exactly on knots, and beyond both ends
            c[rng.integers(0, len(c), 6)] = curves.knots[rng.integers(0, len(curves.knots), 6)]
        want = np.array([np.interp(v, curves.knots, curves.values[k]) for k, v in enumerate(c)], np.float32)
        over = c > curves.knots[-1]
        want[over] += (c[over] - curves.knots[-1]) * (curves.values[over, -1] - curves.values[over, -2]) / (
            curves.knots[-1] - curves.knots[-2])
        assert np.array_equal(curves(c), want)
    assert not np.allclose(curves.values, np.tile(curves.knots, (len(curves.values), 1)))  # calibrated, not identity


def test_creases_drawn_beside_the_warp_equal_creases_drawn_after_it(samples, frames):
    """The animator's own render prepares the crease masks and the mouth's interior on a helper
    thread while it warps (``CreasePainter.layer`` / ``MouthPainter.layer``, finished by ``apply``);
    a render with its own buffers does it in line. Both are the same frame, the undo of a neutral
    rest and an open mouth included."""
    anim = PortraitAnimator(samples / "0-f15-hao-ph.jpg", PortraitOptions(size=256, crop="face", rest="neutral",
                                                                          calibrate=False))
    interiors = 0
    try:
        for w in [np.zeros(88, np.float32)] + list(frames.values()):
            plan = FramePlan(drive_vector(np.asarray(w, np.float32), (1.0, 1.0)), w, np.zeros((2, 2)), np.zeros(3))
            beside = anim.draw(plan)  # the animator's own scratch: the helper thread
            inline = anim.draw(plan, scratch=anim.new_scratch())
            assert np.array_equal(beside, inline)
            P, _ = _moved(anim, w)
            interiors += anim.mouth.layer(P, anim.image.shape) is not None
            assert anim._helper.running
            img = anim.warp.apply(anim.image, np.zeros((478, 2)))
            assert anim.creases.paint(img, anim.points, w) == anim.creases.apply(
                img2 := anim.image.copy(), anim.creases.layer(anim.points, w, anim.image.shape))
            assert np.array_equal(img, img2)
    finally:
        anim.close()
    assert not anim._helper.running  # close() stops the helper
    assert interiors >= 1  # some emotion opened the mouth: its interior went through the helper too


def test_a_forked_child_renders_with_its_own_helper(samples):
    """The helper thread does not survive a fork; a child process's render must not wait on it."""
    import multiprocessing as mp

    from facemimic.expressions.names import ue_index

    anim = PortraitAnimator(samples / "single_face.jpg", PortraitOptions(size=256, calibrate=False))
    w = np.zeros(88, np.float32)
    w[ue_index("MouthCornerPullLeft")] = w[ue_index("MouthCornerPullRight")] = 0.8  # a smile: creases drawn
    plan = FramePlan(drive_vector(w, (1.0, 1.0)), w, np.zeros((2, 2)), np.zeros(3))
    here = anim.draw(plan)  # the parent's helper exists now
    assert anim._helper.running
    _CHILD.update(anim=anim, plan=plan)
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_draw_in_child, args=(child,), daemon=True)
    proc.start()
    try:
        assert parent.poll(60), "the child's render never finished"
        there = parent.recv()
    finally:
        proc.join(10)
        if proc.is_alive():  # a child stuck waiting on a helper that does not exist: not left behind
            proc.kill()
            proc.join(10)
        _CHILD.clear()
        anim.close()
    assert np.array_equal(here, there)
    assert np.any(here != anim.image)


_CHILD: dict = {}


def _draw_in_child(conn) -> None:
    conn.send(_CHILD["anim"].draw(_CHILD["plan"]))
    conn.close()
