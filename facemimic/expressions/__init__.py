"""The centre of FaceMimic: vocabularies, conversions, the frame/track types and track files."""

from .arkit import arkit_to_ue, mediapipe_to_arkit, ue_to_arkit
from .frame import ExpressionFrame
from .io import TRACK_FORMATS, get_writer, open_writer, read_track, write_track
from .names import (
    ARKIT_NAMES, MEDIAPIPE_NAMES, N_UE, UE_NAMES, UE_SIMPLE_NAMES, VRM0_CLIPS, VRM1_PRESETS,
    mirror_name, ue_index,
)
from .regions import REGIONS, region_mask
from .track import ExpressionTrack, merge_tracks
from .vrcft import vrcft_parameters

__all__ = [
    "ARKIT_NAMES", "MEDIAPIPE_NAMES", "N_UE", "UE_NAMES", "UE_SIMPLE_NAMES", "VRM0_CLIPS", "VRM1_PRESETS",
    "REGIONS", "TRACK_FORMATS", "ExpressionFrame", "ExpressionTrack", "arkit_to_ue", "get_writer",
    "mediapipe_to_arkit", "merge_tracks", "mirror_name", "open_writer", "read_track", "region_mask",
    "ue_index", "ue_to_arkit", "vrcft_parameters", "write_track",
]
