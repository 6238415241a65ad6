"""``facemimic lipsync``: a drop-in for Rhubarb Lip Sync (same shapes and file formats)."""

from __future__ import annotations

import sys

import click

from ._options import FPS

FORMAT_CHOICES = ("rhubarb-tsv", "rhubarb-json", "rhubarb-xml", "rhubarb-dat", "phones", "jsonl", "csv")
# Rhubarb's own -f values are accepted too.
RHUBARB_ALIASES = {"tsv": "rhubarb-tsv", "json": "rhubarb-json", "xml": "rhubarb-xml", "dat": "rhubarb-dat"}
INTERPOLATION_CHOICES = ("smooth", "cosine", "linear-keyframes", "step")


def _out_name(src, out_dir, fmt):
    from pathlib import Path

    from ..lipsync.formats import get_format

    return Path(out_dir) / (Path(src).stem + get_format(fmt).extension)


@click.command("lipsync")
@click.argument("audio", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--text", "-t", help="What is said (enables forced alignment).")
@click.option("--dialog", "--dialogFile", "-d", "dialog", type=click.Path(exists=True, dir_okay=False),
              help="Plain-text file with what is said (Rhubarb's --dialogFile).")
@click.option("--language", "-l", help="Language of the speech: a code or name (de, fr, es, it, ja, pt-br, "
              "German …; any espeak-ng language) or 'auto' (guessed from the transcript). Default English.")
@click.option("-o", "--output", type=click.Path(), help="Output file (a folder for several inputs); "
              "default: standard output.")
@click.option("--format", "-f", "--exportFormat", "fmt",
              type=click.Choice(FORMAT_CHOICES + tuple(RHUBARB_ALIASES), case_sensitive=False),
              help="Output format (default: from the -o extension, else rhubarb-tsv).")
@click.option("--extended-shapes", "--extendedShapes", default="GHX", show_default=True,
              help="Which extended shapes (G, H, X) may appear; '' for the basic six.")
@click.option("--fps", type=FPS, default=60.0, show_default=True, help="Frame rate of curves and tracks.")
@click.option("--interpolation", type=click.Choice(INTERPOLATION_CHOICES), default="smooth",
              show_default=True, help="How curves move between shapes.")
@click.option("--tweens/--no-tweens", default=False, show_default=True,
              help="Insert Rhubarb-style in-between shapes (D->C->A …).")
@click.option("--closures", type=click.Choice(("detect", "recognizer")), default="detect", show_default=True,
              help="Without a transcript: 'detect' adds the P/B/M lip closures an acoustic detector "
                   "hears and the phone recogniser missed (more closures, some false ones); "
                   "'recognizer' trusts the recogniser alone.")
@click.option("--static-segments/--no-static-segments", "avoid_static", default=True, show_default=True,
              help="Break a shape held >= 0.75 s over >= 3 syllables (Rhubarb's rule).")
@click.option("--dat-fps", "--datFrameRate", "dat_fps", type=int, default=24, show_default=True,
              help="Frame rate of the dat format (24..100).")
@click.option("--dat-preston-blair", "--datUsePrestonBlair", "preston", is_flag=True,
              help="dat format: Preston Blair shape names (MBP, etc, E, AI, O, U, FV, L, rest).")
@click.option("--track", "track_out", type=click.Path(), help="Also write the UE expression track "
              "(.jsonl/.csv/.npz) that owns only the speech region.")
@click.option("--live", is_flag=True, help="Lip-sync the microphone live (Ctrl+C stops); "
              "--language recognises as offline without a transcript.")
@click.option("--device", help="Microphone (sounddevice name or index) for --live.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on standard error.")
@click.option("-r", "--recognizer", type=click.Choice(("pocketSphinx", "phonetic"), case_sensitive=False),
              default="pocketSphinx", help="Rhubarb's recognizer switch: 'phonetic' ignores the "
              "transcript (phone recognition only).")
@click.option("--transcribe/--no-transcribe", default=False, show_default=True,
              help="English without --text: hear the words with the built-in speech recogniser, then align "
              "them (far more accurate on real voices, ~3x real time); the default recognises phones "
              "directly (~25x real time). The recogniser needs an AVX-512 CPU; without one, phones (with a warning).")
@click.option("--machineReadable", "--machine-readable", "machine", is_flag=True,
              help="Rhubarb-style JSON status lines on standard error (start, progress, success, failure).")
@click.option("--threads", type=int, hidden=True)  # Rhubarb's: processes for long files with a transcript
@click.option("--consoleLevel", "--logLevel", "console_level", hidden=True)
@click.option("--logFile", "log_file", hidden=True)
def command(audio, text, dialog, language, output, fmt, extended_shapes, fps, interpolation, tweens, closures,
            avoid_static, dat_fps,
            preston, track_out, live, device, quiet, recognizer, transcribe, machine, threads, console_level,
            log_file):
    """Lip-sync AUDIO (WAV, FLAC, OGG, MP3, M4A or a video's audio) to mouth shapes and curves.

    Writes Rhubarb Lip Sync's formats exactly as Rhubarb does (A-H and X mouth cues), timed
    phones, or viseme curves (Rhubarb shapes, Oculus visemes, VRM, Unified Expressions).
    """
    import os
    from pathlib import Path

    # Lip sync makes no matrix products worth a thread pool, but OpenBLAS starts one per core
    # when NumPy loads and spins it for ~30 ms of CPU next to the decoders (start-up speed).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from ..errors import FaceMimicError, InputError, ParameterError
    from ..lipsync.api import LipSyncOptions
    from ..lipsync.recognize import RecognizerOptions
    from ..lipsync.shapes import AnimationOptions

    if text is not None and dialog is not None:
        raise click.UsageError("use --text or --dialog, not both")
    if threads is not None and threads < 1:
        raise click.UsageError(f"--threads must be at least 1, got {threads}")
    if dialog is not None:
        try:
            text = Path(dialog).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(dialog, f"cannot read the dialog text ({e})") from None
    if recognizer.lower() == "phonetic":  # Rhubarb's switch: phones as heard, no words
        text, transcribe = None, False
    from ..lipsync.api import resolve_transcript_language

    # before any audio is read: an unknown code or a transcript in another script fails at once
    lang = resolve_transcript_language(language, text, source=dialog or "the transcript (--text)")
    fmt = RHUBARB_ALIASES.get((fmt or "").lower(), fmt)
    options = LipSyncOptions(animation=AnimationOptions(extended_shapes=extended_shapes, tweens=tweens,
                                                        avoid_static=avoid_static),
                             recognizer=RecognizerOptions(closure_detector=closures == "detect", language=lang),
                             fps=fps, interpolation=interpolation, transcribe=transcribe,
                             workers=0 if threads is None else threads)  # Rhubarb's --threads: processes
    if live:
        return _live(output, fps, device, quiet, lang)
    if not audio:
        raise click.UsageError("give an AUDIO file (or --live)")
    many = len(audio) > 1
    if many and (not output or not Path(output).is_dir()):
        raise click.UsageError("several inputs need -o FOLDER (an existing folder)")
    from ..common.outputs import OutputSet
    from ..lipsync.formats import format_for_path

    if not many:  # before the slow work: writable, a known track format, never an input
        if output and not fmt:
            from ..errors import UnknownNameError

            try:
                format_for_path(output)
            except UnknownNameError as e:  # the library names no option; this command has one
                raise UnknownNameError(f"{e}, or give --format") from None
        if track_out:
            from ..expressions.io import format_for_path as track_format

            track_format(track_out)
        OutputSet((output, track_out), inputs=(*audio, dialog))
    failures = 0
    for src in audio:
        try:
            out_fmt = fmt or (format_for_path(output) if output and not many else "rhubarb-tsv")
            if machine:
                _status("start", file=str(src), level="Info",
                        message=f'Application startup. Input file: "{src}".')
            result = _run_one(src, text, options, quiet or machine, machine)
            for w in result.warnings:
                if not quiet:
                    click.echo(f"Warning: {w}", err=True)
            if result.words and not (quiet or machine):  # what was aligned, to check (or pass as --text)
                click.echo(f"Heard: {result.words}", err=True)
            extra = {"dat_fps": dat_fps, "preston_blair": preston}
            target = t_target = None
            if output:
                target = _out_name(src, output, out_fmt) if many else Path(output)
            if track_out:
                t_target = Path(track_out) / (Path(src).stem + ".track.jsonl") if many else Path(track_out)
            with OutputSet((target, t_target), inputs=(*audio, dialog)):  # cues and track together or neither
                if target:
                    result.write(target, out_fmt, **extra)
                else:
                    from ..lipsync.formats import render

                    kw = {"fps": fps, "interpolation": interpolation, **extra}
                    sys.stdout.write(render(result, out_fmt, **kw))
                if t_target:
                    from ..expressions.io import write_track

                    write_track(result.track(), t_target)
            if machine:
                _status("success", level="Info", message="Application terminating normally.")
        except (FaceMimicError, ParameterError) as e:
            if machine:
                _status("failure", reason=str(e), level="Fatal", message=str(e))
            if not many:
                raise
            failures += 1
            # most errors already start with the file's name: say it once
            click.echo(f"Warning: skipping {e}" if str(e).startswith(f"{src}:") else f"Warning: skipping {src}: {e}",
                       err=True)
    if many and failures == len(audio):
        raise click.ClickException("no input could be lip-synced")


def _status(kind, *, level, message, **fields):
    """One Rhubarb ``--machineReadable`` line on stderr."""
    import json

    click.echo(json.dumps({"type": kind, **fields, "log": {"level": level, "message": message}}), err=True)


def _run_one(src, text, options, quiet, machine=False):
    from ..lipsync.api import lipsync

    if machine:
        def report(done, total):
            if total:
                v = min(done / total, 1.0)
                _status("progress", value=round(v, 2), level="Trace", message=f"Progress: {v:.0%}")
        return lipsync(src, text=text, options=options, progress=report)
    if quiet or not sys.stderr.isatty():
        return lipsync(src, text=text, options=options)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("lipsync {task.description}"), BarColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(str(src), total=None)

        def cb(done, total):
            bar.update(task, completed=done, total=total)

        return lipsync(src, text=text, options=options, progress=cb)


def _live(output, fps, device, quiet, language):
    from ..lipsync.live import LiveOptions, live_microphone

    writer = None
    if output:
        from ..expressions.io import format_for_path, open_writer

        format_for_path(output)  # a bad extension fails now, not after the microphone started
    try:
        for frame in live_microphone(device=device, options=LiveOptions(fps=fps), language=language):
            if output and writer is None:  # opened on the first frame: a microphone that fails writes nothing
                writer = open_writer(output, fps=fps, metadata={"source": "facemimic.lipsync.live",
                                                                 "region": "speech"})
            if writer:
                writer.write(frame)
            elif not quiet:
                top = ", ".join(f"{n} {w:.2f}" for n, w in frame.top(3) if w > 0.01)
                click.echo(f"{frame.time:8.2f}  {top}")
    except KeyboardInterrupt:
        pass
    finally:
        if writer:
            writer.close()
