"""MediaPipe imported without pyplot and sounddevice, in a fresh interpreter: they load only when
used, and then they are the real modules, however they are reached."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_mediapipe_works_without_loading_pyplot_or_sounddevice():
    out = _run("""
        import sys
        import numpy as np
        from facemimic.capture.mediapipe_import import import_mediapipe

        mp = import_mediapipe()
        print(sorted(m for m in ("matplotlib", "matplotlib.pyplot", "sounddevice") if m in sys.modules))
        from mediapipe.tasks.python import vision
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((8, 8, 3), np.uint8))
        print(image.width, vision.RunningMode.IMAGE.name, import_mediapipe() is mp)
    """)
    assert out.splitlines() == ["[]", "8 IMAGE True"]


def test_the_stand_ins_hand_over_to_the_real_modules_on_use():
    out = _run("""
        import sys
        from facemimic.capture.mediapipe_import import DeferredModule, import_mediapipe

        import_mediapipe()
        from mediapipe.tasks.python.vision import drawing_utils
        print(isinstance(drawing_utils.plt, DeferredModule))
        fig = drawing_utils.plt.figure()            # MediaPipe's own plt: the real pyplot now
        import matplotlib
        import matplotlib.pyplot as plt
        print(type(fig).__name__, plt.gcf() is fig, matplotlib.pyplot is plt,
              type(plt).__name__, isinstance(sys.modules["matplotlib"], DeferredModule))
    """)
    assert out.splitlines() == ["True", "Figure True True module False"]


def test_modules_imported_before_are_left_alone():
    out = _run("""
        import matplotlib.pyplot as plt
        from facemimic.capture.mediapipe_import import import_mediapipe

        import_mediapipe()
        from mediapipe.tasks.python.vision import drawing_utils
        print(drawing_utils.plt is plt)
    """)
    assert out.splitlines() == ["True"]
