"""Animation: drawing faces from expression tracks.

* :mod:`facemimic.animate.avatar`: FaceMimic's built-in 2D cartoon avatar (SVG and raster).
* :mod:`facemimic.animate.video`: the shared atomic MP4 writer that marks its output as synthetic.

Submodules are imported on demand so ``import facemimic.animate`` stays cheap.
"""
