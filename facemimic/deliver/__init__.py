"""Delivery: send FaceMimic expressions to avatars.

Live protocols (``facemimic stream``):

* :mod:`.vrchat`: VRChat / VRCFaceTracking v2 avatar parameters over OSC (floats, binary bool
  families, tracking-active bools, native eye tracking), filtered by an avatar's OSC config.
* :mod:`.vmc`: the VMC protocol (VSeeFace, Warudo, VNyan, VMagicMirror …): VRM 0.x clips or the 52
  ARKit "perfect sync" names, head and eye bones.
* :mod:`.streamers`: the registry (``get_streamer("vrchat")``) and the real-time loop;
  :mod:`.pacing`: rate cap, send-on-change with keep-alive, playback clock; :mod:`.osc`: fast
  OSC encoding and the UDP transport.
* :mod:`.vrm_mapping`: UE -> VRM 0.x clips / VRM 1.0 presets / ARKit-52, shared with the clip
  exporters in :mod:`.export`.

Submodules are imported lazily so ``import facemimic.deliver`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module

_LAZY = {
    "get_streamer": "streamers",
    "available_streamers": "streamers",
    "stream_frames": "streamers",
    "StreamStats": "streamers",
    "VRChatOptions": "vrchat",
    "VRChatEncoder": "vrchat",
    "load_avatar_config": "vrchat",
    "encode_binary": "vrchat",
    "AvatarLibrary": "vrchat",
    "describe_plan": "vrchat",
    "plan_parameters": "vrchat",
    "UdpTransport": "osc",
    "pack_bundles": "osc",
    "VMCOptions": "vmc",
    "VMCEncoder": "vmc",
    "head_quaternion": "vmc",
    "vrm0_weights": "vrm_mapping",
    "vrm1_weights": "vrm_mapping",
    "arkit_weights": "vrm_mapping",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
