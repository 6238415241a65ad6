"""Portrait animation: a still photo or illustration driven by Unified Expressions.

Classical, licence-clean, CPU-only: a personalised landmark displacement model (:mod:`.model`),
a dense piecewise-affine warp (:mod:`.warp`), a synthesised mouth interior (:mod:`.mouth`), eyelids
and irises (:mod:`.eyes`), small head rotations (:mod:`.pose`), orchestrated by
:class:`~facemimic.animate.portrait.animator.PortraitAnimator`.
"""
