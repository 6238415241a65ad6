"""The studio's create half (issue #14): APIRouter modules over the same library calls as the CLI.

:mod:`designer` (prompt -> variations through :func:`facemimic.generate.api.generate`, slider
edits, a library of named expressions saved as track files), :mod:`jobs` (a background queue of
:func:`facemimic.animate.portrait.api.animate` runs persisted in the workspace) and
:func:`create_router` (both, mounted by :func:`facemimic.studio.server.create_app`).
"""

from __future__ import annotations


def create_router(workspace, max_upload_bytes=None):
    """All create routes for one workspace (see :mod:`.routes`)."""
    from .routes import create_router as _create_router

    return _create_router(workspace, max_upload_bytes)


__all__ = ["create_router"]
