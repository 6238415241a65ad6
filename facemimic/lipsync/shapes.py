"""Timed phones -> Rhubarb mouth shapes (A–H, X) with animation rules.

The rules follow Rhubarb Lip Sync's animation layer (spec §1.5) where it helps the picture, but
pick each phone's *canonical* shape (the README's description: P/B/M -> A, EE -> B, AA -> D …)
instead of Rhubarb's "closest to the previous shape", which is what makes Rhubarb's output lag
its own phones. Steps, all on a 10 ms (centisecond) grid:

1. phones -> shapes (diphthongs split 60/40, HH takes the next sound's shape);
2. pauses: short ones hold the previous shape, medium ones relax it, longer ones rest (X);
3. anticipation: the mouth starts moving out of rest a little before the sound;
4. minimum durations: shapes shorter than ``min_duration`` are merged into a neighbour, but lip
   closures (A) are kept and stretched to ``min_closure`` — missed closures are the most visible
   lip-sync error;
5. tweens: D -> A/X/B pass through C, C/D -> F through E ("pop open, close slowly");
5b. optionally Rhubarb's "avoid static segments": a shape held >= 75 cs across >= 3 syllables
   gets its middle vowel changed (B -> C, C -> B, …) so the mouth does not freeze;
6. shapes outside ``--extended-shapes`` become their basic shape (G->A, H->C, X->A).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from .phonemes import NOISE, SILENCE, Phone

BASIC_SHAPES = "ABCDEF"
EXTENDED_SHAPES = "GHX"
ALL_SHAPES = "ABCDEFGHX"
BASIC_OF = {"G": "A", "H": "C", "X": "A"}
RELAX = {"C": "B", "D": "C", "E": "C", "F": "B", "G": "X", "H": "B", "A": "X", "B": "B", "X": "X"}
# Canonical shape per phone (spec §4 table); diphthongs listed separately.
PHONE_SHAPE: dict[str, str] = {
    "P": "A", "B": "A", "M": "A",
    **{p: "B" for p in ("T", "D", "K", "G", "S", "Z", "SH", "ZH", "CH", "JH", "TH", "DH", "N", "NG",
                        "R", "Y", "IY", "IH")},
    "EH": "C", "AE": "C", "AH": "C", "AA": "D", "AO": "E", "ER": "E", "UW": "F", "UH": "F", "W": "F",
    "F": "G", "V": "G", "L": "H", SILENCE: "X", NOISE: "B",
}
DIPHTHONG_SHAPES = {"EY": "CB", "AY": "DB", "OW": "EF", "AW": "DE", "OY": "EB"}
# In-betweens: (from, to) -> (tween shape, position: 'early' | 'centre' | 'late')
TWEENS = {("D", "A"): ("C", "early"), ("D", "G"): ("C", "early"), ("D", "B"): ("C", "centre"),
          ("D", "X"): ("C", "late"), ("C", "F"): ("E", "centre"), ("F", "C"): ("E", "centre"),
          ("D", "F"): ("E", "centre"), ("H", "F"): ("E", "late"), ("F", "H"): ("E", "early")}


@dataclass(frozen=True, slots=True)
class MouthCue:
    """One mouth shape held from ``start`` to ``end`` (seconds, centisecond grid)."""

    start: float
    end: float
    shape: str  # one of A-H, X

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class AnimationOptions:
    """Rules that turn phones into mouth shapes."""

    extended_shapes: str = "GHX"  # which of G, H, X may appear (Rhubarb's --extendedShapes)
    # Defaults were chosen on the evaluation set (docs/lipsync.md): Rhubarb's own values (7 cs
    # minimum, 12/35 cs pauses, 20 cs anticipation, tweens) cost 5-8 points of macro recall, and
    # FaceMimic's smooth curves already blend and anticipate, so cues stay close to the phones.
    min_duration: float = 0.03  # s: shorter shapes are merged into a neighbour (flicker)
    min_closure: float = 0.05  # s: every P/B/M closure (A) lasts at least this long
    anticipation: float = 0.0  # s: the mouth leaves rest this much before the first sound
    hold_pause: float = 0.05  # s: shorter pauses keep the previous shape
    relax_pause: float = 0.05  # s: pauses up to this relax the mouth, longer ones rest (X);
    # Rhubarb relaxes up to 35 cs, but resting from 5 cs on showed 15 points more of the
    # bilabial closures on the espeak set at no cost elsewhere (docs/lipsync.md)
    tweens: bool = False  # insert in-between shapes (D->C->A …), as Rhubarb does
    avoid_static: bool = True  # break shapes held >= static_duration over >= 3 syllables (Rhubarb)
    static_duration: float = 0.75  # s: Rhubarb's 75 cs

    def __post_init__(self) -> None:
        ext = self.extended_shapes.upper()
        if any(c not in EXTENDED_SHAPES for c in ext):
            raise ParameterError(f"extended shapes must be letters from 'GHX', got {self.extended_shapes!r}")
        object.__setattr__(self, "extended_shapes", "".join(c for c in EXTENDED_SHAPES if c in ext))
        for name in ("min_duration", "min_closure", "anticipation", "hold_pause", "relax_pause",
                     "static_duration"):
            v = getattr(self, name)
            if not 0 <= v <= 1.0:
                raise ParameterError(f"{name} must be 0..1 s, got {v!r}")
        if self.hold_pause > self.relax_pause:
            raise ParameterError("hold_pause must not exceed relax_pause")


def _cs(t: float) -> int:
    return int(round(t * 100))


def phone_segments(phones: list[Phone]) -> list[list]:
    """[start_cs, end_cs, shape, is_pause] per phone (diphthongs split)."""
    segs: list[list] = []
    for i, p in enumerate(phones):
        a, b = _cs(p.start), _cs(p.end)
        if b <= a:
            continue
        name = p.name
        if name == "HH":
            j = i + 1
            while j < len(phones) and phones[j].name == "HH":
                j += 1
            name = phones[j].name if j < len(phones) else SILENCE
            if name == SILENCE:
                name = "AH"  # a lone "h" breath: slightly open
        if name in DIPHTHONG_SHAPES:
            s1, s2 = DIPHTHONG_SHAPES[name]
            cut = a + max(1, int(round(0.6 * (b - a))))
            segs.append([a, cut, s1, False])
            if b > cut:
                segs.append([cut, b, s2, False])
            continue
        shape = PHONE_SHAPE.get(name, "B")
        segs.append([a, b, shape, name == SILENCE])
    return segs


# The alternative shape a vowel takes to break a static segment: the neighbouring opening
# (Rhubarb's example is B -> C on a vowel).
STATIC_ALTERNATIVE = {"B": "C", "C": "B", "D": "C", "E": "C", "F": "E", "G": "B", "H": "C"}
MIN_STATIC_SYLLABLES = 3


def _avoid_static(segs: list[list], phones: list[Phone], total: int, min_len: int) -> list[list]:
    """Rhubarb's staticSegments rule: split shapes held >= ``min_len`` cs over >= 3 syllables.

    The vowel nearest the middle of such a run takes :data:`STATIC_ALTERNATIVE` of the shape;
    repeated until no run qualifies (each split at least halves a run, so this ends).
    """
    import numpy as np

    from .phonemes import VOWELS

    syl = np.full(total, -1)
    for k, p in enumerate(phones):
        if p.name in VOWELS:
            syl[max(_cs(p.start), 0):min(_cs(p.end), total)] = k
    for _ in range(4 * len(segs) + 4):
        hit = None
        for i, (a, b, shape, _) in enumerate(segs):
            if shape in STATIC_ALTERNATIVE and b - a >= min_len:
                ids = [k for k in np.unique(syl[a:b]) if k >= 0]
                if len(ids) >= MIN_STATIC_SYLLABLES:
                    hit = (i, ids)
                    break
        if hit is None:
            break
        i, ids = hit
        a, b, shape, pause = segs[i]
        mid = (a + b) / 2
        k = min(ids[1:-1] or ids, key=lambda k: abs((_cs(phones[k].start) + _cs(phones[k].end)) / 2 - mid))
        va, vb = max(_cs(phones[k].start), a), min(_cs(phones[k].end), b)
        if vb <= va:
            break
        new = [[a, va, shape, pause], [va, vb, STATIC_ALTERNATIVE[shape], False], [vb, b, shape, pause]]
        segs = _merge_equal(segs[:i] + [s for s in new if s[1] > s[0]] + segs[i + 1:])
    return segs


def _merge_equal(segs: list[list]) -> list[list]:
    out: list[list] = []
    for s in segs:
        if s[1] <= s[0]:
            continue
        if out and out[-1][2] == s[2] and out[-1][3] == s[3]:
            out[-1][1] = s[1]
        else:
            out.append(list(s))
    return out


def animate(phones: list[Phone], duration: float, options: AnimationOptions | None = None) -> list[MouthCue]:
    """Mouth cues covering ``[0, duration]`` for timed phones.

    Parameters
    ----------
    phones : list of Phone
        Timed phones (any order; gaps are silence).
    duration : float
        Length of the audio in seconds; the last cue ends here.

    Returns
    -------
    list of MouthCue
        Contiguous cues on a centisecond grid, the first at 0, equal neighbours merged.
    """
    opt = options or AnimationOptions()
    total = max(_cs(duration), 1)
    segs = [s for s in phone_segments(sorted(phones, key=lambda p: p.start)) if s[0] < total]
    # fill holes with pauses and clip to the file
    filled: list[list] = []
    t = 0
    for a, b, shape, pause in segs:
        a, b = max(a, t), min(b, total)
        if b <= a:
            continue
        if a > t:
            filled.append([t, a, "X", True])
        filled.append([a, b, shape, pause])
        t = b
    if t < total:
        filled.append([t, total, "X", True])
    segs = _merge_equal(filled)

    # 2. pauses
    hold, relax = _cs(opt.hold_pause), _cs(opt.relax_pause)
    for i, s in enumerate(segs):
        if not s[3]:
            continue
        inside = 0 < i < len(segs) - 1
        n = s[1] - s[0]
        if not inside or n > relax:
            s[2] = "X"
        elif n < hold:
            s[2] = segs[i - 1][2]
        else:
            r = RELAX.get(segs[i - 1][2], "B")
            nxt = segs[i + 1][2]
            s[2] = r if r != nxt else ("X" if r != "X" else "B")
        s[3] = False
    segs = _merge_equal(segs)

    # 3. anticipation: leave rest early
    ant = _cs(opt.anticipation)
    for i in range(1, len(segs)):
        if segs[i - 1][2] == "X" and segs[i][2] != "X" and ant:
            room = segs[i - 1][1] - segs[i - 1][0]
            shift = min(ant, room - 1) if i - 1 > 0 else min(ant, room)
            if shift > 0:
                segs[i - 1][1] -= shift
                segs[i][0] -= shift
    segs = _merge_equal(segs)

    # 4. minimum durations (closures stretched, other short shapes merged away)
    min_d, min_a = max(_cs(opt.min_duration), 1), max(_cs(opt.min_closure), 1)
    for s_i in range(len(segs)):
        s = segs[s_i]
        if s[2] == "A" and s[1] - s[0] < min_a:
            need = min_a - (s[1] - s[0])
            left = segs[s_i - 1] if s_i > 0 else None
            right = segs[s_i + 1] if s_i + 1 < len(segs) else None
            take_l = min(need // 2 + need % 2, (left[1] - left[0] - 1) if left else 0)
            take_r = min(need - take_l, (right[1] - right[0] - 1) if right else 0)
            if left and take_l > 0:
                left[1] -= take_l
                s[0] -= take_l
            if right and take_r > 0:
                right[0] += take_r
                s[1] += take_r
    segs = _merge_equal(segs)
    changed = True
    while changed and len(segs) > 1:
        changed = False
        order = sorted(range(len(segs)), key=lambda k: segs[k][1] - segs[k][0])
        for k in order:
            s = segs[k]
            n = s[1] - s[0]
            if n >= min_d:
                break
            if s[2] in "AX" and n >= min(min_a, min_d):
                continue
            if s[2] == "A":
                continue  # a closure that could not be stretched still shows
            left = segs[k - 1] if k > 0 else None
            right = segs[k + 1] if k + 1 < len(segs) else None
            # merge into the neighbour that is open the most alike; prefer D over C (Rhubarb)
            if left is None or (right is not None and (
                    (right[2] == "D" and s[2] == "C") or (right[1] - right[0]) > (left[1] - left[0])
                    and not (left[2] == "D" and s[2] == "C"))):
                if right[2] == "A":
                    left = left or right
                    if left is right:
                        continue
                    left[1] = s[1]
                else:
                    right[0] = s[0]
            else:
                if left[2] == "A" and right is not None and right[2] != "A":
                    right[0] = s[0]
                else:
                    left[1] = s[1]
            s[1] = s[0]
            segs = _merge_equal(segs)
            changed = True
            break

    # 5. tweens
    if opt.tweens:
        out: list[list] = []
        for i, s in enumerate(segs):
            out.append(s)
            if i + 1 >= len(segs):
                break
            nxt = segs[i + 1]
            tw = TWEENS.get((s[2], nxt[2]))
            if tw is None:
                continue
            shape, where = tw
            n_tw = 5
            avail = s[1] - s[0]
            avail_next = nxt[1] - nxt[0]
            if where == "early" or where == "centre":
                if avail >= n_tw + min_d:
                    s[1] -= n_tw
                    out.append([s[1], s[1] + n_tw, shape, False])
            else:  # late: taken from the next segment (a long X after D)
                if avail_next >= n_tw + min_d:
                    nxt[0] += n_tw
                    out.append([nxt[0] - n_tw, nxt[0], shape, False])
        segs = _merge_equal(out)

    # 5b. avoid static segments
    if opt.avoid_static:
        segs = _avoid_static(segs, phones, total, _cs(opt.static_duration))

    # 6. allowed shape set
    allowed = BASIC_SHAPES + opt.extended_shapes
    cues = []
    for a, b, shape, _ in segs:
        if shape not in allowed:
            shape = BASIC_OF[shape]
        cues.append([a, b, shape])
    merged: list[list] = []
    for c in cues:
        if merged and merged[-1][2] == c[2]:
            merged[-1][1] = c[1]
        else:
            merged.append(c)
    return [MouthCue(a / 100, b / 100, s) for a, b, s in merged]
