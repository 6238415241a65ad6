"""``facemimic say``: offline speech with exact phone timings and the matching lip sync."""

from __future__ import annotations

import click

from ._options import FPS


@click.command("say")
@click.argument("text", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="WAV file to write.")
@click.option("--list-voices", is_flag=True, help="List the voices (language code first) and variants.")
@click.option("--voice", default="en-us", show_default=True,
              help="espeak-ng voice, optionally with a variant (en-us+f3, en-gb-x-rp …).")
@click.option("--language", "-l", help="Language code or name (de, fr, es, it, ja, pt-br, German …): "
              "speak with that language's voice (keeps a +variant of --voice).")
@click.option("--rate", type=int, default=175, show_default=True, help="Words per minute (80..450).")
@click.option("--pitch", type=int, default=50, show_default=True, help="Base pitch (0..99).")
@click.option("--phones", "phones_out", type=click.Path(dir_okay=False),
              help="Also write the timed phones (TSV: start, end, phone, word).")
@click.option("--track", "track_out", type=click.Path(dir_okay=False),
              help="Also write the lip-sync UE track (.jsonl/.csv/.npz).")
@click.option("--cues", "cues_out", type=click.Path(dir_okay=False),
              help="Also write Rhubarb mouth cues (.tsv/.json/.xml/.dat).")
@click.option("--fps", type=FPS, default=60.0, show_default=True, help="Frame rate of the track.")
@click.option("--interpolation", type=click.Choice(("smooth", "cosine", "linear-keyframes", "step")),
              default="smooth", show_default=True)
def command(text, output, list_voices, voice, language, rate, pitch, phones_out, track_out, cues_out, fps,
            interpolation):
    """Speak TEXT with the built-in offline voice (espeak-ng) into a WAV file.

    The phones come from the synthesiser itself, so the lip sync written with --track/--cues is
    exact: no recognition needed. TEXT '-' reads standard input.
    """
    import sys
    from pathlib import Path

    from ..lipsync.api import LipSyncOptions, from_phones
    from ..common.audio import check_wav_path, write_wav
    from ..voice import VoiceOptions, say

    if list_voices:
        from ..phonetics.espeak import list_variants, list_voices as voices

        for v in sorted(voices(), key=lambda v: v["language"]):
            click.echo(f"{v['language']:18s} {v['name']}")
        click.echo("variants (append as +name, e.g. en-us+f3): " + ", ".join(list_variants()))
        return
    if text is None or not output:
        raise click.UsageError("give TEXT and -o OUTPUT.wav (or --list-voices)")
    if language is not None:  # an unknown code fails before anything is written
        from ..phonetics.languages import resolve_language

        resolve_language(language)
    from ..common.outputs import OutputSet
    from ..expressions.io import format_for_path as track_format
    from ..lipsync.formats import format_for_path as cues_format

    # Every output (folder, format, not an input) is checked before speaking, and all of them
    # appear together or none does.
    check_wav_path(output)  # WAV bytes only: '-o hello.mp3' would be a WAV under an MP3 name
    if cues_out:
        cues_format(cues_out)
    if track_out:
        track_format(track_out)
    outputs = OutputSet((output, phones_out, track_out, cues_out))
    source = "TEXT"
    if text == "-":
        text, source = sys.stdin.read(), "standard input"
    from ..voice import check_text_for_voice

    # before anything is written: kanji would be spoken as "Chinese letter"
    check_text_for_voice(text, VoiceOptions(voice=voice, language=language).espeak_voice, source=source)
    speech = say(text, options=VoiceOptions(voice=voice, rate=rate, pitch=pitch, language=language))
    with outputs:
        write_wav(output, speech.audio, speech.sample_rate)
        result = from_phones(list(speech.phones), speech.duration,
                             options=LipSyncOptions(fps=fps, interpolation=interpolation),
                             sound_file=str(Path(output).resolve()))
        if phones_out:
            result.write(phones_out, "phones")
        if cues_out:
            result.write(cues_out)
        if track_out:
            from ..expressions.io import write_track

            write_track(result.track(), track_out)
    click.echo(f"{output}: {speech.duration:.2f} s, {sum(p.name != 'SIL' for p in speech.phones)} phones",
               err=True)
