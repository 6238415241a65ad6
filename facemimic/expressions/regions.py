"""Face regions as masks over the UE vector, for merging tracks (a mouth over a mood).

A region names UE shapes and, for ``eyes`` and ``head``, the non-shape channels (gaze and
openness, head pose). Masks are float32 in [0, 1] so that blends can be soft at region borders.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..errors import UnknownNameError, suggest
from .names import N_UE, UE_NAMES


def _names(pred) -> tuple[str, ...]:
    return tuple(n for n in UE_NAMES if pred(n))


REGIONS = MappingProxyType({
    "eyes": _names(lambda n: n.startswith(("EyeSquint", "EyeWide"))),
    "brows": _names(lambda n: n.startswith("Brow")),
    "nose": _names(lambda n: n.startswith(("Nasal", "NoseSneer"))),
    "cheeks": _names(lambda n: n.startswith("Cheek")),
    "jaw": _names(lambda n: n.startswith("Jaw")),
    "mouth": _names(lambda n: n.startswith(("Mouth", "Lip"))),
    "tongue": _names(lambda n: n.startswith(("Tongue", "SoftPalate", "Throat"))),
    "neck": _names(lambda n: n.startswith("NeckFlex")),
    "head": (),  # head pose only
})
# Composite regions users name most often.
COMPOSITES = MappingProxyType({
    "speech": ("jaw", "mouth", "tongue"),  # what lip sync owns
    "upper": ("eyes", "brows", "nose", "cheeks"),
    "face": ("eyes", "brows", "nose", "cheeks", "jaw", "mouth", "tongue", "neck"),
    "all": ("eyes", "brows", "nose", "cheeks", "jaw", "mouth", "tongue", "neck", "head"),
})

REGION_CHOICES = tuple(REGIONS) + tuple(COMPOSITES)


def expand_regions(regions: "str | list[str] | tuple[str, ...]") -> tuple[str, ...]:
    """Expand composite names (``speech``, ``upper`` …) into base regions, validating each."""
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    out: list[str] = []
    for r in regions:
        if r in COMPOSITES:
            out.extend(COMPOSITES[r])
        elif r in REGIONS:
            out.append(r)
        else:
            raise UnknownNameError(
                f"unknown face region {r!r}{suggest(r, REGION_CHOICES)}; "
                f"valid: {', '.join(REGION_CHOICES)}"
            )
    return tuple(dict.fromkeys(out))


def region_mask(regions: "str | list[str] | tuple[str, ...]") -> np.ndarray:
    """Mask over the 88 UE shapes that is 1 inside the given regions.

    Returns
    -------
    np.ndarray [shape=(88,), dtype=float32]
    """
    mask = np.zeros(N_UE, np.float32)
    index = {n: i for i, n in enumerate(UE_NAMES)}
    for r in expand_regions(regions):
        for n in REGIONS[r]:
            mask[index[n]] = 1.0
    return mask


def _check_partition() -> None:
    seen = [n for r in REGIONS.values() for n in r]
    assert sorted(seen) == sorted(UE_NAMES), "regions must partition the UE names"


_check_partition()
