"""``facemimic stream``: send expressions live to VRChat (OSC) or a VTuber app (VMC)."""

from __future__ import annotations

import click

from ._renamed import RenamedChoice

_TRACK_SUFFIXES = (".jsonl", ".csv", ".npz")


def _parse_source(source: str | None, camera: int | None):
    """-> ("camera", index) | ("track", path) | ("media", path)."""
    if camera is not None:
        if source is not None:
            raise click.UsageError("give either SOURCE or --camera, not both")
        return "camera", camera
    if source is None:
        raise click.UsageError("missing SOURCE (a video, a track file, camera:N) or --camera N")
    if source.lower().startswith("camera:"):
        idx = source.split(":", 1)[1]
        if not idx.isdigit():
            raise click.UsageError(f"bad camera {source!r}: use camera:0, camera:1 …")
        return "camera", int(idx)
    if source.lower().endswith(_TRACK_SUFFIXES):
        return "track", source
    return "media", source


def _capture_frames(kind: str, value, *, loop: bool, capture_kwargs: dict):
    """Frames from a camera or video via the capture API; a looped video restarts with later times."""
    from facemimic.capture.api import capture

    offset = 0.0
    while True:
        last = step = None
        for frame in capture(value, **capture_kwargs):
            if last is not None and frame.time > last.time:
                step = frame.time - last.time
            last = frame
            yield frame if offset == 0 else frame.replace(time=frame.time + offset)
        if not loop or kind == "camera" or last is None:
            return
        offset += last.time + (step or 1.0 / 30.0)  # next pass starts one frame after the last


@click.command("stream")
@click.argument("source", required=False)
@click.option("--to", "to", required=True, metavar="TARGET",
              help="Where to send: vrchat (OSC avatar parameters) or vmc (VMC protocol).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Receiver host or IP.")
@click.option("--port", type=int, default=None,
              help="Receiver UDP port [default: 9000 for vrchat, 39539 for vmc].")
@click.option("--camera", type=int, default=None, metavar="N", help="Stream from webcam N (same as camera:N).")
@click.option("--loop", is_flag=True, help="Repeat a video or track file until stopped.")
@click.option("--duration", type=float, default=None, metavar="SECONDS", help="Stop after this long.")
@click.option("--max-hz", type=float, default=60.0, show_default=True, help="Rate cap (frames per second sent).")
@click.option("--face", "face_id", type=int, default=None, metavar="ID",
              help="Face id to follow (default: the first face seen).")
@click.option("--gap", type=RenamedChoice(["hold", "ease-to-neutral"], {"ease": "ease-to-neutral"}),
              default="ease-to-neutral", show_default=True,
              help="No face: hold the last expression, or hold it 0.25 s and then ease it to neutral.")
# VRChat
@click.option("--prefix", default="FT/", show_default=True,
              help="vrchat: parameter prefix before v2/ (ignored with --avatar-config).")
@click.option("--avatar-config", default=None, metavar="FILE|FOLDER|auto",
              help="vrchat: send only the avatar's parameters. FILE: one avatar's VRChat OSC config "
                   "JSON; FOLDER: VRChat's OSC/usr_…/Avatars (follows /avatar/change); auto: find that folder.")
@click.option("--listen-port", type=int, default=9001, show_default=True,
              help="vrchat: with an avatar FOLDER, where VRChat sends /avatar/change.")
@click.option("--binary", "binary", multiple=True, metavar="NAME=BITS[+neg]",
              help="vrchat: also send NAME as a binary bool family (repeatable; e.g. MouthX=4+neg).")
@click.option("--binary-preset", type=click.Choice(["jerry"]), default=None,
              help="vrchat: binary families of Jerry's UE template.")
@click.option("--no-floats", is_flag=True, help="vrchat: skip float parameters (binary/bools only).")
@click.option("--native-eyes", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="vrchat: VRChat's /tracking/eye/* (auto: only for avatars without eye parameters).")
@click.option("--keepalive", type=float, default=1.0, show_default=True, metavar="SECONDS",
              help="vrchat: resend unchanged values this often.")
@click.option("--lost-after", type=float, default=1.0, show_default=True, metavar="SECONDS",
              help="vrchat: *TrackingActive turn false after this long without a face.")
# VMC
@click.option("--perfect-sync", is_flag=True, help="vmc: send the 52 ARKit names instead of VRM 0.x clips.")
@click.option("--no-head-position", is_flag=True, help="vmc: send head rotation only.")
@click.option("--no-eye-bones", is_flag=True, help="vmc: do not send LeftEye/RightEye bones.")
# capture
@click.option("--smoothing", type=click.Choice(["off", "light", "strong", "raw"]), default=None,
              help="Camera/video: capture smoothing.")
@click.option("--profile", type=click.Path(dir_okay=False), default=None,
              help="Camera/video: calibration profile JSON.")
@click.option("--units", type=click.Choice(["extent", "mediapipe"]), default=None,
              help="Camera/video: extent (default): UE weights as fractions of full extent, what avatars "
                   "expect (docs/units.md); mediapipe: MediaPipe's raw scores.")
@click.option("--quiet", "-q", is_flag=True, help="No live status line.")
@click.option("--show-plan", is_flag=True,
              help="Print what would be sent (addresses, bit counts, clip names) and exit; needs no SOURCE.")
def command(source, to, host, port, camera, loop, duration, max_hz, face_id, gap, prefix, avatar_config,
            listen_port, binary, binary_preset, no_floats, native_eyes, keepalive, lost_after, perfect_sync,
            no_head_position, no_eye_bones, smoothing, profile, units, quiet, show_plan):
    """Stream expressions live from a webcam, a video or a track file.

    \b
    Examples:
      facemimic stream --camera 0 --to vrchat
      facemimic stream talk.mp4 --to vmc --loop
      facemimic stream take1.jsonl --to vrchat --avatar-config avtr_1234.json
      facemimic stream camera:0 --to vmc --perfect-sync --port 39540

    Videos and tracks play in real time (by their timestamps). Ctrl-C stops cleanly; the live
    status line shows frames/s, messages/s, dropped frames and receiver errors (a receiver that
    is not listening is counted, not fatal).
    """
    from pathlib import Path

    from facemimic.deliver.streamers import STREAMERS, get_streamer

    kind, value = (None, None) if show_plan else _parse_source(source, camera)
    target = to.lower()
    if target not in STREAMERS:
        get_streamer(target)  # raises with the list of valid targets
    if target == "vrchat":
        from facemimic.deliver.vrchat import BINARY_PRESETS, load_avatar_config, parse_binary_spec

        specs = dict(BINARY_PRESETS[binary_preset]) if binary_preset else {}
        specs.update(parse_binary_spec(b) for b in binary)
        avatar = folder = None
        if avatar_config == "auto":
            from facemimic.deliver.vrchat import vrchat_osc_folders

            found = vrchat_osc_folders()
            if not found:
                from facemimic.errors import InputError

                raise InputError("--avatar-config auto", "no VRChat OSC folder found (enable OSC in VRChat's "
                                 "Action Menu, or give the folder)")
            folder = found[0]
        elif avatar_config and Path(avatar_config).is_dir():
            folder = avatar_config
        elif avatar_config:
            avatar = load_avatar_config(avatar_config)
        options = dict(prefix=prefix, avatar=avatar, binary=specs, floats=not no_floats,
                       native_eyes=native_eyes, keepalive_s=keepalive, lost_after_s=lost_after)
        if folder is not None:
            options.update(avatar_folder=folder, listen_port=listen_port)
    else:
        options = dict(standard="arkit" if perfect_sync else "vrm0", head_position=not no_head_position,
                       eye_bones=not no_eye_bones)
    streamer = get_streamer(target, **options)
    if show_plan:
        try:
            _show_plan(streamer)
        finally:
            streamer.close()
        return
    try:
        _run(streamer, kind, value, host=host, port=port if port is not None else streamer.default_port,
             loop=loop, duration=duration, max_hz=max_hz, face_id=face_id, gap=gap,
             capture_kwargs={k: v for k, v in (("smoothing", smoothing), ("profile", profile), ("units", units))
                             if v is not None},
             quiet=quiet)
    finally:
        streamer.close()


def _primed(frames):
    """Start a capture before anything is sent, so a missing camera/video fails cleanly first."""
    import itertools

    try:
        first = next(frames)
    except StopIteration:
        return iter(())
    rest = itertools.chain([first], frames)

    def gen():
        try:
            yield from rest
        finally:
            frames.close()

    return gen()


def _show_plan(streamer) -> None:
    if streamer.name == "vrchat":
        from facemimic.deliver.vrchat import describe_plan

        lines = describe_plan(streamer.encoder.plan, streamer.options.avatar)
    else:
        from facemimic.deliver.vrm_mapping import ARKIT_NAMES, VRM0_CLIPS

        o = streamer.options
        names = ARKIT_NAMES if o.standard == "arkit" else VRM0_CLIPS
        bones = ["Head"] * o.head + ["LeftEye", "RightEye"] * o.eye_bones
        lines = ["Per frame: /VMC/Ext/OK, /VMC/Ext/T, "
                 + ", ".join(f'/VMC/Ext/Bone/Pos "{b}"' for b in bones),
                 f"/VMC/Ext/Blend/Val x {len(names)} ({o.standard}): " + " ".join(names),
                 "/VMC/Ext/Blend/Apply"]
    for line in lines:
        click.echo(line)


def _run(streamer, kind, value, *, host, port, loop, duration, max_hz, face_id, gap, capture_kwargs, quiet):
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from facemimic.deliver.osc import UdpTransport
    from facemimic.deliver.streamers import StreamOptions, stream_frames, track_frames

    options = StreamOptions(max_hz=max_hz, duration=duration, gap=gap)
    if kind == "track":
        from facemimic.expressions.io import read_track

        track = read_track(value)
        if len(track) == 0:
            from facemimic.errors import InputError

            raise InputError(value, "track has no frames")
        frames = track_frames(track, loop=loop, face_id=face_id)
        droppable = True
    else:
        frames = _primed(_capture_frames(kind, value, loop=loop, capture_kwargs=capture_kwargs))
        droppable = False

    console = Console(stderr=True, soft_wrap=True)
    transport = UdpTransport(host, port)
    live = None
    try:
        if not quiet and console.is_terminal:
            live = Live(Text("starting…"), console=console, refresh_per_second=4, transient=False)
            live.start()

        def on_status(stats) -> None:
            if live is not None:
                live.update(Text(stats.line(), no_wrap=True, overflow="ellipsis"))

        stats = stream_frames(frames, streamer, transport, options=options, droppable=droppable,
                              face_id=face_id, on_status=on_status)
    finally:
        if live is not None:
            live.stop()
        close = getattr(frames, "close", None)
        if close is not None:
            close()
        transport.close()
    verb = "Interrupted" if stats.interrupted else "Done"
    click.echo(f"{verb}: {stats.frames_sent} frames, {stats.messages} messages, {stats.bytes} bytes "
               f"to {host}:{port} via {streamer.name} in {stats.elapsed:.1f}s "
               f"({stats.fps:.1f} fps, {stats.messages_per_s:.0f} msg/s); dropped {stats.frames_dropped}, "
               f"rate-capped {stats.frames_capped}, receiver errors {stats.errors}", err=True)
