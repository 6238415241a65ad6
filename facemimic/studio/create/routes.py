"""HTTP routes of the create panels: ``/api/create/…`` (designer, uploads, animation jobs).

Each route is a thin wrapper over :mod:`.designer` and :mod:`.jobs`; errors are the library's
one-line messages as ``{"error": …}`` (422 for bad input, 403 for a path outside the workspace),
made by one route class rather than by each route.
Plain ``def`` routes run in FastAPI's thread pool, so a generator call never blocks the live socket.
"""

from __future__ import annotations

from pathlib import Path

# FastAPI reads the routes' annotations by name: Request and WebSocket must be module globals.
from fastapi import APIRouter, Body, Request, WebSocket

from ...errors import FaceMimicError, InputError, ParameterError


def _error(e: FaceMimicError):
    from fastapi.responses import JSONResponse

    status = 403 if isinstance(e, InputError) and "leaves" in str(e) else 404 if "no such job" in str(e) else 422
    return JSONResponse({"error": str(e)}, status_code=status)


def _route_class():
    """An APIRoute whose library errors become ``{"error": one line}`` responses (422, 403, 404), so
    no route repeats the try/except."""
    from fastapi.routing import APIRoute

    class OneLineErrors(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def route(request):
                try:
                    return await handler(request)
                except FaceMimicError as e:
                    return _error(e)

            return route

    return OneLineErrors


def create_router(workspace: Path, max_upload_bytes: int | None = None):
    """The create routes for one workspace.

    Parameters
    ----------
    workspace : Path
        The studio's workspace (library in ``expressions/``, uploads in ``portraits/`` and
        ``audio/``, jobs in ``jobs/``, videos in ``animations/``).
    max_upload_bytes : int, optional
        Largest upload (the launch's limit; the security middleware also checks Content-Length).

    Returns
    -------
    fastapi.APIRouter
    """
    from dataclasses import asdict

    from . import designer
    from .jobs import (AUDIO_DIR, AUDIO_SUFFIXES, DRIVERS, IMAGE_SUFFIXES, PORTRAIT_DIR, SIZES, VIDEO_DIR,
                       VIDEO_SUFFIXES, AnimateRequest, JobQueue, check_audio, check_image, check_video)

    workspace = Path(workspace).resolve()
    router = APIRouter(prefix="/api/create", route_class=_route_class())
    queue = JobQueue(workspace)
    router.job_queue = queue  # for the launcher and tests: the queue behind these routes
    router.on_shutdown.append(queue.stop)

    @router.get("/info")
    def info():
        from ...animate.avatar import preset_names

        return {"styles": list(designer.STYLES), "pose_keys": {k: list(v) for k, v in designer.POSE_KEYS.items()},
                "avatar_styles": list(preset_names()), "drivers": list(DRIVERS), "sizes": list(SIZES),
                "max_variations": designer.MAX_VARIATIONS}

    @router.post("/express")
    def express(data: dict = Body(...)):
        """The prompt's variations (generator output, edits applied) with the 2D avatar's SVG each."""
        style = str(data.pop("avatar_style", "default"))
        return designer.variations_json(designer.generate_design(designer.Design.from_json(data), workspace), style)

    @router.post("/pose")
    def pose(data: dict = Body(...)):
        """The 2D avatar drawn for one edited pose (the sliders' live view)."""
        return {"svg": designer.avatar_svg(designer.frame_from_json(data), str(data.get("avatar_style", "default")))}

    @router.post("/morphs")
    def morphs(data: dict = Body(...)):
        """A 3D model's morph targets for designed poses (the export alias table, as the live 3D panel)."""
        poses = data.get("poses")
        if not isinstance(poses, list) or len(poses) > designer.MAX_VARIATIONS \
                or not all(isinstance(p, dict) for p in poses):
            raise ParameterError(f"poses must be a list of at most {designer.MAX_VARIATIONS} poses")
        return designer.morph_values(data.get("targets"), [designer.frame_from_json(p) for p in poses],
                                     data.get("combinations"), data.get("meshes"))

    from .still import StillRenderer

    stills = StillRenderer(workspace)

    @router.post("/still")
    def still(data: dict = Body(...)):
        """One pose on the user's portrait, drawn by the animator (JPEG)."""
        from fastapi.responses import Response

        try:
            size = int(data.get("size") or 512)
            face = None if data.get("face") in (None, "") else int(data["face"])
        except (TypeError, ValueError):
            raise ParameterError("size and face must be whole numbers") from None
        # the animate panel's face and crop: the face the video would animate
        drawn = stills.render(str(data.get("source") or ""), designer.frame_from_json(data), size, face,
                              str(data.get("crop") or "fit"))
        return Response(drawn.jpeg, media_type="image/jpeg",
                        headers={"cache-control": "no-store", "x-still-crop": drawn.crop})

    @router.get("/library")
    def library():
        return {"expressions": designer.list_library(workspace)}

    @router.post("/library/{name}")
    def save(name: str, data: dict = Body(...)):
        """Save a design as ``expressions/NAME.jsonl`` (re-generated with its seed, edits applied)."""
        design = designer.Design.from_json(data)
        if design.seed is None:
            raise ParameterError("save needs the seed the variations were made with")
        path = designer.save_design(workspace, name, design)
        return {"name": name, "path": path.relative_to(workspace).as_posix()}

    @router.get("/library/{name}/vrm")
    def vrm_expressions(name: str, avatar: str | None = None):
        """The saved expression's variations as VRM expressions (``facemimic export -f vrm -e …``)."""
        import shutil
        import tempfile

        from fastapi.responses import FileResponse
        from starlette.background import BackgroundTask

        tmp = Path(tempfile.mkdtemp(prefix="facemimic-studio-vrm-"))
        try:
            target = designer.export_vrm_expressions(workspace, name, tmp / f"{name}.vrm", avatar)
        except FaceMimicError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return FileResponse(target, filename=target.name, media_type="model/gltf-binary",
                            background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))

    @router.post("/timeline/parse")
    def timeline_parse(data: dict = Body(...)):
        """Timeline text -> spans (the generator's parser)."""
        from .timeline import parse

        return {"spans": parse(data.get("text"))}

    @router.post("/timeline/format")
    def timeline_format(data: dict = Body(...)):
        """Spans -> timeline text (parses back to the same spans)."""
        from .timeline import format_timeline, parse

        text = format_timeline(data.get("spans"))
        return {"text": text, "spans": parse(text)}

    @router.post("/timeline/build/{name}")
    def timeline_build(name: str, data: dict = Body(...)):
        """Mood + speech lanes -> ``timelines/NAME.jsonl`` (+ ``.wav``), as ``animate --say --mood`` builds them."""
        from .timeline import TimelineRequest, build_timeline

        return build_timeline(workspace, name, TimelineRequest.from_json(data))

    @router.post("/timeline/morphs/{name}")
    def timeline_morphs(name: str, data: dict = Body(...)):
        """A built timeline's values for the 3D avatar's morph targets (export's alias table), all frames."""
        from .timeline import timeline_morphs as morphs

        return morphs(workspace, name, data.get("targets"), data.get("combinations"), data.get("meshes"))

    @router.post("/timeline/poses/{name}")
    def timeline_poses(name: str, data: dict = Body(...)):
        """A run of a built timeline's frames drawn as the 2D avatar (the page caches them for playback)."""
        from .timeline import timeline_poses as poses

        return poses(workspace, name, data.get("start", 0), data.get("count", 30),
                     str(data.get("avatar_style") or "default"))

    @router.get("/timeline/cues/{name}")
    def timeline_cues(name: str, format: str = "rhubarb-tsv"):
        """The speech lane's Rhubarb cues, as ``facemimic lipsync`` writes them."""
        from fastapi.responses import Response

        from .timeline import speech_cues

        text, filename = speech_cues(workspace, name, format)
        return Response(text, media_type="text/plain; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{filename}"'})

    @router.post("/analyse")
    def analyse(data: dict = Body(...)):
        """The emotion timeline of a workspace take, track or video (``facemimic analyze FILE --csv``)."""
        from .analyse import analyse_file

        return analyse_file(workspace, str(data.get("source") or ""))

    from .learn import Trainer

    trainer = Trainer(workspace)

    @router.post("/label/{name}")
    def label(name: str, data: dict = Body(...)):
        """Labelled spans of a workspace file -> ``datasets/NAME.npz`` (``facemimic label --at …``)."""
        from .learn import label_spans

        return label_spans(workspace, str(data.get("source") or ""), data.get("spans"), name)

    @router.post("/train/{name}")
    def train(name: str, data: dict = Body(...)):
        """Start training ``models/NAME.npz`` on a dataset (``facemimic train``); poll the job."""
        try:
            epochs, seed = int(data.get("epochs") or 6), int(data.get("seed") or 0)
        except (TypeError, ValueError):
            raise ParameterError("epochs and seed must be whole numbers") from None
        return asdict(trainer.start(str(data.get("dataset") or ""), name, epochs, seed))

    @router.get("/train/jobs")
    def train_jobs():
        return {"jobs": [asdict(j) for j in trainer.list()]}

    @router.post("/train/job/{job_id}/cancel")
    def train_cancel(job_id: str):
        return asdict(trainer.cancel(job_id))

    @router.get("/train/job/{job_id}")
    def train_job(job_id: str):
        return asdict(trainer.get(job_id))

    @router.get("/models")
    def models():
        from .learn import list_models

        return {"models": list_models(workspace)}

    @router.put("/upload/{name}")
    async def upload(name: str, request: Request):
        """A portrait (``portraits/``), a recording (``audio/``) or a driving video (``videos/``),
        checked by the CLI's readers before it appears."""
        from ...common.files import AtomicFile
        from ..security import UploadTooLarge, confine

        suffix = Path(name).suffix.lower()
        kinds = {**{s: (PORTRAIT_DIR, check_image, "portrait") for s in IMAGE_SUFFIXES},
                 **{s: (AUDIO_DIR, check_audio, "audio") for s in AUDIO_SUFFIXES},
                 **{s: (VIDEO_DIR, check_video, "video") for s in VIDEO_SUFFIXES}}
        if "/" in name or "\\" in name or suffix not in kinds:
            return _error(InputError(name, "cannot upload this kind of file (accepted: "
                                           f"{', '.join(sorted(kinds))})"))
        folder, check, kind = kinds[suffix]
        try:
            target = confine(workspace, f"{folder}/{name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            limit = max_upload_bytes
            size = 0
            with AtomicFile(target, "wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise UploadTooLarge(limit)
                    out.file.write(chunk)
                out.file.flush()
                # Read with the CLI's reader before the file appears: a bad upload leaves nothing.
                check(out.tmp, name)
        except UploadTooLarge as e:
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": f"{name}: {e}"}, status_code=413)
        return {"path": target.relative_to(workspace).as_posix(), "bytes": size, "kind": kind}

    @router.get("/faces")
    def faces(source: str):
        """Every face of an uploaded photo with a thumbnail, numbered as ``animate --face N`` (the picker)."""
        from .faces import photo_faces

        return photo_faces(workspace, source)

    @router.get("/jobs")
    def jobs():
        return {"jobs": [asdict(j) for j in queue.list()]}

    @router.post("/jobs")
    def submit(data: dict = Body(...)):
        return asdict(queue.submit(AnimateRequest.from_json(data)))

    @router.websocket("/jobs/ws")
    async def jobs_socket(ws: WebSocket):
        """Job changes and the running job's live frame, pushed (see :mod:`.job_socket`)."""
        from .job_socket import job_socket

        await job_socket(ws, queue)

    @router.get("/jobs/{job_id}")
    def job(job_id: str):
        return asdict(queue.get(job_id))

    @router.post("/jobs/{job_id}/cancel")
    def cancel(job_id: str):
        return asdict(queue.cancel(job_id))

    return router


__all__ = ["create_router"]
