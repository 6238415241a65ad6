"""Timed phones -> Rhubarb mouth shapes (A–H, X) with animation rules.

The rules follow Rhubarb Lip Sync's animation layer (spec §1.5) where it helps the picture, but
pick each phone's *canonical* shape (the README's description: P/B/M -> A, EE -> B, AA -> D …)
instead of Rhubarb's "closest to the previous shape", which is what makes Rhubarb's output lag
its own phones. :func:`animate` applies one function per rule, in this order, all on a 10 ms
(centisecond) grid of :data:`Segment` lists:

1. :func:`phone_segments`: phones -> shapes (diphthongs split 60/40, HH takes the next sound's
   shape); :func:`fill_gaps`: holes become pauses, everything is clipped to the file;
2. :func:`shape_pauses`: short pauses hold the previous shape, medium ones relax it, longer ones
   rest (X);
3. :func:`anticipate`: the mouth starts moving out of rest a little before the sound;
4. :func:`stretch_closures`, :func:`keep_vowels_visible` then :func:`merge_short_shapes` (minimum
   durations): lip closures (A) are stretched to ``min_closure`` — missed closures are the most
   visible lip-sync error —, short vowel openings (C–F) are stretched to ``min_duration`` by
   shifting their neighbours (a syllable whose mouth never opens is the next most visible), and
   other shapes shorter than ``min_duration`` are merged into a neighbour;
5. :func:`insert_tweens`: D -> A/X/B pass through C, C/D -> F through E ("pop open, close slowly");
6. :func:`avoid_static_segments`: Rhubarb's rule that a shape held >= 75 cs across >= 3 syllables
   gets its middle vowel changed (B -> C, C -> B, …) so the mouth does not freeze;
7. :func:`restrict_shapes`: shapes outside ``--extended-shapes`` become their basic shape
   (G->A, H->C, X->A), and the cues are made.

Every rule takes segments and returns new ones (its input is left alone), so each can be tested
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from ..phonetics.phones import NOISE, SILENCE, Phone

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
    # Stretch vowel openings (C-F) shorter than min_duration into their neighbours instead of
    # merging them away: Spanish/Italian MBROLA voices speak 17-30 ms vowels between 65 ms
    # consonants, and merging lost 18 points of macro recall even from the true phones
    keep_vowels: bool = True
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


#: One stretch of mouth shape on the centisecond grid: ``[start_cs, end_cs, shape, is_pause]``.
#: ``is_pause`` marks silence not yet decided by :func:`shape_pauses`. Lists, not tuples: the
#: rules adjust boundaries of neighbours in place while they walk along (on their own copy).
Segment = list
#: Length of an in-between shape (Rhubarb's tweens), centiseconds.
TWEEN_CS = 5


def _cs(t: float) -> int:
    return int(round(t * 100))


def _copy(segs: list[Segment]) -> list[Segment]:
    return [list(s) for s in segs]


def phone_segments(phones: list[Phone]) -> list[Segment]:
    """[start_cs, end_cs, shape, is_pause] per phone (diphthongs split)."""
    segs: list[Segment] = []
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


def _merge_equal(segs: list[Segment]) -> list[Segment]:
    """Copies of ``segs`` without empty segments, equal neighbours (shape and pause) joined."""
    out: list[Segment] = []
    for s in segs:
        if s[1] <= s[0]:
            continue
        if out and out[-1][2] == s[2] and out[-1][3] == s[3]:
            out[-1][1] = s[1]
        else:
            out.append(list(s))
    return out


def fill_gaps(segs: list[Segment], total: int) -> list[Segment]:
    """Segments tiling ``[0, total)`` cs: holes become pauses (X), overlaps and the tail are cut.

    Parameters
    ----------
    segs : list of Segment
        Phone segments in start order (from :func:`phone_segments`).
    total : int
        Length of the audio in centiseconds.
    """
    filled: list[Segment] = []
    t = 0
    for a, b, shape, pause in segs:
        a, b = max(a, t), min(b, total)
        if b <= a:  # overlapped by the previous phone, or past the end of the file
            continue
        if a > t:
            filled.append([t, a, "X", True])
        filled.append([a, b, shape, pause])
        t = b
    if t < total:
        filled.append([t, total, "X", True])
    return _merge_equal(filled)


def shape_pauses(segs: list[Segment], hold_cs: int, relax_cs: int) -> list[Segment]:
    """Decide the shape of every pause (Rhubarb's pause rules).

    A pause at either end of the file or longer than ``relax_cs`` rests (X); one shorter than
    ``hold_cs`` keeps the previous shape; one in between relaxes the previous shape
    (:data:`RELAX`), unless that is what comes next (then X, so the mouth still moves).
    Afterwards no segment is marked as a pause.
    """
    segs = _copy(segs)
    for i, s in enumerate(segs):
        if not s[3]:
            continue
        inside = 0 < i < len(segs) - 1
        n = s[1] - s[0]
        if not inside or n > relax_cs:
            s[2] = "X"
        elif n < hold_cs:
            s[2] = segs[i - 1][2]
        else:
            r = RELAX.get(segs[i - 1][2], "B")
            nxt = segs[i + 1][2]
            s[2] = r if r != nxt else ("X" if r != "X" else "B")
        s[3] = False
    return _merge_equal(segs)


def anticipate(segs: list[Segment], lead_cs: int) -> list[Segment]:
    """Leave rest (X) up to ``lead_cs`` before each sound (Rhubarb's anticipation).

    A rest between sounds keeps at least 1 cs; the rest at the start of the file may vanish.
    """
    segs = _copy(segs)
    for i in range(1, len(segs)):
        if segs[i - 1][2] == "X" and segs[i][2] != "X" and lead_cs:
            room = segs[i - 1][1] - segs[i - 1][0]
            shift = min(lead_cs, room - 1) if i - 1 > 0 else min(lead_cs, room)
            if shift > 0:
                segs[i - 1][1] -= shift
                segs[i][0] -= shift
    return _merge_equal(segs)


def stretch_closures(segs: list[Segment], min_closure_cs: int) -> list[Segment]:
    """Stretch every lip closure (A) shorter than ``min_closure_cs`` into its neighbours.

    The left neighbour gives up to half the missing time (the odd centisecond too), the right one
    the rest; neither is left shorter than 1 cs. What the right side cannot give is not taken
    from the left, so a closure before a very short shape may stay under ``min_closure_cs``.
    """
    segs = _copy(segs)
    for s_i in range(len(segs)):
        s = segs[s_i]
        if s[2] == "A" and s[1] - s[0] < min_closure_cs:
            need = min_closure_cs - (s[1] - s[0])
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
    return _merge_equal(segs)


#: Shapes that open the mouth for a vowel (or W); :func:`keep_vowels_visible` keeps them.
VOWEL_OPENINGS = "CDEF"


def keep_vowels_visible(segs: list[Segment], min_duration_cs: int, min_closure_cs: int) -> list[Segment]:
    """Stretch vowel openings (:data:`VOWEL_OPENINGS`) to ``min_duration_cs`` by shifting neighbours.

    The missing time is taken from whichever neighbour has more to spare, one centisecond at a
    time; a neighbour keeps at least ``min_duration_cs`` (a closure (A) ``min_closure_cs``), so
    no closure or other kept shape is shortened below its own minimum. A vowel whose neighbours
    cannot give enough stays short and is left to :func:`merge_short_shapes`.

    Parameters
    ----------
    segs : list of Segment
        Contiguous segments with decided shapes (after :func:`stretch_closures`).
    min_duration_cs, min_closure_cs : int
        Minimum shape and closure lengths, centiseconds.
    """
    segs = _copy(segs)

    def spare(k: int) -> int:
        if k < 0 or k >= len(segs):
            return 0
        a, b, shape, _ = segs[k]
        return (b - a) - (min_closure_cs if shape == "A" else min_duration_cs)

    for i, s in enumerate(segs):
        if s[2] not in VOWEL_OPENINGS:
            continue
        need = min_duration_cs - (s[1] - s[0])
        if need <= 0 or spare(i - 1) + spare(i + 1) < need:
            continue
        for _ in range(need):
            if spare(i + 1) > spare(i - 1):  # on a tie the left gives: the vowel starts earlier
                segs[i + 1][0] += 1
                s[1] += 1
            else:
                segs[i - 1][1] -= 1
                s[0] -= 1
    return _merge_equal(segs)


def merge_short_shapes(segs: list[Segment], min_duration_cs: int, min_closure_cs: int) -> list[Segment]:
    """Merge shapes shorter than ``min_duration_cs`` into a neighbour, shortest first (no flicker).

    Closures (A) always stay; a rest (X) stays when it lasts ``min(min_closure_cs,
    min_duration_cs)``. A short shape goes to the longer neighbour, except that C joins a
    neighbouring D (Rhubarb prefers the wider opening) and nothing is merged into a closure
    while the other side can take it.
    """
    segs = _copy(segs)
    changed = True
    while changed and len(segs) > 1:
        changed = False
        order = sorted(range(len(segs)), key=lambda k: segs[k][1] - segs[k][0])
        for k in order:
            s = segs[k]
            n = s[1] - s[0]
            if n >= min_duration_cs:
                break
            if s[2] in "AX" and n >= min(min_closure_cs, min_duration_cs):
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
    return segs


def insert_tweens(segs: list[Segment], min_duration_cs: int) -> list[Segment]:
    """Insert Rhubarb's in-between shapes (:data:`TWEENS`), :data:`TWEEN_CS` long.

    An ``early``/``centre`` tween takes the end of the first shape, a ``late`` one the start of
    the second; only where that shape keeps at least ``min_duration_cs``.
    """
    segs = _copy(segs)
    out: list[Segment] = []
    for i, s in enumerate(segs):
        out.append(s)
        if i + 1 >= len(segs):
            break
        nxt = segs[i + 1]
        tw = TWEENS.get((s[2], nxt[2]))
        if tw is None:
            continue
        shape, where = tw
        if where == "early" or where == "centre":
            if s[1] - s[0] >= TWEEN_CS + min_duration_cs:
                s[1] -= TWEEN_CS
                out.append([s[1], s[1] + TWEEN_CS, shape, False])
        else:  # late: taken from the next segment (a long X after D)
            if nxt[1] - nxt[0] >= TWEEN_CS + min_duration_cs:
                nxt[0] += TWEEN_CS
                out.append([nxt[0] - TWEEN_CS, nxt[0], shape, False])
    return _merge_equal(out)


# The alternative shape a vowel takes to break a static segment: the neighbouring opening
# (Rhubarb's example is B -> C on a vowel).
STATIC_ALTERNATIVE = {"B": "C", "C": "B", "D": "C", "E": "C", "F": "E", "G": "B", "H": "C"}
MIN_STATIC_SYLLABLES = 3


def avoid_static_segments(segs: list[Segment], phones: list[Phone], total: int, min_len: int) -> list[Segment]:
    """Rhubarb's staticSegments rule: split shapes held >= ``min_len`` cs over >= 3 syllables.

    The vowel nearest the middle of such a run takes :data:`STATIC_ALTERNATIVE` of the shape;
    repeated until no run qualifies (each split at least halves a run, so this ends).

    Parameters
    ----------
    segs : list of Segment
    phones : list of Phone
        The phones the segments came from (their vowels are the syllables).
    total : int
        Length of the audio in centiseconds.
    min_len : int
        Centiseconds a shape must be held to count as static.
    """
    import numpy as np

    from ..phonetics.phones import VOWELS

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


def restrict_shapes(segs: list[Segment], extended_shapes: str) -> list[MouthCue]:
    """Cues using only the basic shapes plus ``extended_shapes`` (others -> :data:`BASIC_OF`)."""
    allowed = BASIC_SHAPES + extended_shapes
    merged: list[list] = []
    for a, b, shape, _ in segs:
        if shape not in allowed:
            shape = BASIC_OF[shape]
        if merged and merged[-1][2] == shape:
            merged[-1][1] = b
        else:
            merged.append([a, b, shape])
    return [MouthCue(a / 100, b / 100, s) for a, b, s in merged]


def animate(phones: list[Phone], duration: float, options: AnimationOptions | None = None) -> list[MouthCue]:
    """Mouth cues covering ``[0, duration]`` for timed phones.

    Parameters
    ----------
    phones : list of Phone
        Timed phones (any order; gaps are silence).
    duration : float
        Length of the audio in seconds; the last cue ends here.
    options : AnimationOptions, optional
        Which rules apply and their settings.

    Returns
    -------
    list of MouthCue
        Contiguous cues on a centisecond grid, the first at 0, equal neighbours merged.
    """
    opt = options or AnimationOptions()
    total = max(_cs(duration), 1)
    min_d, min_a = max(_cs(opt.min_duration), 1), max(_cs(opt.min_closure), 1)
    segs = fill_gaps(phone_segments(sorted(phones, key=lambda p: p.start)), total)
    segs = shape_pauses(segs, _cs(opt.hold_pause), _cs(opt.relax_pause))
    segs = anticipate(segs, _cs(opt.anticipation))
    segs = stretch_closures(segs, min_a)
    if opt.keep_vowels:
        segs = keep_vowels_visible(segs, min_d, min_a)
    segs = merge_short_shapes(segs, min_d, min_a)
    if opt.tweens:
        segs = insert_tweens(segs, min_d)
    if opt.avoid_static:
        segs = avoid_static_segments(segs, phones, total, _cs(opt.static_duration))
    return restrict_shapes(segs, opt.extended_shapes)
