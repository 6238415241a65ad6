"""Timeline playback drift over a long clip in a real browser (issue #14 §2: drift <= 1 frame over 60 s).

The studio runs in this process; Chromium (Debian's /usr/bin/chromium, driven by Playwright, its
fake audio output: the audio element's clock advances as it would on a sound card) opens the
Create view, builds a timeline of about 60 s (a mood timeline + typed text for the built-in voice,
as `facemimic animate --say … --mood …`), plays it with sound and records

* per drawn pose: the frame shown and the sound's clock at the moment it appeared
  (``window.studioCreate.timeline.drawn``): the error in frames is ``clock x fps - frame``
  (+: the face is behind the sound), reported as median / p90 / max of its size, and its trend
  (a least-squares line over the run: how many frames it drifts over 60 s);
* with ``--3d``, per drawing of the 3D test head (three.js, software WebGL: at most 10 a second):
  the frame it showed against the sound's clock then;
* per animation frame: the audio element's currentTime against the page's clock
  (performance.now), to see whether the sound's own clock drifts from wall time;
* how long each 2D pose stayed on screen (the next one's clock minus its own, in frames: 1 is
  exact), how many times the sound waited for the 2D drawings (buffering) and for how long, and
  the largest number of drawings the page held (its cache is a window around the playhead).

    nice python benchmarks/studio_timeline_drift.py            # about 75 s
    nice python benchmarks/studio_timeline_drift.py --words 20  # a short voice (the moods still last 62 s)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np

# A long, plain text for the built-in voice (about 210 words a minute at espeak's default rate).
SENTENCES = ("The studio plays the timeline with its voice, and the face follows the sound. "
             "Every pose is drawn by the server, so the page asks for the frame that is due when the drawing arrives. "
             "We measure how far the face and the voice drift apart over a whole minute of speech. ")
MOOD = "neutral 8s > happy 14s (onset 1s) > surprised 6s (onset 0.3s, offset 0.5s) > calm 14s > happy 20s"


def old_morphs_json_bytes(workspace, targets) -> int:
    """The size the morphs answer had before it was compacted: every target's value per frame as
    JSON numbers rounded to 1e-4 (what the page decoded then)."""
    from pathlib import Path

    from facemimic.deliver.export.aliases import resolve_name
    from facemimic.deliver.export.signals import TrackSignals
    from facemimic.expressions.io import read_track

    track = read_track(Path(workspace) / "timelines" / "drift.jsonl")
    mapped = [(t, a) for t, a in ((t, resolve_name(t)) for t in dict.fromkeys(targets)) if a is not None]
    signals = TrackSignals.from_track(track)
    values = [[round(float(v), 4) for v in signals.values(a)] for _, a in mapped]
    body = {"targets": [t for t, _ in mapped], "unmapped": [t for t in targets if resolve_name(t) is None],
            "fps": float(track.fps), "values": [list(row) for row in zip(*values)]}
    return len(json.dumps(body, separators=(",", ":")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=210, help="words of speech (210: about 60 s)")
    ap.add_argument("--json", help="write the numbers here too")
    ap.add_argument("--3d", dest="three_d", action="store_true", help="also play on the 3D test head (three.js)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from facemimic.studio import make_studio

    words = (SENTENCES * 20).split()[: args.words]
    text = " ".join(words).rstrip(",") + "."
    studio = make_studio(workspace=tempfile.mkdtemp(prefix="facemimic-drift-"), port=0).start_in_thread()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--autoplay-policy=no-user-gesture-required"])
            page = b.new_page(viewport={"width": 1400, "height": 1100}, bypass_csp=True)
            page.goto(studio.url)
            page.evaluate("window.studioCreate.ready")
            page.click("#view-create")
            page.fill("#t-text", MOOD)
            page.fill("#t-say", text)
            page.fill("#t-name", "drift")
            t0 = time.perf_counter()
            page.click("#t-build")
            page.wait_for_function("window.studioCreate.timeline && window.studioCreate.timeline.drawn.length > 0",
                                   timeout=300000)
            built_s = time.perf_counter() - t0
            tl = page.evaluate("({duration: window.studioCreate.timeline.duration, frames: window.studioCreate.timeline.frames})")
            page.wait_for_function("document.querySelector('#t-audio').readyState >= 2")
            if args.three_d:
                page.click("#t-3d")
                page.wait_for_function("window.studioCreate.timeline3d && window.studioCreate.timeline3d.ready",
                                       timeout=60000)
                page.evaluate("window.studioCreate.timeline3d.drawn = []")
                morphs = page.evaluate("({sent: window.studioCreate.timelineMorphs,"
                                       " requested: window.studioCreate.timeline3d.requested})")
            voice = page.evaluate("document.querySelector('#t-audio').duration")
            # the sound's clock against the page's, sampled every animation frame while it plays
            page.evaluate("""() => { const a = document.querySelector('#t-audio'); window.clockPairs = []; window.maxCached = 0;
                window.rafTimes = [];
                const tick = () => { if (!a.paused && !a.ended) window.clockPairs.push([a.currentTime, performance.now()]);
                                     if (window.studioCreate.playing) window.rafTimes.push(performance.now());
                                     const P = window.studioCreate.timelinePoses;
                                     if (P) window.maxCached = Math.max(window.maxCached, P.cache.size);
                                     if (!a.ended) requestAnimationFrame(tick); }; requestAnimationFrame(tick); }""")
            page.evaluate("window.studioCreate.timeline.drawn = []; window.studioCreate.timeline.stalls = [];"
                          " document.querySelector('#t-audio').play().catch(() => null)")
            page.wait_for_function("window.studioCreate.playing === true")
            page.wait_for_function("document.querySelector('#t-audio').ended && !window.studioCreate.playing",
                                   timeout=int((tl["duration"] + 60) * 1000))
            drawn = np.array(page.evaluate("window.studioCreate.timeline.drawn"), float)
            pairs = np.array(page.evaluate("window.clockPairs"), float)
            raf = np.array(page.evaluate("window.rafTimes"), float)
            stalls = np.array(page.evaluate("window.studioCreate.timeline.stalls || []"), float).reshape(-1, 2)
            max_cached = page.evaluate("window.maxCached")
            page_rate = page.evaluate("window.studioCreate.timelinePoses.rate")
            drawn3d = np.array(page.evaluate("window.studioCreate.timeline3d ? window.studioCreate.timeline3d.drawn : []"),
                               float).reshape(-1, 3)
            b.close()
        if args.three_d:
            morphs["json_bytes_before"] = old_morphs_json_bytes(studio.workspace, morphs.pop("requested"))
    finally:
        studio.stop()

    fps = 30.0
    during = drawn[drawn[:, 2] < voice - 0.05]  # while the sound plays: its clock is the reference
    err = during[:, 2] * fps - during[:, 1]  # frames the face is behind the sound (+) when it appears
    lag = (during[:, 2] - during[:, 0]) * fps  # the same against the exact time asked for (no frame rounding)
    slope = np.polyfit(during[:, 2], lag, 1)[0] if len(during) > 2 else float("nan")
    # after the first half second (the output starting up) and the last time the sound waited for
    # drawings (a pause, not drift), the sound's clock rate against the page's
    resumed = stalls[:, 0].max() if len(stalls) else pairs[0, 0]
    steady = pairs[pairs[:, 0] > resumed + 0.5]
    rate = np.polyfit((steady[:, 1] - steady[0, 1]) / 1000.0, steady[:, 0] - steady[0, 0], 1)[0]
    audio_vs_page = (steady[:, 0] - steady[0, 0]) - (steady[:, 1] - steady[0, 1]) / 1000.0
    out = {
        "timeline_s": tl["duration"], "voice_s": voice, "frames": tl["frames"], "build_s": round(built_s, 2),
        "poses_drawn": int(len(drawn)), "poses_per_s": round(len(during) / max(during[-1, 2] - during[0, 2], 1e-9), 1),
        "frame_error_abs": {"median": float(np.median(np.abs(err))), "p90": float(np.percentile(np.abs(err), 90)),
                            "max": float(np.abs(err).max())},
        "lag_frames": {"median": float(np.median(lag)), "median_abs": float(np.median(np.abs(lag))),
                       "p90_abs": float(np.percentile(np.abs(lag), 90)), "max_abs": float(np.abs(lag).max())},
        "lag_trend_frames_per_60s": float(slope * 60.0),
        # how long each pose stayed before the next appeared (1.0: one frame, exactly)
        "pose_on_screen_frames": {"median": float(np.median(np.diff(during[:, 2]) * fps)),
                                  "p99": float(np.percentile(np.diff(during[:, 2]) * fps, 99)),
                                  "max": float(np.diff(during[:, 2]).max() * fps)},
        "frames_skipped": int(np.sum(np.maximum(np.diff(during[:, 1]) - 1, 0))),
        "sound_waited": {"times": int(len(stalls)), "total_s": round(float(stalls[:, 1].sum()), 2),
                         "first_s": round(float(stalls[0, 1]), 2) if len(stalls) else 0.0},
        "max_cached_drawings": int(max_cached),
        # the page's own animation frames (one every 16.7 ms when the tab keeps up): a long gap is
        # the page not running at all (a busy CPU), whatever it shows
        "animation_frame_gap_ms": {"median": float(np.median(np.diff(raf))), "p99": float(np.percentile(np.diff(raf), 99)),
                                   "max": float(np.diff(raf).max())},
        "server_drawing_rate_fps": page_rate,
        "lag_first_10s_vs_last_10s": [float(np.median(lag[during[:, 2] < 10])),
                                      float(np.median(lag[during[:, 2] > during[-1, 2] - 10]))],
        "audio_clock_minus_page_clock_ms": {"after_start_up_end": float(audio_vs_page[-1] * 1000),
                                            "max_abs": float(np.abs(audio_vs_page).max() * 1000),
                                            "trend_per_60s": float((rate - 1.0) * 60000)},
    }
    if args.three_d:
        out["morphs_response"] = {"bytes": morphs["sent"]["bytes"], "bytes_as_before": morphs["json_bytes_before"],
                                  "targets": morphs["sent"]["targets"], "moving": morphs["sent"]["moving"],
                                  "frames": morphs["sent"]["frames"]}
    if len(drawn3d):
        d3 = drawn3d[drawn3d[:, 0] < voice - 0.05]
        e3 = d3[:, 0] * fps - d3[:, 1]
        out["3d"] = {"drawings": int(len(d3)), "per_s": round(len(d3) / max(d3[-1, 0] - d3[0, 0], 1e-9), 1),
                     "frame_error_abs": {"median": float(np.median(np.abs(e3))), "p90": float(np.percentile(np.abs(e3), 90)),
                                         "max": float(np.abs(e3).max())},
                     "trend_frames_per_60s": float(np.polyfit(d3[:, 0], e3, 1)[0] * 60.0)}
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
