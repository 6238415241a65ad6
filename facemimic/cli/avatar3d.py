"""``facemimic avatar3d``: a photo -> a textured 3D head (VRM 1.0 or glTF) with ARKit + UE morph targets."""

from __future__ import annotations

import click


@click.command("avatar3d")
@click.argument("photos", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="OUT.vrm (VRM 1.0: humanoid, look-at, expressions) or OUT.glb (plain glTF 2.0).")
@click.option("--face", default=None, type=click.IntRange(min=0),
              help="Which face when the photo holds several (0 = leftmost).")
@click.option("--preview", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Also write a picture of the avatar (front and three-quarter view): .png, .jpg, .webp.")
@click.option("--hair", default="auto", show_default=True, type=click.Choice(["auto", "none", "short", "bob", "long"]),
              help="auto: a hair cap in the hair colour read from the photo; short, bob (to the jaw), long (to the "
                   "shoulders): that style in the colour read; none: no hair.")
@click.option("--shapes", default="arkit+ue", show_default=True, type=click.Choice(["arkit+ue", "arkit", "ue"]),
              help="Morph target names: all 52 ARKit + 88 Unified Expressions names (shared ones once), "
                   "or one vocabulary (drivers that set both would double every shape).")
def command(photos: tuple[str, ...], output: str, face: int | None, preview: str | None, hair: str, shapes: str) -> None:
    """Make a 3D avatar of the face in PHOTOS (within 30 degrees of frontal).

    One photo; or several photos, or a short video, of the same person (the shape is fitted from
    every usable view, the texture taken from the most frontal one).

    The face is fitted from the capture stage's 478 landmarks with a shape model learned from real
    faces, joined to a whole head (ears, neck, eyeballs with the photo's iris colour, teeth, tongue,
    hair cap), textured from the photo, with 52 ARKit and 88 Unified Expressions morph targets
    learned from tracked video, so `export --avatar`, `stream --to vmc --perfect-sync` and VRChat
    (through a Unity import) drive it. The file says it is synthetic; the rights to the photo and
    the likeness stay with you and the person shown.

    \b
      facemimic avatar3d me.jpg -o me.vrm --preview me.png
      facemimic avatar3d group.jpg -o friend.glb --face 2 --hair none
      facemimic avatar3d me.jpg -o me.vrm --hair long
      facemimic avatar3d me-front.jpg me-left.jpg me-right.jpg -o me.vrm
      facemimic avatar3d selfie-video.mp4 -o me.vrm
    """
    import time

    from ..head3d.api import avatar3d

    t0 = time.perf_counter()
    r = avatar3d(photos[0] if len(photos) == 1 else list(photos), output, face=face, preview=preview, hair=hair, shapes=shapes)
    for note in r.notes:
        click.echo(f"note: {note}", err=True)
    def hex_of(rgb) -> str:
        return "#" + "".join(f"{round(255 * c):02x}" for c in rgb)

    hair_text = "none" if r.hair_rgb is None else hex_of(r.hair_rgb)
    click.echo(f"{r.path}: {r.format.upper()} avatar, {r.targets} morph targets, {r.bytes / 1e6:.1f} MB; face "
               f"{r.face} of {r.faces_found}, turned {r.yaw_deg:.0f} deg, fit error {100 * r.fit_error:.2f} % of "
               f"the IPD; iris {hex_of(r.iris_rgb)}, hair {hair_text}; {time.perf_counter() - t0:.1f} s")
    if r.preview is not None:
        click.echo(f"{r.preview}: preview")
