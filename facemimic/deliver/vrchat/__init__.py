"""VRChat / VRCFaceTracking v2 avatar parameters over OSC (see :mod:`.encoder`)."""

from .encoder import *  # noqa: F401,F403  (split into one module per job in the next commit)
