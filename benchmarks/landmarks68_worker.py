"""dlib's 68-point face landmarks, run in the judges' OWN virtual environment (see portrait_judges.py
``--setup``): ``benchmarks/units_outside.py`` calls it as a subprocess so that FaceMimic never imports
dlib and nothing it calibrates can see this detector.

Protocol: a JSON list on stdin of ``{"path": p, "near": [x, y] | null}``; a JSON list on stdout, one
``[[x, y] * 68]`` (pixels) or null (no face) per image: the face whose box centre is nearest ``near``
(the largest face without it). Weights: ``face_recognition_models`` 0.3.0 (CC0),
``shape_predictor_68_face_landmarks.dat`` (iBUG 300-W), with dlib's HOG face detector.
"""

from __future__ import annotations

import json
import sys

import cv2
import dlib
import face_recognition_models as frm


def main() -> int:
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    out = []
    for job in json.load(sys.stdin):
        image = cv2.imread(job["path"])
        if image is None:
            raise SystemExit(f"{job['path']}: cannot read the image")
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        faces = list(detector(rgb, 1))
        if not faces:
            out.append(None)
            continue
        if job.get("near") is not None:
            x, y = job["near"]
            faces.sort(key=lambda r: (r.center().x - x) ** 2 + (r.center().y - y) ** 2)
        else:
            faces.sort(key=lambda r: -r.area())
        shape = predictor(rgb, faces[0])
        out.append([[p.x, p.y] for p in shape.parts()])
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
