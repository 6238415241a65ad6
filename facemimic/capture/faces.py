"""Stable face ids across frames: the same person keeps the same ``face_id``.

Each frame's faces are matched to the known ids by a cost that mixes box-centre distance (in units
of the face's size) and IoU, solved optimally (Hungarian, ``scipy.optimize.linear_sum_assignment``
when SciPy is present, else greedy cheapest-first). Pairs farther apart than the gate are not
matched: the face gets a new id. An id unseen for ``retire_after`` seconds is retired and never
reused. With ``max_faces=1`` there is only ever one person to follow, so every face is id 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .landmarker import box_iou

# A face may move this many face-widths between consecutive matches and keep its id.
MAX_CENTRE_DISTANCE = 1.5


@dataclass
class KnownFace:
    """What the tracker remembers about one id."""

    face_id: int
    box: tuple[float, float, float, float]  # last landmark box, normalised to frame size (0..1)
    last_seen: float  # time (s) of the last match
    first_seen: float
    retired: bool = False


@dataclass
class FaceIdTracker:
    """Assigns ids to per-frame detections.

    Parameters
    ----------
    single : bool
        One-face mode: every detection is id 0 and the id never retires.
    retire_after : float
        Seconds without a match after which an id is retired.
    """

    single: bool = False
    retire_after: float = 2.0
    faces: dict[int, KnownFace] = field(default_factory=dict)
    _next_id: int = 0

    def active_ids(self) -> list[int]:
        """Ids that are not retired, in ascending order."""
        return sorted(i for i, f in self.faces.items() if not f.retired)

    def assign(self, boxes: list[tuple[float, float, float, float]], time: float) -> list[int]:
        """Ids for this frame's detections (``boxes`` normalised to 0..1, same order returned).

        Retires ids not seen for ``retire_after`` seconds (before matching), so a face that comes
        back after that gets a new id.
        """
        if self.single:
            if boxes:
                self._remember(0, boxes[0], time)
            return [0] * len(boxes)
        for f in self.faces.values():
            if not f.retired and time - f.last_seen > self.retire_after:
                f.retired = True
        known = [f for f in self.faces.values() if not f.retired]
        ids: list[int | None] = [None] * len(boxes)
        if known and boxes:
            cost = np.full((len(boxes), len(known)), np.inf)
            for i, b in enumerate(boxes):
                for j, k in enumerate(known):
                    c = _cost(b, k.box)
                    if c <= MAX_CENTRE_DISTANCE:
                        cost[i, j] = c
            for i, j in _match(cost):
                ids[i] = known[j].face_id
        out = []
        for i, b in enumerate(boxes):
            fid = ids[i]
            if fid is None:
                fid = self._next_id
                self._next_id += 1
            self._remember(fid, b, time)
            out.append(fid)
        return out

    def _remember(self, fid: int, box, time: float) -> None:
        f = self.faces.get(fid)
        if f is None:
            self.faces[fid] = KnownFace(fid, tuple(box), time, time)
            self._next_id = max(self._next_id, fid + 1)
        else:
            f.box, f.last_seen, f.retired = tuple(box), time, False


def _cost(a, b) -> float:
    """Centre distance in face widths, minus a bonus for overlap (0 for identical boxes)."""
    size = max(1e-6, math.sqrt(max(1e-12, (b[2] - b[0]) * (b[3] - b[1]))))
    ca = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2)
    cb = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    dist = math.hypot(ca[0] - cb[0], ca[1] - cb[1]) / size
    return dist * (1.0 - 0.5 * box_iou(a, b))


def _match(cost: np.ndarray) -> list[tuple[int, int]]:
    """Minimum-cost one-to-one pairs among finite entries."""
    finite = np.isfinite(cost)
    if not finite.any():
        return []
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:  # greedy: cheapest pair first
        pairs, used_r, used_c = [], set(), set()
        for flat in np.argsort(cost, axis=None):
            r, c = np.unravel_index(flat, cost.shape)
            if not finite[r, c]:
                break
            if r not in used_r and c not in used_c:
                pairs.append((int(r), int(c)))
                used_r.add(r)
                used_c.add(c)
        return pairs
    big = np.where(finite, cost, 1e9)
    rows, cols = linear_sum_assignment(big)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if finite[r, c]]
