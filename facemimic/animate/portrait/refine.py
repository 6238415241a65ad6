"""Closed-loop refinement: every rendered frame re-tracked and measured in the unit.

Calibration fits one response curve per control group on a still face; in a clip the groups act
together (a smile lifts the cheeks under the eyes, the jaw pulls the mouth corners down with it),
so the re-tracked extents drift from the request. With refinement on, each frame is rendered,
re-tracked by the capture stage in IMAGE mode, its landmarks are measured with
:func:`facemimic.expressions.geometry.measure` against the re-tracked photo (the rest), and the
drive of the measured channels (the inner-lip gap, mouth-corner pull, eye closure, inner
brow raise and brow lowering, frown, stretch, upper-lip raise, press, cheek squint, nose sneer,
outer brow raise, brow pinch, eye widening and squint, per side) is corrected by the error in
weight units (measure / full extent) before the final render:

    corr <- clip(corr + GAIN * (target - reading), -LIMIT, LIMIT)

The correction is carried from frame to frame (an integral controller: one re-track per frame
converges over a few frames and averages the tracker's frame-to-frame noise instead of following
it), except on a channel whose request just jumped (a blink, a /p/ closing the lips): there the old
correction belongs to another regime, so that channel starts again from zero.

A correction stops growing where the reading no longer follows it (:class:`FollowGuard`): the
tracker's reading of a drawn control is not monotonic everywhere (lips pushed further closed
re-track as open again, a frown pushed further re-tracks as less frown), and chasing the error
there drives the control past the reading's peak. Over the last few frames (the request steady or
ramping) the reading is regressed on the target plus the correction; where it no longer rises as
the correction grows, the slot
goes back to the best correction it saw and may not pass it in that direction until its request
jumps. And the lips are
never drawn shut while the frame asks them open (:data:`OPEN_FLOOR`: the model's own geometry, not
the reading: the tracker reads a painted row of teeth in a smile's parted lips as closed lips;
``rest="neutral"``, whose rest closes the lips exactly).

Targets are geometric extents, never MediaPipe's blendshape scores: ``weight x full extent`` of
each channel relative to the photo (``rest="neutral"``: relative to the photo's own expression,
which the model subtracts), and for the lips the gap the frame implies
(:meth:`~facemimic.animate.portrait.model.DisplacementModel.lip_gap`), read through MouthClosed's
drive. The targets of the UE channels are what the frame's channels ask of each measure together
(:func:`.implied.implied_measures`: a raised inner brow and a lowered brow, a frown and a pull, a
squint and a widening move shared landmarks, and each alone would contradict the other), so the
slots that move shared landmarks aim at one consistent face and are corrected together; a blink
owns the lid aperture while it lasts (the widening is not corrected then).

Two schedules (``ClosedLoop(lag=...)``, the animator's ``LOOP_LAG``): lag 0 trial-renders every
frame with the carried correction, re-tracks it and corrects before the final render (two renders
and a re-track waited for, a frame); lag 1 (the animator's default) corrects each frame from the
re-track of the previous frame's final render, which runs on the loop's own thread while the next
frame is planned (one render a frame). On a held request the previous frame's final render *is*
the trial lag 0 would draw (same request, same carried correction), so the two differ only where
a request moves; where the mouth's moves most (the first frame, a jump in the lips' request, a
jump of an open mouth's slot) the lagged loop trial-renders first too. Lag 2 corrects each frame
from the re-track two frames back, so the previous frame's re-track runs beside this frame's step
and render (at lag 1 a frame is one serial chain: re-track, step, render); its steps are taken
from the reading predicted for the corrections drawn since (:meth:`ClosedLoop._learn`), so it
converges as lag 1 does.
"""

from __future__ import annotations

import atexit
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from ...expressions import geometry
from ...expressions.mouth import LIPS_MEET_GAP, implied_lip_gap, implied_mouth
from ...expressions.names import N_UE, ue_index
from .calibrate import BROW_LID_KEEP, StillTracker, drawn_brow_gaps, rest_brow_gaps, rest_of
from .implied import implied_measures, implied_weight
from . import landmarks as L
from .model import DRIVE_CLOSE_LEFT, DRIVE_CLOSE_RIGHT, DRIVE_LIPS_CLOSED, SIDES, drive_vector
from .worker import OneThread

# (drive index, what is measured): a UE channel of geometry.CHANNELS, "closure_*" (the share of
# that eye's rest aperture closed) or "lips" (-inner-lip gap / MOUTH_CLOSED_GAP_EXTENT: rises as
# MouthClosed's drive closes the lips)
# The jaw itself is not corrected: MediaPipe under-reads a warped chin as it drops (calibration's
# jaw curve already takes the lip gap it makes into account); chasing the chin reading would gape
# the lips and, through MouthClosed's share of JawOpen, reopen a /p b m/ closure. The lips' slot
# keeps the visible gap on target instead.
# The UE channels' targets are the measures the whole frame implies, channels composed
# (:func:`.implied.implied_measures`): a frown lowers the corner a pull raises, a pucker draws in
# the corner a pull moves out, a squint narrows the eye a widening opens, so each slot aims at what
# the frame's channels together ask of its measure, and slots moving shared landmarks agree.
# Not in the loop: the lower lip's depressor and the pucker (the lips' slot holds the lips), the jaw.
_SIDED_SLOTS = ("MouthCornerPull", "BrowInnerUp", "BrowLowerer", "MouthFrown", "MouthStretch", "MouthUpperUp",
                "MouthPress", "CheekSquint", "NoseSneer", "BrowOuterUp", "BrowPinch", "EyeWide", "EyeSquint")
LOOP = (
    (DRIVE_LIPS_CLOSED, "lips"),
    (DRIVE_CLOSE_RIGHT, "closure_right"),
    (DRIVE_CLOSE_LEFT, "closure_left"),
    *((ue_index(stem + s), stem + s) for stem in _SIDED_SLOTS for s in ("Right", "Left")),
)
_SLOT = {channel: k for k, (_, channel) in enumerate(LOOP)}
_LIPS = _SLOT["lips"]
_CLOSURE_MASK = np.array([ch.startswith("closure_") for _, ch in LOOP])  # drive = a closure (animator.frame_drive), not a request
# the slots added with the composed targets (#12); the first ones: lips, closure, pull, inner brow, lowering
_ADDED = np.array([not (ch in ("lips", "closure_right", "closure_left")
                         or ch.startswith(("MouthCornerPull", "BrowInnerUp", "BrowLowerer"))) for _, ch in LOOP])
_BROW = np.array([ch.startswith(("BrowInnerUp", "BrowLowerer")) for _, ch in LOOP])
# the brow slots that hold their own channel only (ClosedLoop._learn): the outer brow's too, since
# its target carries the lowering's pull on the outer end (implied.OUTER_FOLLOWS_LOWERING): on a
# lowering alone that pull is the lowerer template's to draw, and chasing it lifted the brow
# (BrowLowerer@0.6 read 0.67-0.70 of its extent on three portraits, 0.80-1.01 without)
_BROW_OWN = _BROW | np.array([ch.startswith("BrowOuterUp") for _, ch in LOOP])
_PULL = np.array([ch.startswith("MouthCornerPull") for _, ch in LOOP])  # the corners' pull slots
# the corners' pull and frown slots, and per slot the drive indices of its corner's pull and frown
# (ClosedLoop._learn)
_CORNER = np.array([ch.startswith(("MouthCornerPull", "MouthFrown")) for _, ch in LOOP])
# With the photo as the rest, every channel that moves its corner (implied.implied_measures'
# corner_out as well: speech's /i e/ stretch the corners and its /u o/ pucker them, and lean on these
# slots to keep the lips' shape); with rest="neutral" only the first two, pull and frown (_CORNER_ASKS)
_CORNER_STEMS = ("MouthCornerPull", "MouthFrown", "MouthStretch", "LipPuckerUpper", "LipPuckerLower")
_CORNER_MOVES = np.array([[ue_index(stem + ("Right" if ch.endswith("Right") else "Left"))
                           for stem in _CORNER_STEMS] if c else [0] * len(_CORNER_STEMS)
                          for (_, ch), c in zip(LOOP, _CORNER)])
_CORNER_ASKS = _CORNER_MOVES[:, :2]
# every brow slot (their correction is held while idle: ClosedLoop.correct)
_BROWS = np.array([ch.startswith(("BrowInnerUp", "BrowLowerer", "BrowPinch", "BrowOuterUp")) for _, ch in LOOP])
# the mouth's UE slots (a lagged loop trial-renders their jumps while the lips are open: correct_lagged)
_MOUTH = np.array([ch.startswith("Mouth") for _, ch in LOOP])
# (closure, widening) slots per side: both move the lid aperture; the closure owns it while asked for
EYE_PAIRS = tuple((_SLOT[f"closure_{s.lower()}"], _SLOT[f"EyeWide{s}"]) for s in ("Right", "Left"))
GAIN = 0.6  # share of the error corrected per frame (lower: smoother, slower)
# Slots whose reading a lag of two or more frames predicts from the corrections drawn since the
# read render (ClosedLoop._learn): all but the lips. The lips' reading does not follow their drawn
# correction one for one, nor at a steady ratio (0-f1-su re-tracks lips drawn 0.04-0.05 apart
# anywhere in 0.19-0.32 IPD, its re-tracked / drawn ratio wandered 1.5-2.9 over one sentence), and
# their correction is set between frames by the geometry's holds and the carried shares of
# _start; predicted at that ratio 11 of 0-f1-su's 109 open speech frames re-tracked shut, one for
# one 13, not predicted 9 (lag 1: 10; tests/animate/test_portrait_units.py allows 10).
_PREDICTED = np.array([ch != "lips" for _, ch in LOOP])
# ... for the inner brow's raise and lowering: their re-tracked readings wander with whatever
# else the frame moves (single_face reenacted from WolfgangLanger_Pexels.mp4: re-tracked inner brow
# = 0.6 x drawn - 0.1 x chin drop + a residual of sd 0.010-0.012 IPD, ~0.09 weight, against a drawn
# signal of sd 0.026; the jaw alone reads the inner brows 0.035-0.048 IPD lower at a 0.12-0.33 IPD
# chin drop on single_face and 0-f15-hao), and at GAIN the loop drew 60 % of that wander into the
# brows every frame: the drawn inner brow followed the driver at r 0.46 where the uncorrected drive
# did at 0.83, re-tracked 0.63-0.68. A quarter averages it over ~4 frames (reenacted inner brow r
# 0.68 -> 0.74, outer ratio 1.20 -> 1.12; the same-motion cells are unchanged).
BROW_GAIN = 0.25
LIMIT = 0.35  # largest correction, in weight units (the request is never rewritten wholesale)
JUMP = 0.05  # a request change per frame above this starts that channel's correction afresh
# a lagged loop trial-renders a frame whose lips' request moves more than this (ClosedLoop.correct_lagged)
LIPS_TRIAL = JUMP
# ... and a frame whose lips are asked to meet within this many frames of being asked open (the
# first frames of a /p b m/ in speech, which lasts 3-5 frames at 30 fps): at lag 1 the middle of
# a closure drawn from the previous frame's reading re-tracked 0.030 IPD apart on the drawn
# illustration's last "map" (lag 0: 0.016). Measured on the illustration's 14 bilabials, --say /
# --audio, max gap: none 0.030 / 0.026, 6 frames 0.027 / 0.032, 3 frames 0.020 / 0.022. Lips at
# rest that were not just open (an expression clip's closed mouth) are not trialled.
CLOSURE_TRIAL_FRAMES = 3
SLOT_LIMIT: dict[str, float] = {}  # per-slot limits where LIMIT does not fit
# A channel the frame does not ask for (|target| below this) is left as drawn: its landmarks do
# not move by construction, and what the tracker reads into it is the tracker's cross-talk (an
# opening jaw re-tracks as lowered brows by ~0.03 IPD, and chasing that lifts the brows as the
# portrait talks). The lips are always held to the gap the frame implies.
ACTIVE = 0.05
# An opening (lip gap asked for, weight units: gap / MOUTH_CLOSED_GAP_EXTENT) above this is an open
# vowel, whose lips' correction is carried across jumps as a share of the opening (ClosedLoop.correct)
LIPS_OPEN = 0.15
# The lips' correction may close up to this much of MouthClosed's drive: a face whose jaw
# over-opens its lips needs more than LIMIT (0-f1-su-ph.jpg: 0.35 held for whole vowels; since
# MouthClosed brings the upper lip down too (model.LIPS_CLOSE_UPPER) 0.6 was held for whole vowels
# there and the lips still re-tracked 0.33-0.36 apart: 0.9)
SLOT_LIMIT["lips"] = 0.9
# Where a reading stops following its correction (FollowGuard). E.g. the frown's re-tracked
# reading peaks near a drive of 0.9 and then falls: MediaPipe carries the lips' middle down with the
# lowered corners (15-f13-anc-ph.jpg, open loop, right side: 0.46 at 0.6 and 0.9, 0.25 at 1.2), so
# a sad apex asking 0.63 plus the full LIMIT landed past the peak (corner 0.73 of the request); the
# lips' closing correction shuts a toothy smile's lips at +0.2 and re-opens them (re-tracked) at +0.8.
FOLLOW = 0.25  # least share of a correction's change that its reading must follow (slope 1 calibrated)
FOLLOW_SPAN = 0.1  # the corrections judged must span this much (the tracker's noise: ~0.05)
FOLLOW_FRAMES = 4  # frames judged together
# ... only while the request moves less than this over those frames (the reading is regressed on
# target + correction, so a request still ramping to its apex is judged too; a faster one jumps)
FOLLOW_STEADY = 0.1
# The lips are not judged: their request moves with every phone and their correction has its own
# regime (carried across jumps as a share of the opening, a closure's carried, OPEN_FLOOR); judged,
# the guard bounded them mid-sentence (--say on 0-f15-hao: p95 gap 0.30 -> 0.34 IPD)
_GUARDED = np.array([ch != "lips" for _, ch in LOOP])
# Lips asked open are never drawn closer than this share of the asked gap (the model's geometry)
OPEN_FLOOR = 0.6
_OPEN_ASKED = 0.04  # IPD: an asked gap below this is a closing mouth (no floor)
# The lips' step and the asked gap assume the re-tracked gap follows the drawn one (the model's
# geometry) about one for one: single_face and 0-f15-hao re-track parted lips 0.02-0.06 IPD
# farther apart than drawn. 0-f1-su-ph.jpg (a surprised photo, its own mouth gaping 0.31 IPD)
# re-tracks them ~0.2 farther (0.25-0.40 IPD where 0.06-0.14 is drawn, shut below ~0.03 drawn):
# GAIN x the error in the reading was ~3x too large a step in the drawing, and the loop see-sawed
# between lips drawn shut (read 0.01) and drawn apart (read 0.34-0.43) on consecutive frames of
# one vowel; a correction starting afresh (a jump in the request, a vowel after a closure) drew
# the lips as far apart as asked, re-tracked 0.35-0.40 for 0.20-0.25 asked. On a face whose
# parted lips re-track at least LIPS_BIAS_FREE farther apart than drawn (running averages over
# open frames), the lips' step is divided by the ratio re-tracked / drawn gap, and rest="source"
# lips are never drawn farther apart than the asked gap less that excess (allowing 0.03 IPD more left
# --say p95 on 0-f1-su at 0.30-0.31, none 0.28-0.29).
LIPS_BIAS_FREE = 0.1  # IPD
# A clip's first frame asking the lips open is trial-rendered up to FIRST_TRIALS times, until a trial
# moves the lips' correction by less than FIRST_SETTLED (weight units). With one trial (the frames
# after it start from their predecessors' corrections), a sentence opening mid-vowel re-tracked
# 0.40 / 0.37 / 0.34 IPD apart on single_face.jpg's first three frames for 0.27 asked (0-f15-hao:
# 0.38 / 0.35 / 0.34), wider than any later vowel (<= 0.30). Stopping only when every slot settled
# instead let a held request's other slots follow MediaPipe's under-read further: 0-f1-su's held
# MouthUpperUp 0.6 drew 1.63 of the request where it drew 1.40 (dlib read 1.22 -> 1.34); and on
# a face read LIPS_BIAS_FREE wider than drawn (0-f1-su), whose loop starts from the lips probed at
# calibration, the trials opened a held vowel after a reset past the photo's own gape (0.329 / 0.322).
FIRST_TRIALS = 6
FIRST_SETTLED = 0.02
LIPS_RATIO_DRAWN = 0.03  # IPD: frames drawn at least this open (and read so) are measured
LIPS_RATIO_RATE = 0.3  # share of each frame's measure in the running averages
LIPS_RATIO_MAX = 4.0  # the largest ratio believed (a lone misread frame)
# ... but lips asked open are drawn at least this far apart there (IPD, or the asked gap if less):
# held at the asked gap less the excess, 0-f1-su's lips were drawn shut on 63 % of its open frames
# (re-tracked under 0.05 IPD; 0.04: 3 %, open frames' median 0.20 IPD for 0.17 asked; 0.05: p95 0.31)
LIPS_SHOWN = 0.04
# ... and a closure's lips may be drawn up to this far past touching (IPD; lips pressed for a
# /p b m/ compress ~2 mm): held touching, 0-f1-su's re-tracked 0.008-0.030 (its worst /p b m/ on
# the 0.03 bound, run to run; pressed: 0.006-0.027); let through unbounded, the carried closing
# correction wound up clip-long (no closure re-tracks 0): 0.05 -> 0.37 IPD past touching
LIPS_PRESS = LIPS_MEET_GAP
# The lips' step backs off while a held request swings. Near touching, the tracker reads lips drawn
# a little apart as shut or well open (0-f1-su: drawn 0.04-0.05 apart, read 0.19-0.32), so the
# reading's slope there is many times its average and a step sized on the average overshoots: held
# at LipPuckerUpper 0.3, single_face's lips swung period 2 and growing (pucker read 0.89, 1.02, 0.84,
# 1.16, 0.65, 1.28, 0.55 of its request over frames 8-14). While the lips' request holds (moves less
# than LIPS_STEP_HELD a frame), each change of sign of the lips' error cuts the step by
# LIPS_STEP_BACKOFF (down to LIPS_STEP_MIN) and each step that keeps the sign lets it regrow by
# LIPS_STEP_REGROW; a moving request takes the full step. (Cut on every change whatever the
# request, 0-f1-su's spoken vowels re-tracked shut on 11 of 109 open frames, the bound being 10;
# cut only on two changes running, the pucker still swung 0.84-1.04 and read 0.75 at frame 8.)
LIPS_STEP_BACKOFF = 0.5
LIPS_STEP_MIN = 0.125
LIPS_STEP_REGROW = 1.5
LIPS_STEP_HELD = 0.01  # weight units
# The running averages start from the lips' response probed at calibration (calibrate.LIPS_PROBE_GAPS,
# kept in the calibration cache): started from "read as drawn", the loop learned 0-f1-su's excess
# only after three frames, and those frames re-tracked 0.36-0.43 IPD apart, wider than the photo's
# own gape (0.31-0.33). Rest="source" lips are also never drawn farther apart than the probed
# gap whose reading is the asked one (ClosedLoop.probed_drawn): the excess is not constant (su:
# drawn 0.05 reads ~0.24, 0.08-0.16 read its own gape ~0.33), and the asked gap less the mean
# excess drew 0.07-0.08, which re-tracked 0.33-0.35.
# The lips' slot aims at the gap the frame implies, whose lip-shape terms count MouthUpperUp's and
# MouthLowerDown's extents (the upper lip's border raised, the lower lip's lowered) as the inner-lip
# gap they open. The model draws each at its extent at the border (their own measures), and the
# inner lips part further: single_face MouthLowerDown 0.3 draws +0.097 IPD for the relation's 0.075
# (re-tracked +0.095), 0-f1-su MouthUpperUp 0.6 +0.09 for 0.06; real faces do too (docs/units.md, the
# free fit of the gap: 1.47 x the upper raise, 1.19 x the lower drop). Aimed at the relation, the
# lips' slot closed that excess with MouthClosed, which lifts the lower lip and lowers the upper one,
# undoing the shapes asked: closed-loop same motion (units_portrait.py --refine) single_face
# MouthLowerDown@0.3 0.75, 0-f1-su MouthLowerDown@0.3 0.62, MouthUpperUp@0.6 0.52 (open loop 1.00 /
# 1.01 / 0.92). So the lips' target adds the drawing's excess over the relation (ClosedLoop.
# lip_shapes_allowance; never less: a drawing that opens less is still held open by the slot) ...
# - at most LIP_SHAPES_INNER x the borders' extents, real faces' own excess: more is the curve's, not
#   the lips' (0-f15-hao's toothy smile, MouthUpperUp 0.6: drawn +0.19 IPD for the border's 0.06, a
#   band of painted gum under a lifted lip; held to real faces' excess her own teeth show, read 0.94);
# - by the lip shapes' share of the relation's opening: where the jaw opens the mouth the relation
#   holds (measured on talking faces; speech is built on it): with the whole excess, speech's vowels
#   (UpperUp 0.1-0.2 over an open jaw) gaped, --say p95 on 0-f15-hao 0.290 -> 0.315 IPD;
# - and where the drawing already opens the lips more than the relation, the lips' correction does
#   not open them further (ClosedLoop._hold_shapes): that only chases the tracker (single_face reads
#   its painted teeth's gap ~0.02 IPD closer than drawn; the slot, which the follow guard does not
#   judge, wound up to -0.10 MouthClosed on MouthUpperUp 0.6, a band of gum above the teeth).
_LIP_SHAPES = np.array([ue_index(f"{stem}{s}") for stem in ("MouthUpperUp", "MouthLowerDown") for s in ("Right", "Left")])
LIP_SHAPES_INNER = (0.47, 0.19)  # (upper, lower): the most excess allowed, x the border's extent
LIP_SHAPES_ASKED = 1e-3  # below this the lip shapes are not asked (no drawn gaps measured)
# The brows are never drawn through the eyelids: where the corrected drive would bring the inner
# brow closer to the upper lid than calibrate.BROW_LID_KEEP of the photo's gap (the model's
# geometry, calibrate.brow_lid_gaps), that side's corrections bringing the brow down are scaled
# back to the bound (ClosedLoop._hold_brows). The tracker under-reads drawn lowering and the loop chased it:
# astronaut.png's angry apex added +0.35 to a curve already at its gain limit (brow_lower 2.4).
_BROW_LOWER_SLOTS = tuple(_SLOT[f"BrowLowerer{s.capitalize()}"] for s in SIDES)
# ... nor higher above the rest (as drawn) than a brow rises: BROW_RAISE_MAX IPD for any point of
# its upper edge (AU1+2 at E lift the brows ~8 mm, the unit's 0.12 IPD; 0.2 is ~13 mm). The tracker
# under-reads a raise drawn on a small or turned face and the loop chased it to its limit: t1-left's
# surprised apex drew its brows 0.35-0.41 IPD up (0.23-0.27 without the loop), the forehead skin
# stretched to the hairline into a pale patch; the loop's raising corrections are scaled back there
# (ClosedLoop._hold_brow_raise).
BROW_RAISE_MAX = 0.2
_BROW_RAISE_SLOTS = tuple((_SLOT[f"BrowInnerUp{s.capitalize()}"], _SLOT[f"BrowOuterUp{s.capitalize()}"]) for s in SIDES)
# Eyes asked to stay partly open are never drawn narrower than EYE_OPEN_FLOOR of the lid gap the
# frame asks (the model's geometry, as OPEN_FLOOR for the lips): a blink curve calibrated on a
# tracker that under-reads half-closed lids, and the loop chasing the same under-read, shut the
# astronaut's smiling eyes (closure 0.2 asked, 0.46 with her EyeWide rest taken off: the drawn lid
# gap 0.035-0.06 of the eye's width, the photo's 0.32, painted shut by eyes.shut_lids); the
# closure's correction is scaled back there, below zero where the request alone passes it, then the
# squint's (ClosedLoop._hold_eyes_open). Not while a blink is asked (EYE_FLOOR_BELOW and above).
EYE_OPEN_FLOOR = 0.6
EYE_FLOOR_BELOW = 0.7
# Eyes the frame asks open (their closure, relative to the rest, below EYE_ASKED_OPEN) are closed no
# further than the request draws them: the closure's correction is at most 0 there (#12, HP2). The
# tracker under-reads an upper lid drawn lower on a warped photo, and the closure slot, which owns
# the aperture, chased every narrowing the frame composes (the squint's lower lid, a wide photo's
# rest taken off) with the upper lid: the astronaut's angry apex drew closure 0.67/0.68 for 0.07
# asked, her sad apex 0.52/0.70 for 0.02 — lids half over the irises, a sleepy look where anger
# raises the upper lid (AU5) and narrows the eye from below (AU7: the squint's slot, still corrected).
EYE_ASKED_OPEN = 0.2
# The brow pinch is never drawn past DRAWN_MAX x the extent its request asks (#11 unit, #12
# identity). The drawn extent is the model's own landmark motion (templates x controls moving the
# re-tracked photo's landmarks, measured by geometry.measure against the photo, as the units'
# "drawn" ratios are; no render), so the bound is the picture's, not the tracker's. The pinch is
# drawn past its unit twice over: BrowLowerer's template moves the inner brows together ~1.0x its
# weight in pinch units (t1-left: lowering 0.3 alone draws a pinch of 0.32) while the composed
# target counts no pinch for a lowering (lowering + pinch 0.3 each: 0.64 drawn for 0.3 asked), and
# MediaPipe under-reads the pinch on a warped photo, so the loop added up to LIMIT on top (t1-left's
# disgusted apex: drawn 0.69-0.78 for 0.28-0.34 asked). 1.5: about the most the units' accepted
# drawing exaggerates the brows that an outside detector reads as drawn (calibrated inner raise:
# drawn 1.59, dlib 1.57 of the unit; lowering: drawn 1.22, dlib 1.34; docs/journal/units.md "Read by an
# outside detector"; 1.0, sneer bounded too, lost facex 3 of 28 apexes). Where the corrected
# drive passes it, the slot's correction is bisected back, below zero (down to -LIMIT) where the
# request alone passes it (ClosedLoop._hold_drawn). Not the nose sneer here: bounded alike (1.5, session 12), its
# identity cost did not fall (t1-left disgusted max 0.569 -> 0.575) and facex lost disgust
# (0-f15-hao 0.90 -> 0.63, 45-m7-di 0.52 -> 0.15); it has its own bound (SNEER_DRAWN_MAX).
DRAWN_MAX = 1.5
_DRAWN_SLOTS = tuple(_SLOT["BrowPinch" + s] for s in ("Right", "Left"))
# The nose sneer is never drawn past SNEER_DRAWN_MAX x the extent its request asks (#12 identity
# and disgust, HP17): the loop's raising correction is bisected back to the largest that keeps the
# bound (the drawn extent measured as DRAWN_MAX's: the model's own landmark motion), never below
# zero (the request itself is drawn). MediaPipe under-reads a drawn nose-wing lift on a warped
# photo, so the loop added its full LIMIT on top of a drive that already drew the ask (t1-left's
# disgusted apex: drawn 0.80-0.88 for 0.38-0.43 asked, 0.44-0.49 uncorrected; 0-f15-hao 0.74-0.88
# for 0.21-0.26): the nose wings hooked up, one side's at a time (a bent nose), and the likeness
# went (t1-left max 0.616 -> 0.524 dlib). The judge did not read the over-drawn sneer as disgust
# either: facex named disgust on 0 of 7 disgusted apexes, with the bound on 2 (0-f15-hao 0.29 ->
# 0.94, single_face 0.16 -> 0.63); angry unchanged (3 of 7). 1.25: the same two, t1-left 0.539.
# Unlike DRAWN_MAX's (which session 12 tried on the sneer, and lost disgust) it never takes the
# request back below what it asks.
SNEER_DRAWN_MAX = 1.0
_SNEER_SLOTS = tuple(_SLOT["NoseSneer" + s] for s in ("Right", "Left"))
# Where the target asks the upper lip's border lowered (fear's stretch, implied.STRETCH_LOWERS_LIP;
# a smiling photo's pull taken off), the loop never draws it lower than UPPER_LOWER_MAX x that ask
# (the drawn extent measured as DRAWN_MAX's: the model's own landmark motion): its lowering
# correction is bisected back, never past the request (raising corrections are the loop's own).
# MediaPipe barely re-tracks the border's drop on a small face (t1-left, 110 px, fearful apex:
# -0.002/+0.004 IPD re-tracked of ~0.03 drawn), so with the stretch's share in the target the loop
# lowered the lip at its LIMIT (-0.35) chasing it (dlib max 0.518 -> 0.552; bounded: 0.519). On a
# smiling photo's happy apex (the astronaut) it had pulled the lip down at its LIMIT too (-0.35;
# bounded: -0.04, facex p(happy) 0.84 -> 0.97, dlib mean 0.408 -> 0.374).
UPPER_LOWER_MAX = 1.0
_UPPER_SLOTS = tuple(_SLOT["MouthUpperUp" + s] for s in ("Right", "Left"))
_CLOSURE_SLOTS = tuple(_SLOT[f"closure_{s}"] for s in SIDES)
_EYE_CLOSING_SLOTS = tuple((_SLOT[f"closure_{s}"], _SLOT[f"EyeSquint{s.capitalize()}"]) for s in SIDES)


def lips_response(report: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The lips' probes of a calibration report (``report["lips"]``, :func:`.calibrate._calibrate`):
    (drawn, re-tracked) inner-lip gaps in IPD, (n,) each, sorted by the drawn gap, the probes the
    tracker lost left out; None without probes."""
    probe = (report or {}).get("lips")
    if not probe:
        return None
    drawn = np.asarray(probe["drawn"], np.float64)
    read = np.asarray(probe["read"], np.float64)
    ok = np.isfinite(drawn) & np.isfinite(read)
    if not ok.any():
        return None
    order = np.argsort(drawn[ok])
    return drawn[ok][order], read[ok][order]


def _bisect(holds, lo: float, hi: float, halvings: int = 8) -> tuple[float, float]:
    """Eight halvings of ``[lo, hi]``: a midpoint where ``holds(mid)`` becomes the new ``lo``, any
    other the new ``hi``; returns the final ``(lo, hi)`` (``holds`` may write the drive it tests:
    its last call is the last midpoint, so callers set the value they keep afterwards)."""
    for _ in range(halvings):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if holds(mid) else (lo, mid)
    return lo, hi


class FollowGuard:
    """Per slot: does the re-tracked reading still follow the correction? (module docstring)

    Keeps the last :data:`FOLLOW_FRAMES` (correction, error) pairs of each slot's current regime;
    :meth:`judge` regresses the error on the correction and, where the error no longer falls as the
    correction grows in the direction it was pushed (by less than FOLLOW per unit), returns the
    best correction seen and bounds the slot there on that side."""

    def __init__(self, n: int) -> None:
        self.c = np.full((FOLLOW_FRAMES, n), np.nan, np.float32)
        self.e = np.full((FOLLOW_FRAMES, n), np.nan, np.float32)
        self.t = np.full((FOLLOW_FRAMES, n), np.nan, np.float32)
        self.lo = np.full(n, -np.inf, np.float32)
        self.hi = np.full(n, np.inf, np.float32)

    def clear(self, mask: np.ndarray) -> None:
        """Forget what the slots in ``mask`` (bool (n,)) saw: a new regime."""
        self.c[:, mask] = np.nan
        self.e[:, mask] = np.nan
        self.t[:, mask] = np.nan
        self.lo[mask] = -np.inf
        self.hi[mask] = np.inf

    def judge(self, corr: np.ndarray, err: np.ndarray, target: np.ndarray, live: np.ndarray) -> np.ndarray:
        """Record this frame's trial ``corr``, its ``err`` (target - reading) and ``target``, (n,)
        each, for the slots ``live`` (bool (n,)); returns (n,) the correction each slot must go
        back to (NaN: none) where its reading stopped following."""
        self.c = np.roll(self.c, 1, axis=0)
        self.e = np.roll(self.e, 1, axis=0)
        self.t = np.roll(self.t, 1, axis=0)
        self.c[0] = np.where(live, corr, np.nan)
        self.e[0] = np.where(live, err, np.nan)
        self.t[0] = np.where(live, target, np.nan)
        back = np.full(len(corr), np.nan, np.float32)
        full = live & np.all(np.isfinite(self.c), axis=0)
        if not full.any():
            return back
        c, e, t = self.c.astype(np.float64), self.e.astype(np.float64), self.t.astype(np.float64)
        # The reading (target - error) regressed on what was drawn for it (target + correction): a
        # request still ramping to its apex moves the reading by itself. Judged on the correction
        # alone, such frames were never judged and the loop chased a falling reading up the ramp
        # (15-f13-anc's sad apex, right frown: corrected 0 -> +0.33 over the ramp's last 3 frames,
        # read 0.52 -> 0.45). On a steady request this is the error's slope on the correction.
        u, rd = c + t, t - e
        um, rm = u.mean(0), rd.mean(0)
        var = ((u - um) ** 2).sum(0)
        slope = ((u - um) * (rd - rm)).sum(0) / np.maximum(var, 1e-12)  # a following reading: about +1
        icpt = rm - slope * um
        push = np.sign(c[0] - c.mean(0))  # the way the correction has been going
        judged = (full & (np.ptp(c, axis=0) >= FOLLOW_SPAN) & (np.ptp(u, axis=0) >= FOLLOW_SPAN)
                  & (np.ptp(t, axis=0) <= FOLLOW_STEADY)
                  & (push != 0) & (np.sign(e[1]) == push))  # moving the way the error asks (chasing)
        for k in np.flatnonzero(judged & (slope < FOLLOW)):
            # the best correction seen for the current request, judged on the fitted line (one
            # frame's reading is noisy), a correction costing what it can buy at most: FOLLOW per
            # unit (of two about equal, the smaller; a correction past a reading's peak, the earlier)
            ck = c[:, k]
            miss = t[0, k] - (icpt[k] + slope[k] * (t[0, k] + ck))  # the error each would leave now
            best = float(ck[int(np.argmin(np.abs(miss) + FOLLOW * np.abs(ck)))])
            back[k] = best
            if push[k] > 0:
                self.hi[k] = min(self.hi[k], best)
            else:
                self.lo[k] = max(self.lo[k], best)
            self.c[:, k] = np.nan  # judge afresh from here
            self.e[:, k] = np.nan
            self.t[:, k] = np.nan
        return back


_SHARED: StillTracker | None = None
_SHARED_LOCK = threading.Lock()


def shared_tracker() -> StillTracker:
    """One IMAGE-mode landmarker for every closed loop in the process (opened on first use, closed
    at exit). Why shared: a landmarker per animator would be closed by the garbage collector when
    an animator is dropped unclosed, and MediaPipe's close can deadlock when it runs inside another
    landmarker's call."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = StillTracker()
            # MediaPipe closes through a thread pool that Python shuts down before plain atexit
            # hooks run; threading's exit hooks run before that shutdown (latest first).
            register = getattr(threading, "_register_atexit", atexit.register)
            register(_close_shared)
        return _SHARED


def _close_shared() -> None:
    try:
        _SHARED.close()
    except RuntimeError:  # MediaPipe's executor may already be shut down at interpreter exit
        pass


def readings(frame, rest: np.ndarray | None, aperture0, size: tuple[int, int]) -> np.ndarray:
    """(len(LOOP),) re-tracked extents of a frame, weight units (NaN when the face was lost).

    Parameters
    ----------
    frame : ExpressionFrame or None
        Re-tracked, with landmarks normalised by ``size`` (width, height).
    rest, aperture0 : the re-tracked photo's rest face and eyelid apertures (:func:`.calibrate.rest_of`)
    """
    out = np.full(len(LOOP), np.nan, np.float32)
    if frame is None or not frame.present or frame.landmarks is None or rest is None:
        return out
    m = geometry.measure(np.asarray(frame.landmarks, np.float64), size, rest)
    for k, (_, channel) in enumerate(LOOP):
        if channel == "lips":
            out[k] = -float(m.lip_gap) / geometry.MOUTH_CLOSED_GAP_EXTENT
        elif channel.startswith("closure_"):
            side = 1 if channel.endswith("right") else 0  # measures are (left, right)
            out[k] = (aperture0[side] - m.eye_aperture[side]) / max(aperture0[side], 1e-3)
        else:
            ch = geometry.CHANNELS[channel]
            v = getattr(m, ch.measure)
            out[k] = float(v if ch.side is None else v[ch.side]) / ch.full_extent
    return out


@dataclass(frozen=True)
class _Seen:
    """A re-tracked face as :func:`readings` reads it: its (478, 3) normalised landmarks."""

    landmarks: np.ndarray
    present: bool = True


class ClosedLoop:
    """Per-frame drive correction for one :class:`PortraitAnimator` (see the module docstring).

    Parameters
    ----------
    animator : PortraitAnimator
        The animator whose frames are judged (its rest mode decides the targets).
    tracker : StillTracker, optional
        An IMAGE-mode landmarker; by default the process-wide one (:func:`shared_tracker`).
    lag : int
        0: each frame is trial-rendered, re-tracked and corrected before its final render
        (:meth:`correct`); n > 0: each frame is corrected from the re-track of the final render n
        frames back (:meth:`correct_lagged` and :meth:`observe`: one render a frame, the re-track
        beside the next frames' work).
    """

    def __init__(self, animator, tracker: StillTracker | None = None, *, lag: int = 0) -> None:
        self.animator = animator
        self._shared = tracker is None
        self.tracker = tracker or shared_tracker()
        self.index = np.array([i for i, _ in LOOP])
        self.limit = np.array([SLOT_LIMIT.get(ch, LIMIT) for _, ch in LOOP], np.float32)
        self.corr = np.zeros(len(LOOP), np.float32)
        self._prev: np.ndarray | None = None  # the previous frame's targets
        self._since_open = CLOSURE_TRIAL_FRAMES + 1  # frames since the lips were last asked open
        self._lip_share = 0.0  # lips' correction / requested opening on the last open frame
        self._close_corr = 0.0  # lips' correction on the last frame asked to close them
        # the lips' response probed at calibration: (drawn, re-tracked) inner-lip gaps, IPD, or None
        self.lips_probe = lips_response(getattr(getattr(animator, "stats", None), "calibration", None))
        # re-tracked / drawn inner-lip gap (LIPS_BIAS_FREE) and re-tracked - drawn (IPD), running
        self._lips_ratio, self._lips_bias = self._lips_start()
        self._lips_step, self._lips_err = 1.0, 0.0
        self._shapes_key, self._shapes = None, (0.0, 0.0)  # lip_shapes_allowance's last drive and answer
        self.guard = FollowGuard(len(LOOP))
        # lag > 0: frames corrected from their predecessors' final renders (correct_lagged)
        self.lag = int(lag)
        self._pending: deque = deque()  # (future readings, drive, targets, drawn drive, drawn correction, epochs)
        self._planned = None  # (drive, targets, drawn drive, drawn correction) of the last correct_lagged
        self._epoch = np.zeros(len(LOOP), np.int64)  # per slot: jumps in its request so far
        self._retracker = OneThread("facemimic-portrait-retrack")  # observe()'s re-tracks
        self.lost = 0  # frames whose render the tracker did not find (left uncorrected)
        self.fixups = 0  # lagged frames trial-rendered and re-tracked first (correct_lagged)
        # The re-tracked photo is the rest every reading is measured against.
        x0, y0, x1, y1 = animator.warp.roi
        self.size = (x1 - x0, y1 - y0)
        photo = self._retrack(animator.image[y0:y1, x0:x1], animator.points.mean(0) - (x0, y0))
        self.rest, self.aperture0 = rest_of(photo, self.size)
        gap = float(geometry.measure(np.asarray(photo.landmarks, np.float64), self.size).lip_gap) \
            if self.rest is not None else float("nan")
        self.photo_gap = gap if np.isfinite(gap) else animator.model.photo_gap
        # (478, 3) the re-tracked photo's landmarks (ROI-normalised), which the model's motion
        # moves for the drawn extents (DRAWN_MAX); None where the tracker lost the photo
        self._photo_lm = np.asarray(photo.landmarks, np.float64) if self.rest is not None else None
        # (2,) IPD: the inner brow-to-lid gaps the brows keep at least (right, left); None for a
        # stand-in model without templates (no brows drawn)
        self.brow_floor = None if getattr(animator.model, "basis", None) is None \
            else BROW_LID_KEEP * np.maximum(rest_brow_gaps(animator), 0.0)
        # (2, 5) heights (IPD, up) of each brow's upper edge at rest as drawn (BROW_RAISE_MAX)
        self._brow_ids = np.array([L.BROW_UPPER[side] for side in SIDES])
        self._brow_rest = None if self.brow_floor is None else self._brow_heights(
            animator.model.controls(drive_vector(np.zeros(N_UE, np.float32), (1.0, 1.0))))
        # (2, 2, 7) upper / lower lid points of each eye, and the photo's own lid gaps (2,) (IPD,
        # right and left; EYE_OPEN_FLOOR)
        self._lid_ids = np.array([[L.EYE_UPPER[side][1:-1], L.EYE_LOWER[side][1:-1]] for side in SIDES])
        self._lid_gap0 = None if self.brow_floor is None else self._lid_gaps(np.zeros(len(animator.model.basis), np.float32))
        overlap = getattr(animator, "_rest_overlap", None)
        self._lid_overlap = 0.0 if overlap is None or self._lid_gap0 is None else self._lid_gaps(None, overlap)

    def _retrack(self, image: np.ndarray, centre: np.ndarray):
        if self._shared:
            with _SHARED_LOCK:  # one landmarker, possibly several animators on several threads
                faces = self._faces(image)
        else:
            faces = self._faces(image)
        if not faces:
            return None
        h, w = image.shape[:2]
        return min(faces, key=lambda f: float(np.linalg.norm(np.asarray(f.landmarks)[:, :2].mean(0) * (w, h)
                                                             - centre)))

    def _faces(self, image: np.ndarray) -> list:
        """The faces in ``image`` (h, w, 3|4) as the loop reads them (``present``, ``landmarks``
        (478, 3)): landmarks alone where the tracker gives them (:meth:`.calibrate.StillTracker.landmarks`),
        else its solved frames."""
        if not hasattr(self.tracker, "landmarks"):
            return self.tracker.faces(image)
        return [_Seen(lm) for lm in self.tracker.landmarks(image)]

    def targets(self, drive: np.ndarray) -> np.ndarray:
        """(len(LOOP),) extents the request asks for, weight units, relative to the photo."""
        model = self.animator.model
        x = np.asarray(drive, np.float32) - model.rest
        t = x[self.index].astype(np.float32)
        excess, share = self.lip_shapes_allowance(drive)
        t[_LIPS] = -(model.lip_gap(x, self.photo_gap) + share * excess) / geometry.MOUTH_CLOSED_GAP_EXTENT
        if len(x) > DRIVE_CLOSE_LEFT:
            # the share of the photo's own aperture closed (the drive's lids less the rest's: both
            # counted in that aperture, animator.frame_drive), the unit the readings are in
            closure = (float(x[DRIVE_CLOSE_LEFT]), float(x[DRIVE_CLOSE_RIGHT]))
            implied = implied_measures(x[:DRIVE_CLOSE_RIGHT], closure,
                                       None if self.aperture0 is None else self.aperture0)
            for k, (_, channel) in enumerate(LOOP):
                if channel in geometry.CHANNELS:
                    t[k] = implied_weight(implied, channel)
                elif channel.startswith("closure_") and self.aperture0 is not None:
                    # the lids' share closed as widening and squint change it too (a blink, or a
                    # squinting photo's rest taken off, owns the aperture and must aim at all of it)
                    side = 1 if channel.endswith("right") else 0  # measures are (left, right)
                    t[k] = -float(implied["eye_widen"][side]) / max(float(self.aperture0[side]), 1e-3)
        return t

    def lip_shapes_allowance(self, drive: np.ndarray) -> tuple[float, float]:
        """What the lips' slot allows for the frame's MouthUpperUp / MouthLowerDown (the comment at
        _LIP_SHAPES):
        ``(excess, share)``, the IPD (>= 0) by which the model draws the inner lips farther apart
        for them than the unit's lip-gap relation counts (their extents, 0.10 and 0.25 IPD at 1.0,
        at the lips' borders; at most LIP_SHAPES_INNER x those extents), and their share of the
        opening the relation implies (0..1; the rest is the jaw's). ``drive`` (93,), absolute;
        ``(0, 0)`` where neither is asked or the drawing opens no more than the relation."""
        d = np.asarray(drive, np.float32)
        key = d.tobytes()
        if self._shapes_key == key:
            return self._shapes
        model = self.animator.model
        x = d - model.rest
        out = (0.0, 0.0)
        if np.max(np.abs(x[_LIP_SHAPES])) >= LIP_SHAPES_ASKED:
            without = d.copy()
            without[_LIP_SHAPES] = model.rest[_LIP_SHAPES]
            implied = float(implied_lip_gap(x[:N_UE]))
            unit = implied - float(implied_lip_gap((without - model.rest)[:N_UE]))
            drawn = self.animator.drawn_gap(d) - self.animator.drawn_gap(without)
            m = implied_mouth(x[:N_UE])
            most = (LIP_SHAPES_INNER[0] * max(float(m.upper_lip_raise), 0.0)
                    + LIP_SHAPES_INNER[1] * max(float(m.lower_lip_depress), 0.0))
            if unit > 0.0 and drawn > unit:
                out = (min(drawn - unit, most), float(np.clip(unit / implied, 0.0, 1.0)))
        self._shapes_key, self._shapes = key, out
        return out

    def _asked(self, drive: np.ndarray) -> np.ndarray:
        """(len(LOOP),) what the absolute weights of ``drive`` ask of each UE slot's measure (or
        of the slot's own channel, whichever is larger), weight units."""
        d = np.asarray(drive, np.float32)
        implied = implied_measures(d[:DRIVE_CLOSE_RIGHT])
        out = np.zeros(len(LOOP), np.float32)
        for k, (i, channel) in enumerate(LOOP):
            if channel in geometry.CHANNELS:
                v = implied_weight(implied, channel)
                out[k] = max(abs(v) if np.isfinite(v) else 0.0, abs(float(d[i])))
        return out

    def correct(self, drive: np.ndarray, render) -> np.ndarray:
        """The corrected (93,) drive for one frame.

        ``render(drive)`` renders a drive to an image (h, w, 3|4); it is called once here, on
        the drive with the correction carried from the previous frame."""
        drive = np.asarray(drive, np.float32)
        target, opening, meet = self._start(drive)
        if self.rest is None or not self._trial(drive, target, render):
            return self._corrected(drive)  # nothing to measure against: the carried correction
        return self._hold(drive, target, opening, meet)

    def _corrected(self, drive: np.ndarray) -> np.ndarray:
        """``drive`` (93,) with the current correction added to the loop's slots."""
        out = drive.copy()
        out[self.index] += self.corr
        return out

    def _trial(self, drive: np.ndarray, target: np.ndarray, render, abandoned=()) -> bool:
        """Render ``drive`` (93,) with the carried correction, re-track it and learn from its
        readings (aimed at ``target``); False where the tracker lost the face (:attr:`lost`).
        ``abandoned``: futures of re-tracks whose readings are dropped, waited for after the
        render and before this re-track (the tracker takes one image at a time)."""
        trial = self._corrected(drive)
        x0, y0, x1, y1 = self.animator.warp.roi
        try:
            img = render(trial)
        finally:  # (even where the render failed: the tracker is free again once this returns)
            for future in abandoned:
                future.result()
        got = self._retrack(img[y0:y1, x0:x1], self.animator.points.mean(0) - (x0, y0))
        if got is None:
            self.lost += 1
            return False
        self._learn(drive, target, trial, readings(got, self.rest, self.aperture0, self.size))
        return True

    def correct_lagged(self, drive: np.ndarray, render=None) -> np.ndarray:
        """The corrected (93,) drive for one frame, from the readings of earlier frames' final
        renders (``lag`` frames back, :meth:`observe`): no trial render.

        The frame's own render is handed to :meth:`observe` and re-tracked on the loop's thread
        while the caller goes on; the next frames wait for it only when they need it. A slot whose
        request jumped since an observed frame learns nothing from it (another regime). With
        ``render`` (``render(drive)`` -> image (h, w, 3|4)), the first frame, frames whose lips'
        request moved more than LIPS_TRIAL, frames asking the lips to meet within
        CLOSURE_TRIAL_FRAMES of asking them open (a /p b m/) and open-mouthed frames whose mouth's
        request jumped are trial-rendered and re-tracked first, as in :meth:`correct` (:attr:`fixups` counts
        them; a first frame asking the lips open, until the lips' correction settles: FIRST_TRIALS)."""
        drive = np.asarray(drive, np.float32)
        target = self.targets(drive)
        # The clip's first frame, every move of the lips' request past LIPS_TRIAL (a vowel's
        # onset, a /p b m/) and, while the lips are asked open, a jump of an active mouth slot
        # are trial-rendered and re-tracked first, as correct() does every frame: the mouth's
        # regime changes with every phone, and drawn from the last regime's correction alone a
        # vowel's first frame gaped (0-f15-hao --say, its first frame: 0.53 IPD re-tracked, 0.35
        # with the trial), 0-f1-su's max passed its own gape (0.41 against 0.31), and hao's p95
        # was 0.307 IPD with the lips' jumps alone, 0.288-0.302 with the mouth's jumps added
        # (lag 0: 0.298; the same number moves ~0.01 with what ran before in the process), and
        # no lower with LIPS_TRIAL at JUMP / 2 (0.295-0.302, half of speech's frames trialled).
        # About a third of speech's frames, a fifth of the generated expression clip's (a
        # toothy photo's lips are always open, and a smile's onset jumps every frame). The
        # trial supersedes the readings still pending (it draws the frame's
        # own request with the same carried correction: learning from both stepped twice), so
        # such a frame is drawn as correct() draws it.
        prev = self._prev
        asked_open = -float(target[_LIPS])
        closing = (asked_open <= LIPS_MEET_GAP / geometry.MOUTH_CLOSED_GAP_EXTENT
                   and self._since_open <= CLOSURE_TRIAL_FRAMES)
        self._since_open = 0 if asked_open > LIPS_OPEN else self._since_open + 1
        trial_first = render is not None and self.rest is not None and (
            prev is None or abs(float(target[_LIPS] - prev[_LIPS])) > LIPS_TRIAL or closing
            or (asked_open > LIPS_OPEN
                and bool((_MOUTH & (np.abs(target - prev) > JUMP) & (np.abs(target) >= ACTIVE)).any())))
        # A trial supersedes the re-tracks still pending: those not started are cancelled, and
        # the one running finishes beside the trial render (its readings are dropped unread).
        abandoned = self._abandon() if trial_first else []
        while len(self._pending) >= max(self.lag, 1):
            future, seen, seen_target, drawn, drawn_corr, epoch = self._pending.popleft()
            r = future.result()
            if r is None:
                self.lost += 1
                continue
            stale = self._epoch != epoch  # slots whose request jumped since: they learn nothing
            keep = self.corr[stale].copy()
            self._learn(seen, seen_target, drawn, np.where(stale, np.nan, r).astype(np.float32), drawn_corr)
            self.corr[stale] = keep
        target, opening, meet = self._start(drive, target)
        self._epoch += np.abs(target - prev) > JUMP if prev is not None else True
        if trial_first:
            self.fixups += 1
            # The clip's first frame (and the first after a reset) has no earlier frame's lips
            # correction to start from: asked open, on a face whose lips the plain loop holds (a
            # face read LIPS_BIAS_FREE wider than drawn starts from its calibration's lips probes),
            # it is trialled again until the lips' correction settles (FIRST_TRIALS); every slot
            # learns from each trial, as from any frame's.
            trials = FIRST_TRIALS if (prev is None and asked_open > LIPS_OPEN
                                      and self._lips_bias < LIPS_BIAS_FREE) else 1
            for k in range(trials):
                before = float(self.corr[_LIPS])
                if not self._trial(drive, target, render, abandoned if k == 0 else ()):
                    break
                if abs(float(self.corr[_LIPS]) - before) < FIRST_SETTLED:
                    break
        # no rest to measure against: the carried correction, unbounded (as correct())
        out = self._hold(drive, target, opening, meet) if self.rest is not None else self._corrected(drive)
        self._planned = (drive, target, out, self.corr.copy())
        return out

    def observe(self, image: np.ndarray) -> None:
        """Re-track ``image`` (h, w, 3|4), the render of the drive :meth:`correct_lagged` returned
        last, on the loop's own thread (the caller may reuse ``image`` once this returns)."""
        if self._planned is None or self.rest is None:
            return
        drive, target, drawn, drawn_corr = self._planned
        self._planned = None
        x0, y0, x1, y1 = self.animator.warp.roi
        crop = np.array(image[y0:y1, x0:x1])  # a copy: the re-track runs after the caller moves on
        centre = self.animator.points.mean(0) - (x0, y0)

        def read() -> np.ndarray | None:
            got = self._retrack(crop, centre)
            return None if got is None else readings(got, self.rest, self.aperture0, self.size)

        self._pending.append((self._retracker.submit(read), drive, target, drawn, drawn_corr, self._epoch.copy()))

    def _drain(self) -> None:
        """Wait for the re-tracks still running and forget them."""
        while self._pending:
            self._pending.popleft()[0].result()
        self._planned = None

    def _abandon(self) -> list:
        """Forget the pending re-tracks (their readings are never read): cancel those not
        started and return the futures of those that were (wait for them before using the
        tracker again). Why not wait at once: a trial render can be drawn meanwhile."""
        running = [future for future, *_ in self._pending if not future.cancel()]
        self._pending.clear()
        self._planned = None
        return running

    def _start(self, drive: np.ndarray, target: np.ndarray | None = None) -> tuple[np.ndarray, float, bool]:
        """A frame's targets (len(LOOP),; :meth:`targets` unless given), its asked opening
        (weight units) and whether its lips are asked to meet; slots whose request jumped start
        afresh, the lips from the share the last open vowels (or the last closure) needed."""
        drive = np.asarray(drive, np.float32)
        target = self.targets(drive) if target is None else target
        if self._prev is not None:
            jumped = np.abs(target - self._prev) > JUMP
            self.corr[jumped] = 0.0
            self.guard.clear(jumped)
            if abs(float(target[_LIPS] - self._prev[_LIPS])) > LIPS_STEP_HELD:
                self._lips_step, self._lips_err = 1.0, 0.0  # a moving request: the full step
        self._prev = target
        opening = -float(target[_LIPS])  # the gap asked for, weight units
        if opening > LIPS_OPEN and self.corr[_LIPS] == 0.0:
            # A face whose jaw over-opens its lips (a photo that already gapes, its chin
            # under-read in calibration) over-opens every vowel by about the same share: a vowel
            # after a jump starts from the share the last open vowels needed, not from zero
            # (from zero, its first frame gaped 0.55 IPD on 0-f1-su-ph.jpg for a 0.25 request).
            self.corr[_LIPS] = np.clip(self._lip_share * opening, -self.limit[_LIPS], self.limit[_LIPS])
        meet = opening <= LIPS_MEET_GAP / geometry.MOUTH_CLOSED_GAP_EXTENT
        if meet and self.corr[_LIPS] == 0.0 and self.animator.model.photo_gap > LIPS_MEET_GAP:
            # A closure after a jump starts from the correction the last closure ended with: a
            # /p b m/ lasts 3-5 frames, and from zero the loop (GAIN x the residual gap per frame)
            # had not closed a gaping photo's sealed lips by the closure's middle (0-f1-su-ph.jpg:
            # re-tracked 0.04-0.09 IPD on 3-5 of its 14 bilabials). Only where the photo's own lips
            # are apart (what the seal closes re-tracks open): on closed-lipped faces a carried
            # correction pushed the lips through each other (the drawn avatar: 14 -> 7 of 14 met)
            self.corr[_LIPS] = max(self._close_corr, 0.0)  # a closing correction only
        return target, opening, meet

    def _learn(self, drive: np.ndarray, target: np.ndarray, trial: np.ndarray, r: np.ndarray,
               drawn_corr: np.ndarray | None = None) -> None:
        """One step of the integral controller: ``r`` (len(LOOP),) the readings of a render of
        ``trial`` (93,), the frame's request ``drive`` (93,) corrected by ``drawn_corr``
        (len(LOOP),; default: the current correction, as a trial render or a lag of one frame
        draws), whose targets are ``target``; updates the correction (and the follow guard).

        Where the render read was drawn with another correction than the current one (a lag of two
        or more frames: the frames since have drawn newer corrections, not yet re-tracked), the
        step is taken from the reading those frames are predicted to give (the reading plus the
        correction drawn since, read one for one: a Smith predictor; not the lips', _PREDICTED):
        an integral controller at GAIN fed readings two frames late rings (poles 0.5 +- 0.59i: an
        error comes back as a damped swing, 0.77 of it a frame, period ~7 frames); this one steps
        as the lag of one frame does. The follow guard judges the correction the read render
        drew."""
        drawn_corr = self.corr if drawn_corr is None else np.asarray(drawn_corr, np.float32)
        err = np.where(np.isfinite(r), target - r, 0.0)
        # a slot is idle when neither its measure is asked for nor its own channel (a sad brow's
        # lowering is asked for even where the inner raise leaves its measure near 0)
        own = np.abs(drive[self.index] - self.animator.model.rest[self.index]) >= ACTIVE
        if getattr(self.animator.model, "absolute", False):
            # rest="neutral": a channel asked for is active even where the photo already shows as
            # much (a happy request on a smiling photo asks its whole pull, and the photo's own
            # smile is taken off: idle, the corners' under-read was never corrected at the apex)
            own |= (np.abs(drive[self.index]) >= ACTIVE) & ~_CLOSURE_MASK
        idle = (np.abs(target) < ACTIVE) & ~own
        # a brow slot holds its own channel only: a raise alone implies a lowering reading of -0.6x
        # its weight, which the raise itself makes (its template lifts the middle brow a little
        # too); chasing it lifted the middle brow and overshot the raise (reenactment r 0.73 -> 0.66);
        # a lowering alone implies the outer end's pull (_BROW_OWN)
        idle |= _BROW_OWN & ~own
        if getattr(self.animator.model, "absolute", False):
            # rest="neutral": the slots added for composed measures hold what the frame asks for,
            # not the photo's own expression taken away (that is exact in template amounts; the
            # re-tracked lips and nose of a relaxed toothy smile misread, and chasing them warped
            # the mouth and nose of every frame). So do the corners' pull slots: the rest's pull,
            # taken off in template amounts, leaves the corners level but the mouth narrower than
            # the population's, which the pull's reading (out and up along the zygomatic line)
            # took for too much pull taken off; chasing it lifted the corners back into a smirk
            # from the first frame (the astronaut's left corner 0.035-0.049 IPD up; #12, HP13)
            asked = self._asked(drive)
            idle |= (_ADDED | _PULL) & (np.abs(asked) < ACTIVE)
            # The corners' pull and height are chased only where the frame asks a smile or a frown
            # of that corner: a stretch's outward motion (which the pull's reading counts) or a
            # dropped jaw's implied lift alone, aimed at targets relative to a smiling photo whose
            # rest's corners rest_corners levels, re-smiled them at fearful and surprised apexes
            # (frown corrected to -0.35: 0-f15-hao's fearful corners 0.048 IPD above the rest's; #12, HP16)
            corner_asked = np.any(np.abs(drive[_CORNER_ASKS]) >= ACTIVE, axis=1)
            idle |= _CORNER & ~corner_asked
        else:
            # The photo as the rest: a corner's pull and height are chased only where the frame
            # moves that corner's pull, frown, stretch or pucker from the photo's. A raised upper lip's
            # middle implies its corners lower relative to it (the unit's coupling); chased, the
            # frown slots drew a real frown and pulled the lip back down (0-f1-su MouthUpperUp@0.6
            # read 0.70 of its extent, 0.54 -> 0.40 of the lip's reading as the frown grew)
            moved = np.abs(drive[_CORNER_MOVES] - self.animator.model.rest[_CORNER_MOVES])
            idle |= _CORNER & ~np.any(moved >= ACTIVE, axis=1)
        idle[_LIPS] = False
        err[idle] = 0.0
        # An idle brow slot holds its correction instead of dropping it: the driver's brow
        # channels hover around ACTIVE, and zeroing on every crossing snapped the drawn brow by
        # the whole correction (up to LIMIT) in frames where the request barely moved, a jitter
        # the driver does not have (reenactment inner brow r 0.67 -> 0.71, outer ratio 1.20 ->
        # 1.07). A jump in its request still starts it afresh (above).
        self.corr[idle & ~_BROWS] = 0.0
        self.guard.clear(idle & ~_BROWS)
        for close, wide in EYE_PAIRS:
            if abs(target[close]) >= ACTIVE:  # a blink owns the aperture
                err[wide] = 0.0
        back = self.guard.judge(drawn_corr, err, target, ~idle & np.isfinite(r) & _GUARDED)
        gain = np.full(len(LOOP), GAIN, np.float32)
        gain[_LIPS] = GAIN / self._lips_follow(trial, r[_LIPS]) * self._lips_damping(float(err[_LIPS]))
        gain[_BROW] = BROW_GAIN
        if drawn_corr is not self.corr:
            # drawn since the read render (lag >= 2); not the lips' (_PREDICTED)
            learn = (err != 0.0) & np.isfinite(r) & _PREDICTED
            err = np.where(learn, err - (self.corr - drawn_corr), err)
        new = self.corr + gain * err
        new = np.where(np.isfinite(back), back, new)  # the reading stopped following: the best seen
        new = np.clip(new, self.guard.lo, self.guard.hi)
        self.corr = np.clip(new, -self.limit, self.limit).astype(np.float32)

    def _hold(self, drive: np.ndarray, target: np.ndarray, opening: float, meet: bool) -> np.ndarray:
        """The correction bounded by the model's geometry for this frame (lips held open or
        within, brows off the lids and below BROW_RAISE_MAX, the pinch within DRAWN_MAX x its ask,
        eyes open), and the corrected (93,) drive."""
        if getattr(self.animator.model, "absolute", False) and meet:
            # rest="neutral", lips asked to meet: the rest is taken off where the lips meet on the
            # photo's own landmarks, so closing further only drives the lower lip through the
            # upper one (the warp then lifts both: MouthUpperUp read 0.9-1.4 for 0.16 asked on
            # toothy photos); what re-tracks as a gap there is the painted teeth. Only opening.
            # (An open mouth is held both ways: the jaw alone re-tracks a gap 1.4x its request,
            # MouthLowerDown 0.5 where none was asked, on 15-f13-anc at JawOpen 0.32.)
            self.corr[_LIPS] = min(float(self.corr[_LIPS]), 0.0)
        self._hold_shapes(drive)
        self._hold_open(drive, opening)
        self._hold_within(drive, opening)
        self._hold_brows(drive)
        self._hold_drawn(drive, target)
        self._hold_brow_raise(drive)
        self._hold_lids_asked_open(drive)
        self._hold_eyes_open(drive, target)
        if opening > LIPS_OPEN:
            self._lip_share = float(self.corr[_LIPS]) / opening
        if meet:
            self._close_corr = float(self.corr[_LIPS])
        return self._corrected(drive)

    def _lips_damping(self, err: float) -> float:
        """The share of the lips' step taken this frame (:data:`LIPS_STEP_BACKOFF`): cut when the
        lips' error ``err`` (weight units) changed sign since the last step, regrown while it keeps
        it (:meth:`_start` restores the full step while the lips' request moves)."""
        if err != 0.0:
            if err * self._lips_err < 0.0:
                self._lips_step = max(self._lips_step * LIPS_STEP_BACKOFF, LIPS_STEP_MIN)
            else:
                self._lips_step = min(self._lips_step * LIPS_STEP_REGROW, 1.0)
            self._lips_err = err
        return self._lips_step

    def _lips_follow(self, trial: np.ndarray, reading: float) -> float:
        """The factor the lips' step is divided by: the ratio re-tracked / drawn inner-lip gap on a
        face whose parted lips re-track LIPS_BIAS_FREE farther apart than drawn, else 1. Updates
        the running averages from this frame's ``trial`` drive and its lips' ``reading``."""
        drawn = self.animator.drawn_gap(trial)
        read = -float(reading) * geometry.MOUTH_CLOSED_GAP_EXTENT
        if np.isfinite(read) and drawn >= LIPS_RATIO_DRAWN and read >= LIPS_RATIO_DRAWN:
            self._lips_ratio += LIPS_RATIO_RATE * (min(read / drawn, LIPS_RATIO_MAX) - self._lips_ratio)
            self._lips_bias += LIPS_RATIO_RATE * (read - drawn - self._lips_bias)
        return max(self._lips_ratio, 1.0) if self._lips_bias >= LIPS_BIAS_FREE else 1.0

    def _hold_within(self, drive: np.ndarray, opening: float) -> None:
        """rest="source", on a face whose parted lips re-track LIPS_BIAS_FREE farther apart than
        drawn: lips the seal moves are never drawn farther apart than the asked gap (``opening``,
        weight units) less that excess, nor than the probed gap that re-tracks as the asked one
        (:meth:`probed_drawn`); lips asked open are drawn at least LIPS_SHOWN apart (or the asked
        gap), a closure's at most LIPS_PRESS past touching. The lips' correction is bisected to
        whichever bound it crosses."""
        if getattr(self.animator.model, "absolute", False) or self._lips_bias < LIPS_BIAS_FREE:
            # rest="neutral" draws the asked gap itself (and _hold_open keeps it open); a face read
            # about as drawn is held by the plain loop (capped there too, 0-f15-hao's --say p95
            # fell 0.28 -> 0.23, under the asked 0.26)
            return
        model = self.animator.model
        if model.photo_gap > LIPS_MEET_GAP and model.seal(np.asarray(drive, np.float32) - model.rest) <= 0.0:
            # nothing moves a parted photo's own lips (a neutral frame, a smile): they are the
            # photo's, which re-track as the photo (the excess is that of lips the seal moved; held
            # to it, 0-f1-su's neutral frames lost its gape and no longer reproduced the photo)
            return
        asked = max(opening, 0.0) * geometry.MOUTH_CLOSED_GAP_EXTENT
        shown = min(asked, LIPS_SHOWN) if asked >= _OPEN_ASKED else -LIPS_PRESS
        ceiling = max(min(asked - self._lips_bias, self.probed_drawn(asked)), shown, 0.0)
        out = self._corrected(drive)
        drawn = self.animator.drawn_gap(out)
        if drawn < shown:
            self.corr[_LIPS] = self._bisect_lips(drive, out, -float(self.limit[_LIPS]), float(self.corr[_LIPS]),
                                                 lambda gap: gap >= shown)[0]
            return
        if drawn <= ceiling:
            return
        self.corr[_LIPS] = self._bisect_lips(drive, out, float(self.corr[_LIPS]), float(self.limit[_LIPS]),
                                             lambda gap: gap > ceiling)[1]

    def drawn_brow_gaps(self, drive: np.ndarray) -> np.ndarray:
        """(2,) inner brow-to-upper-lid gaps (IPD, right and left) the model draws for a (93,)
        drive (no render; :func:`.calibrate.drawn_brow_gaps`)."""
        return drawn_brow_gaps(self.animator, self.animator.model.controls(drive))

    def _brow_heights(self, controls: np.ndarray) -> np.ndarray:
        """(2, 5) heights (IPD, along the face's up axis) of each brow's upper edge (right, left)
        drawn for (K,) template amounts (no render)."""
        anim = self.animator
        ids = self._brow_ids.ravel()
        pts = anim.points[ids, :2] + np.tensordot(np.asarray(controls, np.float32), anim.model.basis[:, ids], axes=1)
        overlap = getattr(anim, "_rest_overlap", None)
        if overlap is not None:
            pts = pts + overlap[ids]
        return (-(pts @ anim.model.frame.rotation[:, 1]) / anim.model.frame.sx).reshape(self._brow_ids.shape)

    def drawn_brow_rise(self, drive: np.ndarray) -> np.ndarray:
        """(2,) the highest rise (IPD) of any point of each brow's upper edge (right, left) above
        the rest as drawn, for a (93,) drive (no render)."""
        return (self._brow_heights(self.animator.model.controls(drive)) - self._brow_rest).max(axis=1)

    def _hold_brow_raise(self, drive: np.ndarray) -> None:
        """Each side's brow is drawn no higher than BROW_RAISE_MAX above the rest: where the
        corrected ``drive`` (93,) passes it, that side's raising corrections (inner and outer
        raise) are scaled back together by bisection to the largest share that keeps the bound; where
        the request alone passes it, they go below zero together (down to -LIMIT) until it holds."""
        if self._brow_rest is None:
            return
        out = self._corrected(drive)
        above = self.drawn_brow_rise(out) > BROW_RAISE_MAX
        for k in range(len(SIDES)):
            if not above[k]:
                continue
            slots = np.array(_BROW_RAISE_SLOTS[k])
            up = np.maximum(self.corr[slots], 0.0).astype(np.float32)
            if not self._scale_back(drive, out, slots, up,
                                    lambda o, k=k: bool(self.drawn_brow_rise(o)[k] <= BROW_RAISE_MAX)):
                # the request itself passes the bound (a curve calibrated on a tracker that
                # under-reads raised brows): the raising corrections go negative, down to -LIMIT
                base = np.minimum(self.corr[slots] - up, 0.0)

                def lowered_holds(c: float) -> bool:
                    out[self.index[slots]] = drive[self.index[slots]] + np.minimum(base, c)
                    return bool(self.drawn_brow_rise(out)[k] <= BROW_RAISE_MAX)

                lo = -float(self.limit[slots].min())
                self.corr[slots] = np.minimum(base, _bisect(lowered_holds, lo, 0.0)[1] if lowered_holds(lo) else lo)
                out[self.index[slots]] = drive[self.index[slots]] + self.corr[slots]

    def _drawn_points(self, drive: np.ndarray) -> np.ndarray | None:
        """(478, 3) the re-tracked photo's landmarks (normalised) moved by what the model draws for
        a (93,) ``drive``: the controls' templates and the rest's overlap motion (no render, no head
        pose); None without a photo or a basis."""
        if self._photo_lm is None or getattr(self.animator.model, "basis", None) is None:
            return None
        anim = self.animator
        motion = np.tensordot(np.asarray(anim.model.controls(drive), np.float32), anim.model.basis, axes=1)
        overlap = getattr(anim, "_rest_overlap", None)
        if overlap is not None:
            motion = motion + overlap
        pts = self._photo_lm.copy()
        pts[:, :2] += motion / np.asarray(self.size, np.float64)
        return pts

    def drawn_extents(self, drive: np.ndarray) -> np.ndarray:
        """(2,) the extents (weight units: measure / full extent) the model draws for a (93,)
        ``drive`` on the slots DRAWN_MAX bounds (BrowPinch right, left): the
        re-tracked photo's landmarks moved by the controls' templates and the rest's overlap
        motion, measured against the photo (no render, no head pose); NaN without a photo."""
        return self._drawn_channel(drive, geometry.brow_pinch_one, _DRAWN_SLOTS)

    def _hold_drawn(self, drive: np.ndarray, target: np.ndarray) -> None:
        """The drawn-extent bounds: the brow pinch within DRAWN_MAX x its ask (:meth:`drawn_extents`;
        down to -LIMIT, the request itself taken back where it alone passes the bound), the nose
        sneer within SNEER_DRAWN_MAX x its ask (:meth:`sneer_drawn`; never below the request), the
        upper lip lowered within UPPER_LOWER_MAX x its ask (:meth:`upper_lip_drawn`; never above the
        request)."""
        self._hold_within_drawn(drive, target, _DRAWN_SLOTS, self.drawn_extents, DRAWN_MAX, keep_request=False)
        self._hold_within_drawn(drive, target, _SNEER_SLOTS, self.sneer_drawn, SNEER_DRAWN_MAX, keep_request=True)
        self._hold_within_drawn(drive, target, _UPPER_SLOTS, self.upper_lip_drawn, UPPER_LOWER_MAX, keep_request=True,
                                lowering=True)

    def _hold_within_drawn(self, drive: np.ndarray, target: np.ndarray, slots, measure, most: float, *,
                           keep_request: bool, lowering: bool = False) -> None:
        """Each of ``slots`` whose ``target`` (len(LOOP),; weight units) asks at least ACTIVE is drawn
        no further than ``most`` x the target (in the target's direction), the drawn extents read by
        ``measure`` ((93,) drive -> (len(slots),)): where the corrected ``drive`` (93,) passes it,
        the slot's correction is bisected back to the largest that keeps the bound. ``keep_request``:
        only raising asks (``lowering``: only lowering asks) are bounded and never past the request
        back (correction towards the ask >= 0); otherwise the correction goes down to -LIMIT where
        the request alone passes the bound."""
        asks = [float(target[slot]) for slot in slots]
        way = -1.0 if lowering else 1.0  # the asks' direction that keep_request bounds

        def bounded(a: float) -> bool:
            return (way * a if keep_request else abs(a)) >= ACTIVE

        # most frames ask neither: measuring the drawn face (~0.5 ms) only where one is asked
        if self._photo_lm is None or not any(bounded(a) for a in asks):
            return
        out = self._corrected(drive)
        ext = measure(out)
        for j, (slot, asked) in enumerate(zip(slots, asks)):
            if not bounded(asked) or not np.isfinite(ext[j]):
                continue
            sign, bound = float(np.sign(asked)), most * abs(asked)
            if sign * float(ext[j]) <= bound:
                continue
            i = self.index[slot]

            def holds(u: float, j=j, i=i, sign=sign, bound=bound) -> bool:  # u: correction towards the ask
                out[i] = drive[i] + sign * u
                return bool(sign * float(measure(out)[j]) <= bound)

            lo, u0 = (0.0 if keep_request else -float(self.limit[slot])), sign * float(self.corr[slot])
            u = (_bisect(holds, lo, u0)[0] if holds(lo) else lo) if u0 > lo else u0
            self.corr[slot] = sign * u
            out[i] = drive[i] + self.corr[slot]

    def _drawn_channel(self, drive: np.ndarray, measure, slots) -> np.ndarray:
        """(len(slots),) one sided measure (``measure(landmarks, size, rest)`` -> (2,) IPD, left and
        right, as :func:`.geometry.measure`'s) on the landmarks the model draws for a (93,)
        ``drive``, in weight units (/ the slot's channel's full extent); NaN without a photo."""
        out = np.full(len(slots), np.nan, np.float32)
        pts = self._drawn_points(drive)
        if pts is None:
            return out
        value = np.asarray(measure(pts, self.size, self.rest), np.float64)
        for j, slot in enumerate(slots):
            ch = geometry.CHANNELS[LOOP[slot][1]]
            out[j] = float(value[ch.side]) / ch.full_extent
        return out

    def upper_lip_drawn(self, drive: np.ndarray) -> np.ndarray:
        """(2,) the upper lip's raise (weight units: border raise at 267/37 / full extent, right and
        left) the model draws for a (93,) ``drive``, measured as :meth:`sneer_drawn`; NaN without a
        photo."""
        return self._drawn_channel(drive, geometry.upper_lip_raise, _UPPER_SLOTS)

    def sneer_drawn(self, drive: np.ndarray) -> np.ndarray:
        """(2,) the nose sneer (weight units: nose-wing raise / full extent, right and left) the
        model draws for a (93,) ``drive``: the re-tracked photo's landmarks moved by the controls'
        templates and the rest's overlap motion, measured against the photo (no render, as
        :meth:`drawn_extents`); NaN without a photo."""
        return self._drawn_channel(drive, lambda *a: geometry.measure(*a).nose_wing_raise, _SNEER_SLOTS)

    def _scale_back(self, drive: np.ndarray, out: np.ndarray, slots: np.ndarray, push: np.ndarray,
                    ok) -> bool:
        """Scale the part ``push`` of the corrections in ``slots`` back together, by bisection, to
        the largest share for which ``ok(out)`` holds (``out``: the corrected (93,) drive, written
        as tested and left at the kept corrections). False, with nothing changed, where even none of
        ``push`` holds: the request itself passes the bound, the caller's case."""
        keep = self.corr[slots] - push

        def holds(share: float) -> bool:
            out[self.index[slots]] = drive[self.index[slots]] + keep + share * push
            return bool(ok(out))

        if not holds(0.0):
            return False
        self.corr[slots] = keep + _bisect(holds, 0.0, 1.0)[0] * push
        out[self.index[slots]] = drive[self.index[slots]] + self.corr[slots]
        return True

    def _lid_gaps(self, controls: "np.ndarray | None", motion: "np.ndarray | None" = None) -> np.ndarray:
        """(2,) mid-eye lid gaps (IPD, right and left: the mean over the lids' seven inner points)
        drawn for (K,) template amounts, or moved by ``motion`` (478, 2) px alone (no render)."""
        anim = self.animator
        ids = self._lid_ids.ravel()
        move = motion[ids] if controls is None else np.tensordot(np.asarray(controls, np.float32),
                                                                  anim.model.basis[:, ids], axes=1)
        pts = (move if controls is None else anim.points[ids, :2] + move).reshape(*self._lid_ids.shape, 2)
        return (pts[:, 1] - pts[:, 0]).mean(axis=1) @ anim.model.frame.rotation[:, 1] / anim.model.frame.sx

    def drawn_lid_gaps(self, drive: np.ndarray) -> np.ndarray:
        """(2,) mid-eye lid gaps (IPD, right and left) the model draws for a (93,) drive (the
        rest's overlap motion included)."""
        return self._lid_gaps(self.animator.model.controls(drive)) + self._lid_overlap

    def _hold_lids_asked_open(self, drive: np.ndarray) -> None:
        """No closing correction on an eye whose (93,) ``drive`` asks a closure, relative to the
        rest, below EYE_ASKED_OPEN (the upper lid drawn where the request puts it, or higher)."""
        rest = self.animator.model.rest
        for slot, i in zip(_CLOSURE_SLOTS, (DRIVE_CLOSE_RIGHT, DRIVE_CLOSE_LEFT)):
            if float(drive[i]) - float(rest[i]) < EYE_ASKED_OPEN:
                self.corr[slot] = min(float(self.corr[slot]), 0.0)

    def _hold_eyes_open(self, drive: np.ndarray, target: np.ndarray) -> None:
        """Each eye whose frame asks a closure below EYE_FLOOR_BELOW (``target``, weight units: the
        share of the photo's aperture closed) is drawn at least EYE_OPEN_FLOOR of the lid gap that
        asks; where the corrected ``drive`` (93,) passes it, that side's closure correction is
        scaled back by bisection, below zero (down to -LIMIT) where the request alone passes it,
        and then the squint's (the lower lid it raises), likewise."""
        if self._lid_gap0 is None:
            return
        out = self._corrected(drive)
        asked = np.array([float(target[k]) for k in _CLOSURE_SLOTS])
        floor = EYE_OPEN_FLOOR * self._lid_gap0 * (1.0 - np.clip(asked, 0.0, 1.0))
        below = (asked < EYE_FLOOR_BELOW) & (self.drawn_lid_gaps(out) < floor)
        for k in np.flatnonzero(below):
            for slot in _EYE_CLOSING_SLOTS[k]:  # the closure first, then the squint's lower lid
                i = self.index[slot]

                def holds(c: float) -> bool:
                    out[i] = drive[i] + c
                    return bool(self.drawn_lid_gaps(out)[k] >= floor[k])

                c0 = float(self.corr[slot])
                lo = min(-float(self.limit[slot]), c0)
                done = holds(lo)
                self.corr[slot] = _bisect(holds, lo, c0)[0] if done else lo
                out[i] = drive[i] + self.corr[slot]
                if done:
                    break

    def _hold_brows(self, drive: np.ndarray) -> None:
        """Each side's inner brow is drawn no closer to its upper lid than :attr:`brow_floor`:
        where the corrected ``drive`` (93,) crosses it, that side's corrections that bring the
        brow down (a lowering or pinch added, an inner raise taken off) are scaled back together,
        and if the request itself still crosses it the lowering's correction goes below zero
        (down to -LIMIT); each by bisection (eight halvings) to the largest that keeps the floor."""
        if self.brow_floor is None:
            return
        out = self._corrected(drive)
        crossing = self.drawn_brow_gaps(out) < self.brow_floor
        for k, side in enumerate(SIDES):
            if not crossing[k]:
                continue
            lowering = _BROW_LOWER_SLOTS[k]
            slots = np.array([lowering, _SLOT[f"BrowPinch{side.capitalize()}"], _SLOT[f"BrowInnerUp{side.capitalize()}"]])
            sign = np.array([1.0, 1.0, -1.0])  # the direction that brings the inner brow down
            down = np.where(self.corr[slots] * sign > 0, self.corr[slots], 0.0).astype(np.float32)
            if self._scale_back(drive, out, slots, down,
                                lambda o, k=k: bool(self.drawn_brow_gaps(o)[k] >= self.brow_floor[k])):
                continue
            # the request itself crosses the floor: the lowering's correction goes negative
            self.corr[slots] = self.corr[slots] - down
            i = self.index[lowering]

            def lowering_holds(c: float) -> bool:
                out[i] = drive[i] + c
                return bool(self.drawn_brow_gaps(out)[k] >= self.brow_floor[k])

            self.corr[lowering] = _bisect(lowering_holds, -float(self.limit[lowering]), float(self.corr[lowering]))[0]
            out[i] = drive[i] + self.corr[lowering]

    def _lips_start(self) -> tuple[float, float]:
        """(ratio, excess) the running averages start from: the calibration probes' mean over
        those drawn and read open (LIPS_RATIO_DRAWN), else "read as drawn" (1, 0)."""
        if self.lips_probe is None:
            return 1.0, 0.0
        drawn, read = self.lips_probe
        # (a probe drawn at LIPS_RATIO_DRAWN itself is sealed lips, mouth.SEAL_OPEN: its reading is
        # how the seal's drawing reads, 0.02-0.05, not the tracker's bias on parted lips)
        ok = (drawn > LIPS_RATIO_DRAWN) & (read >= LIPS_RATIO_DRAWN)
        if not ok.any():
            return 1.0, 0.0
        return (float(np.mean(np.minimum(read[ok] / drawn[ok], LIPS_RATIO_MAX))),
                float(np.mean(read[ok] - drawn[ok])))

    def probed_drawn(self, gap: float) -> float:
        """The drawn inner-lip gap (IPD) whose re-tracked reading is ``gap`` by the calibration's
        probes (their rising envelope, from closed lips read closed; past the widest probe the
        excess stays the last probe's); ``inf`` without probes."""
        if self.lips_probe is None:
            return float("inf")
        drawn, read = self.lips_probe
        d = np.concatenate([[0.0], drawn])
        r = np.maximum.accumulate(np.concatenate([[0.0], read]))
        if gap >= r[-1]:
            return float(d[-1] + gap - r[-1])
        return float(np.interp(gap, r + np.arange(len(r)) * 1e-6, d))

    def _bisect_lips(self, drive: np.ndarray, out: np.ndarray, lo: float, hi: float, wider) -> tuple[float, float]:
        """Bisect the lips' correction (+ closes) in ``[lo, hi]``, eight halvings: a correction whose
        drawn gap satisfies ``wider(gap)`` becomes the new ``lo``, any other the new ``hi``. ``out`` is
        the corrected drive (its lips' entry is overwritten). Returns the final ``(lo, hi)``."""
        def holds(c: float) -> bool:
            out[DRIVE_LIPS_CLOSED] = drive[DRIVE_LIPS_CLOSED] + c
            return bool(wider(self.animator.drawn_gap(out)))

        return _bisect(holds, lo, hi)

    def _hold_shapes(self, drive: np.ndarray) -> None:
        """Where the model draws the frame's lip shapes farther apart than the relation counts
        (:meth:`lip_shapes_allowance`'s excess > 0), the lips' correction opens them by at most
        (1 - share) of its limit (the jaw's part of the opening): opening them further only chases
        a tracker that reads the drawn lips closer than drawn (the comment at _LIP_SHAPES)."""
        excess, share = self.lip_shapes_allowance(drive)
        if excess > 0.0:
            self.corr[_LIPS] = max(float(self.corr[_LIPS]), -(1.0 - share) * float(self.limit[_LIPS]))

    def _hold_open(self, drive: np.ndarray, opening: float) -> None:
        """Lips asked open (``opening``, weight units) are never drawn closer than OPEN_FLOOR of
        the asked gap: where the slots' corrections (the lips' own, or an upper-lip raise chasing a
        toothy photo's reading) would shut them, the lips' correction opens them back."""
        asked = opening * geometry.MOUTH_CLOSED_GAP_EXTENT  # IPD
        if asked < _OPEN_ASKED or not getattr(self.animator.model, "absolute", False):
            # rest="neutral" only: there the rest closes the lips exactly and the drawn gap is the
            # asked one; over a gaping photo's own gap (rest="source") the seal relaxes the lips and
            # their drawn middle is not what shows (--say on 0-f1-su with the floor: median gap
            # 0.05 -> 0.24 IPD, the loop's closing held off)
            return
        floor = OPEN_FLOOR * asked
        out = self._corrected(drive)
        if self.animator.drawn_gap(out) >= floor:
            return
        self.corr[_LIPS] = self._bisect_lips(drive, out, -float(self.limit[_LIPS]), float(self.corr[_LIPS]),
                                             lambda gap: gap >= floor)[0]

    def reset(self) -> None:
        """Forget the carried correction (a new clip)."""
        self._drain()
        self.guard.clear(np.ones(len(LOOP), bool))
        self.corr[:] = 0.0
        self._prev = None
        self._since_open = CLOSURE_TRIAL_FRAMES + 1
        self._lip_share = 0.0
        self._close_corr = 0.0
        self._lips_ratio, self._lips_bias = self._lips_start()
        self._lips_step, self._lips_err = 1.0, 0.0

    def close(self) -> None:
        """Wait for the re-tracks still running and stop the loop's thread (the shared landmarker
        stays open; a caller's own tracker stays the caller's)."""
        self._drain()
        self._retracker.close()

