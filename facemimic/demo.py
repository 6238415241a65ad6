"""``facemimic demo``: the built-in voice speaks a few lines while the built-in avatar talks with
changing moods — no input, no download. Also a short summary for the optional capture step.

Pipeline (every stage is the public API of its package):
voice (espeak-ng, exact phones) → lip sync from those phones (mouth only) → a generated mood
timeline, one mood per line → ``merge_with_speech`` → the 2D avatar → ``demo.mp4`` with sound,
plus the UE track, Rhubarb cues and a contact sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .expressions.io import read_track, write_track
from .expressions.track import ExpressionTrack


@dataclass(frozen=True)
class DemoLine:
    text: str  # what the avatar says
    mood: str  # a prompt for the face while saying it


DEMO_SCRIPT: tuple[DemoLine, ...] = (
    DemoLine("Hi! I'm FaceMimic. I give your avatar a face that moves like yours.", "happy"),
    DemoLine("Wait, what? You want me to look surprised?", "surprised"),
    DemoLine("Hmm. I am not so sure about that.", "skeptical"),
    DemoLine("Ha! Of course I can. Let's make something wonderful together!", "laughing"),
)
PAUSE = 0.45  # seconds of silence after each line: the mood changes while the mouth rests


@dataclass(frozen=True)
class DemoOptions:
    size: int = 512  # video width and height in pixels
    fps: float = 30.0  # video frame rate
    voice: str = "en-us"  # espeak-ng voice
    avatar: str | None = None  # avatar file or preset name (None: the default avatar)
    seed: int = 7  # the moods' random seed: the same demo every run
    mark: bool = True  # visible "AI-generated" mark on the video


@dataclass(frozen=True)
class DemoResult:
    video: Path  # demo.mp4: the avatar talking, with sound
    voice: Path  # demo-voice.wav
    track: Path  # demo-track.jsonl: the Unified Expressions track that drove the avatar
    cues: Path  # demo-cues.tsv: Rhubarb mouth cues of the voice
    contact_sheet: Path  # demo-contact-sheet.png
    duration: float  # seconds
    moods: tuple[tuple[float, str], ...]  # (start time, mood) per line


def speak_script(script=DEMO_SCRIPT, *, voice: str = "en-us"):
    """Speak every line with a pause after it; returns (audio int16 (N,), rate, phones, line starts)."""
    from .phonetics.phones import Phone
    from .voice.synth import VoiceOptions, say

    audio, phones, starts, t0, rate = [], [], [], 0.0, 0
    for line in script:
        speech = say(line.text, options=VoiceOptions(voice=voice, trail_silence=PAUSE))
        rate = speech.sample_rate
        starts.append(t0)
        audio.append(speech.audio)
        phones += [Phone(start=p.start + t0, end=p.end + t0, name=p.name, word=p.word) for p in speech.phones]
        t0 += speech.duration
    return np.concatenate(audio), rate, phones, starts


def build_demo_track(options: DemoOptions = DemoOptions(), script=DEMO_SCRIPT):
    """The demo's voice and the track that drives the avatar.

    Returns
    -------
    audio : np.ndarray [shape=(N,), dtype=int16]
    sample_rate : int
    lipsync : LipSyncResult
        Phones and Rhubarb cues of the voice.
    track : ExpressionTrack
        Mood timeline with speech merged over the mouth, at ``options.fps``.
    starts : list of float
        Start time of each line.
    """
    from .generate.clips import clip, merge_with_speech
    from .lipsync.api import LipSyncOptions, from_phones

    audio, rate, phones, starts = speak_script(script, voice=options.voice)
    duration = len(audio) / rate
    lip = from_phones(phones, duration, options=LipSyncOptions(fps=options.fps), sound_file="demo-voice.wav")
    ends = starts[1:] + [duration]
    timeline = " > ".join(f"{line.mood} {end - start:.3f}s" for line, start, end in zip(script, starts, ends))
    mood = clip(timeline, duration=duration, seed=options.seed, fps=options.fps, talking=True)
    track = merge_with_speech(mood, lip.track(fps=options.fps))
    track = track.with_metadata(source="facemimic.demo", script=[line.text for line in script],
                                timeline=timeline)
    return audio, rate, lip, track, starts


def contact_sheet(track: ExpressionTrack, labels: list[tuple[float, str]], path: Path, *,
                  avatar: str | None = None, columns: int = 4, tile: int = 256) -> Path:
    """A grid of avatar frames at evenly spaced times, each labelled with its time and mood."""
    import cv2

    from .animate.avatar.render import AvatarRenderer, write_png

    renderer = AvatarRenderer(avatar, size=tile)
    rows = 2
    times = np.linspace(track.time[0], track.time[-1], columns * rows + 2)[1:-1]
    sheet = np.full((rows * (tile + 28), columns * tile, 3), 255, np.uint8)
    for k, t in enumerate(times):
        i = int(np.argmin(np.abs(track.time - t)))
        img = renderer.render(track[i])
        r, c = divmod(k, columns)
        y, x = r * (tile + 28), c * tile
        sheet[y:y + tile, x:x + tile] = img
        mood = [m for start, m in labels if start <= t][-1] if labels else ""
        cv2.putText(sheet, f"{t:4.1f}s  {mood}", (x + 8, y + tile + 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.55, (40, 40, 40), 1, cv2.LINE_AA)
    return write_png(sheet, path)


DEMO_FILES = ("demo.mp4", "demo-voice.wav", "demo-track.jsonl", "demo-cues.tsv", "demo-contact-sheet.png")


def check_demo_setup(out_dir: str | Path, options: DemoOptions = DemoOptions()) -> None:
    """Refuse, in one line and before any work, an output folder that is (or lies under) a file
    and an avatar that cannot be loaded."""
    from .animate.avatar.style import load_style
    from .common.outputs import check_writable
    from .errors import OutputError

    out = Path(out_dir)
    for above in (out, *out.parents):
        if above.exists() and not above.is_dir():
            where = "is a file" if above == out else f"lies under the file {str(above)!r}"
            raise OutputError(out, f"{where}, not a folder")
        if above.exists():  # the folder itself, or the one its missing folders will be made in
            check_writable(above, out)
            break
    load_style(options.avatar)


def prepare_folder(out_dir: str | Path) -> list[Path]:
    """Create ``out_dir`` (and missing parents) for the demo's files; returns the folders created,
    outermost first, so a failed run can remove them again.

    Raises :class:`OutputError` in one line when the folder cannot be created (no permission,
    read-only file system).
    """
    from .errors import OutputError

    out = Path(out_dir)
    missing = [d for d in (out, *out.parents) if not d.exists()][::-1]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(out, f"cannot create the folder ({e.strerror or e})") from None
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Undo :func:`prepare_folder`: remove the folders it created, innermost first, if empty."""
    for d in reversed(folders):
        try:
            d.rmdir()
        except OSError:
            break  # not empty (or already gone): leave it and everything above


def run_demo(out_dir: str | Path, options: DemoOptions = DemoOptions(), *,
             progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Write the demo's files into ``out_dir`` (created if needed) and describe them.

    The five files appear together or not at all: a bad ``options.avatar``, an unwritable folder,
    an error or an interrupt (Ctrl-C, SIGTERM) leaves none of them, and no folder it created.
    """
    from .animate.avatar.render import render_track_to_file
    from .common.outputs import OutputSet
    from .common.audio import write_wav

    check_demo_setup(out_dir, options)  # before anything is written
    out = Path(out_dir)
    created = prepare_folder(out)
    try:
        with OutputSet([out / name for name in DEMO_FILES], inputs=(options.avatar,)) as outputs:
            audio, rate, lip, track, starts = build_demo_track(options)
            voice = write_wav(out / "demo-voice.wav", audio, rate)
            track_path = write_track(track, out / "demo-track.jsonl")
            cues = lip.write(out / "demo-cues.tsv", "rhubarb-tsv")
            moods = tuple((round(s, 3), line.mood) for s, line in zip(starts, DEMO_SCRIPT))
            # The voice is still under its temporary name: the set renames all five at the end.
            render_track_to_file(track, out / "demo.mp4", style=options.avatar, size=options.size,
                                 fps=options.fps, audio=outputs.staged(voice), mark=options.mark,
                                 progress=progress)
            sheet = contact_sheet(track, list(moods), out / "demo-contact-sheet.png", avatar=options.avatar)
    except BaseException:
        remove_empty_folders(created)
        raise
    return DemoResult(video=out / "demo.mp4", voice=Path(voice), track=Path(track_path), cues=Path(cues),
                      contact_sheet=Path(sheet), duration=len(audio) / rate, moods=moods)


# -- the optional capture step ------------------------------------------------------------------
def count_blinks(track: ExpressionTrack, *, closed: float = 0.4, reopen: float = 0.7) -> int:
    """Blinks in face 0: the mean openness of both eyes drops below ``closed`` and comes back above
    ``reopen`` (hysteresis, so flicker around one threshold is not counted twice)."""
    face = track.for_face(track.face_ids()[0]) if len(track) else track
    openness = face.openness.mean(axis=1)[face.present]
    blinks, shut = 0, False
    for o in openness:
        if not shut and o < closed:
            shut = True
        elif shut and o > reopen:
            shut, blinks = False, blinks + 1
    return blinks


def summarise_capture(path: str | Path) -> str:
    """A few lines: frames, face coverage, head motion, blinks and the most active shapes."""
    from .expressions.names import UE_NAMES

    track = read_track(path)
    face = track.for_face(track.face_ids()[0])
    seen = face.present
    lines = [f"\n[bold]What FaceMimic saw[/] in {Path(path).name}: {len(face)} frames at {track.fps:.2f} fps, "
             f"{seen.mean():.0%} with a face"]
    if seen.any():
        rot = face.head_rotation[seen]
        lines.append("  head turned  yaw {:+.0f}°…{:+.0f}°, pitch {:+.0f}°…{:+.0f}°, roll {:+.0f}°…{:+.0f}°".format(
            *np.ravel(np.stack([rot.min(0), rot.max(0)], 1))))
        lines.append(f"  blinks       {count_blinks(track)}")
        w = face.weights[seen]
        spread = np.percentile(w, 95, axis=0) - np.percentile(w, 5, axis=0)
        top = np.argsort(-spread)[:6]
        lines.append("  most active  " + ", ".join(f"{UE_NAMES[i]} ({spread[i]:.2f})" for i in top))
    return "\n".join(lines)
