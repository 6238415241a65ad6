"""The animation jobs' push channel (issue #14 §3): one WebSocket per page, ``/api/create/jobs/ws``.

On connect the page gets ``{"type": "jobs", "jobs": [...]}`` (every record, newest first) and the
running job's latest frame; then every change as it happens: ``{"type": "job", "job": {...}}``
and ``{"type": "frame", "id", "index", "total", "jpeg"}`` (base64 JPEG, at most 2 a second, see
:class:`.jobs.JobQueue`). The page sends nothing; the HTTP routes stay for submitting and
cancelling (and as the page's fallback while the socket is down).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

from starlette.websockets import WebSocketDisconnect


async def job_socket(ws, queue) -> None:
    """Push ``queue``'s changes to one page until it goes away.

    Parameters
    ----------
    ws : starlette.websockets.WebSocket
        The page's socket (the security middleware has checked its token and origin).
    queue : JobQueue
        The workspace's animation jobs.
    """
    await ws.accept()
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def listener(message: dict) -> None:  # on the worker thread
        try:
            loop.call_soon_threadsafe(inbox.put_nowait, message)
        except RuntimeError:  # the loop has closed: the page is gone
            pass

    # Subscribed before the snapshot: a change in between is sent twice, never lost.
    unsubscribe = queue.subscribe(listener)
    receiver = asyncio.ensure_future(ws.receive())
    try:
        await ws.send_text(json.dumps({"type": "jobs", "jobs": [asdict(j) for j in queue.list()]}))
        for frame in queue.latest_frames():
            await ws.send_text(json.dumps(frame))
        while True:
            getter = asyncio.ensure_future(inbox.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                if receiver.result()["type"] == "websocket.disconnect":
                    getter.cancel()
                    return
                receiver = asyncio.ensure_future(ws.receive())  # the page says nothing we need
            if getter in done:
                await ws.send_text(json.dumps(getter.result()))
            else:
                getter.cancel()
    except (WebSocketDisconnect, RuntimeError, ConnectionError):  # the page closed mid-send
        return
    finally:
        unsubscribe()
        receiver.cancel()


__all__ = ["job_socket"]
