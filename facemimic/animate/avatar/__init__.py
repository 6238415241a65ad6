"""FaceMimic's built-in 2D cartoon avatar, driven by Unified Expressions.

Pipeline: :class:`~facemimic.expressions.frame.ExpressionFrame` -> :func:`rig_from_frame` (feature
numbers) -> :func:`build_drawing` (z-ordered primitives) -> :func:`to_svg` or :func:`rasterize`.
:class:`AvatarRenderer` ties it together and holds the last face over gaps. Looks come from an
avatar file (:func:`load_style`, :func:`save_style`, built-in :func:`preset_names`).
"""

from .primitives import Clip, Drawing, Shape
from .raster import rasterize, rasterize_rgba
from .render import (AvatarRenderer, RenderOptions, frames_for_video, render_frame, render_svg,
                     render_track_to_file, write_png, write_svg)
from .rig import REST, SHOWN_CHANNELS, Rig, rig_from_frame
from .shapes import build_drawing
from .style import (EYE_SHAPES, GLASSES, HAIR_STYLES, HEADWEAR, AvatarStyle, load_style, preset_names,
                    save_style, style_from_dict)
from .svg import to_svg

__all__ = [
    "AvatarRenderer", "AvatarStyle", "Clip", "Drawing", "EYE_SHAPES", "GLASSES", "HAIR_STYLES",
    "HEADWEAR", "REST", "RenderOptions", "Rig", "SHOWN_CHANNELS", "Shape", "build_drawing",
    "frames_for_video", "load_style", "preset_names", "rasterize", "rasterize_rgba", "render_frame",
    "render_svg", "render_track_to_file", "rig_from_frame", "save_style", "style_from_dict",
    "to_svg", "write_png", "write_svg",
]
