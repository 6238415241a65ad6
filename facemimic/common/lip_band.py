"""Closed lips drawn from a photo's own lips: where each point of a drawn lip takes its pixel.

A photo whose lips are apart (a toothy smile, a gape) shows them stretched thin at the sides,
thinning into the dark junction of the open mouth's corners; drawn shut at a relaxed mouth's shape
by a warp (the portrait) or a texture laid out on a neutral face (the 3D avatar), the lips' sides
took that junction's shadow and skin and the closed mouth read as a small pursed one in the middle
of a wide mouth. Here a point a share ``t`` of the way across a drawn lip (its seam -> its outer
edge) takes the photo's pixel the same share across the photo's lip (its inner edge, less an inset,
-> its outer edge), and along the mouth the drawn seam's ends take the photo's lips at ``c`` of their
half width (where they still keep half their middle's height, over a neutral lip's
:data:`HALF_NEUTRAL`, at most :data:`REACH_OPEN`); from there to the outer corners, the photo's own
corners (their shading tapers the lips into them).

Used by :meth:`facemimic.animate.portrait.mouth.MouthPainter.seal` (the 3D avatar's texture was
tried the same way in session 29 and not kept: docs/journal/avatar3d.md).
"""

from __future__ import annotations

import numpy as np

# MediaPipe's lip chains, corner to corner
LIP_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
# A neutral lip keeps half its middle's height out to this share of the seam's half width
# (population rest profile: 0.58 of the middle at 0.76, 0.31 at 0.90).
HALF_NEUTRAL = 0.8
# The photo's lips are read at most this far out: the seal only serves photos whose lips are apart,
# and an open mouth's lips thin into a dark junction at its corners (a gape's ring as a smile's
# stretched lips). The rest of 14 CK+ smiles and gapes against the sitters' own neutral faces
# (benchmarks/portrait_rest.py): LipPucker 0.209 -> 0.093 and the mouth 0.065 -> 0.037 IPD off the
# sitter's width with the closed lips drawn this way (at 1.0 where the mouth was not drawn narrower:
# 0.140 / 0.051).
REACH_OPEN = 0.7


def lip_chains(points: np.ndarray, down: np.ndarray) -> tuple:
    """The four lip chains of ``points`` (478, 2) px in mouth coordinates: px along ``right`` (u)
    and along ``down`` (v), ``right`` = ``down`` turned a quarter (image x-ish for an upright face).

    Returns
    -------
    tuple
        (inner upper, inner lower, outer upper, outer lower), each (u (11,), v (11,)) sorted by u.
    """
    P = np.asarray(points, np.float64)[:, :2]
    d = np.asarray(down, np.float64)
    right = np.array([-d[1], d[0]])

    def chain(ids):
        q = P[list(ids)]
        u, v = q @ right, q @ d
        o = np.argsort(u)
        return u[o], v[o]

    return tuple(chain(c) for c in (LIP_INNER_UPPER, LIP_INNER_LOWER, LIP_OUTER_UPPER, LIP_OUTER_LOWER))


class PhotoLips:
    """A photo's lips, read for drawing closed lips from them (module docstring).

    Parameters
    ----------
    points : np.ndarray [shape=(478, 2)]
        The photo's landmarks, px.
    down : np.ndarray [shape=(2,)]
        Unit vector towards the chin in the photo.
    """

    def __init__(self, points: np.ndarray, down: np.ndarray) -> None:
        self.down = np.asarray(down, np.float64)
        self.right = np.array([-self.down[1], self.down[0]])
        self.chains = lip_chains(points, self.down)
        iu, il, ou, ol = self.chains
        lo_u, hi_u = min(iu[0][0], il[0][0]), max(iu[0][-1], il[0][-1])
        self.centre, self.half = 0.5 * (lo_u + hi_u), max(0.5 * (hi_u - lo_u), 1.0)
        x = np.linspace(-1, 1, 81)
        uu = self.centre + x * self.half
        reach = []
        for inner, outer, sign in ((iu, ou, 1.0), (il, ol, -1.0)):
            h = sign * (np.interp(uu, *inner) - np.interp(uu, *outer))  # the lip's height along the mouth
            mid = max(float(np.median(h[np.abs(x) <= 0.125])), 1.0)
            for side in (x >= 0, x <= 0):
                order = np.argsort(np.abs(x[side]))
                xs, hs = np.abs(x[side])[order], h[side][order]
                thin = np.flatnonzero(hs < 0.5 * mid)
                reach.append(float(xs[thin[0]]) if len(thin) else 1.0)
        # the share of the half width read for the drawn seam's ends (0.5..REACH_OPEN)
        self.c = float(np.clip(np.mean(reach) / HALF_NEUTRAL, 0.5, REACH_OPEN))

    def positions(self, u: np.ndarray, knots: tuple, t: np.ndarray, upper: bool, inset: float) -> np.ndarray:
        """Where in the photo drawn lip points take their pixels.

        Parameters
        ----------
        u : np.ndarray [shape=(...)]
            Each drawn point's position along its mouth (px, in the drawing's own mouth frame).
        knots : tuple
            The drawing's (outer corner, seam end, seam end, outer corner) along its mouth, ascending.
        t : np.ndarray [shape=(...)]
            Each point's share of the way across its lip, seam (0) -> outer edge (1).
        upper : bool
            Points of the upper lip (else the lower).
        inset : float
            Px of the photo's lip left out along its inner edge (its teeth line, its wet inner edge).

        Returns
        -------
        np.ndarray [shape=(..., 2), dtype=float32]
            Photo pixel positions (x, y).
        """
        iu, il, ou, ol = self.chains
        lo_t, s0, s1, hi_t = knots
        lo_t, hi_t = min(lo_t, s0 - 1.0), max(hi_t, s1 + 1.0)
        us = np.interp(u, (lo_t, s0, s1, hi_t),
                       (ou[0][0], self.centre - self.c * self.half, self.centre + self.c * self.half, ou[0][-1]))
        inner, outer, sgn = (iu, ou, -1.0) if upper else (il, ol, 1.0)
        vi = np.interp(us, *inner) + sgn * inset
        vs = vi + np.asarray(t) * (np.interp(us, *outer) - vi)
        return np.stack([us * self.right[0] + vs * self.down[0], us * self.right[1] + vs * self.down[1]],
                        axis=-1).astype(np.float32)
