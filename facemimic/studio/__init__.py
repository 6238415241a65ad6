"""The studio: a local web app (FastAPI + plain ES modules) over the library (issue #13).

Modules, one job each: :mod:`security` (token, Host/Origin checks, upload limit, path
confinement), :mod:`server` (the FastAPI app and its routes), :mod:`live` (camera frames over a
WebSocket -> the capture stage -> frames as JSON), :mod:`launch` (socket, uvicorn, browser).
Nothing heavy is imported here.
"""

from __future__ import annotations


def make_studio(**kwargs):
    """See :func:`facemimic.studio.launch.make_studio`."""
    from .launch import make_studio as _make_studio

    return _make_studio(**kwargs)


__all__ = ["make_studio"]
