"""Import MediaPipe without importing matplotlib's pyplot (or sounddevice) until something uses it.

MediaPipe's package ``__init__`` imports all its tasks: the vision tasks' ``drawing_utils`` runs
``import matplotlib.pyplot as plt`` for one plotting helper, and the audio tasks' recorder runs
``import sounddevice``; FaceMimic calls neither. Those imports cost ~0.45 s of a ~3 s
``facemimic animate`` run (matplotlib with its font and backend machinery, PortAudio's binding).

:func:`import_mediapipe` imports MediaPipe with stand-ins for ``matplotlib``,
``matplotlib.pyplot`` and ``sounddevice`` in ``sys.modules`` (only those not imported yet), then
takes the stand-ins out again: MediaPipe keeps stand-ins that import the real module on first
attribute access and forward to it, and any later import anywhere gets the real modules.
(Python's ``importlib.util.LazyLoader`` cannot do this: the import system reads the module's
``__spec__`` during ``import``, which makes a lazy module load at once.)
"""

from __future__ import annotations

import importlib
import sys
import threading
import types

# modules MediaPipe imports for helpers FaceMimic never calls: plotting (~0.4 s) and its audio
# recorder's PortAudio binding (~0.06 s)
_DEFERRED = ("matplotlib", "matplotlib.pyplot", "sounddevice")
_LOCK = threading.Lock()


class DeferredModule(types.ModuleType):
    """Stands in for a module: the first attribute read imports the real module and forwards to it.

    Parameters
    ----------
    name : str
        The real module's full name.
    """

    def __getattr__(self, attr: str):
        name = self.__name__
        if sys.modules.get(name) is self:  # needed while still standing in: the real one takes over
            del sys.modules[name]
        real = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        if parent and not isinstance(getattr(sys.modules.get(parent), child, None), types.ModuleType):
            setattr(sys.modules[parent], child, real)  # as a plain import would have done
        return getattr(real, attr)

    def __repr__(self) -> str:
        return f"<deferred module {self.__name__!r}>"


def import_mediapipe() -> types.ModuleType:
    """``import mediapipe`` (with its vision tasks), deferring pyplot and sounddevice (see above).

    Returns
    -------
    module
        The ``mediapipe`` package.
    """
    with _LOCK:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        added: dict[str, DeferredModule] = {}
        for name in _DEFERRED:
            if name not in sys.modules:
                added[name] = sys.modules[name] = DeferredModule(name)
        if "matplotlib" in added and "matplotlib.pyplot" in added:
            # ``import matplotlib.pyplot as plt`` reads ``pyplot`` off the package
            added["matplotlib"].__dict__["pyplot"] = added["matplotlib.pyplot"]
        try:
            import mediapipe
            import mediapipe.tasks.python.vision  # noqa: F401 - what the capture stage uses
        finally:
            for name, stand_in in added.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
        return mediapipe
