"""Head rotation for glTF avatars: which node is the head, and its local rotation per frame.

The track's head pose (yaw, pitch, roll in degrees; +yaw the subject turns to their right,
+pitch looks down, +roll tilts to the subject's left) becomes a model-space rotation ``Δ`` (see
:func:`.vrma.head_quaternions`; glTF/VRM 1.0 models face +Z, VRM 0.x models face −Z and get
``Δ`` turned by 180° about Y). A head node with rest local rotation ``L`` under parents whose rest
world rotation is ``P`` gets ``P⁻¹ · Δ · P · L``, so the head turns about the model's own axes
whatever the rig's bone orientations.
"""

from __future__ import annotations

import numpy as np

from .vrma import _qmul, head_quaternions

_HEAD_NAMES = ("head", "j_bip_c_head", "mixamorig:head", "bip01_head", "bip001 head")


def _quat_from_matrix(m: np.ndarray) -> np.ndarray:
    """Rotation part of a 4x4 column-major glTF matrix as (x, y, z, w)."""
    a = np.asarray(m, np.float64).reshape(4, 4).T[:3, :3]
    a = a / np.maximum(np.linalg.norm(a, axis=0, keepdims=True), 1e-12)  # drop scale
    t = np.trace(a)
    if t > 0:
        s = np.sqrt(t + 1.0) * 2
        q = [(a[2, 1] - a[1, 2]) / s, (a[0, 2] - a[2, 0]) / s, (a[1, 0] - a[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(a)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = np.sqrt(1.0 + a[i, i] - a[j, j] - a[k, k]) * 2
        q = [0.0, 0.0, 0.0, (a[k, j] - a[j, k]) / s]
        q[i] = 0.25 * s
        q[j] = (a[j, i] + a[i, j]) / s
        q[k] = (a[k, i] + a[i, k]) / s
    q = np.array(q)
    return q / np.linalg.norm(q)


def node_rotation(node: dict) -> np.ndarray:
    """A node's rest local rotation (x, y, z, w)."""
    if "matrix" in node:
        return _quat_from_matrix(node["matrix"])
    return np.asarray(node.get("rotation", [0.0, 0.0, 0.0, 1.0]), np.float64)


def head_nodes(gltf: dict, fallback: list[int]) -> tuple[list[int], str]:
    """The node(s) to turn and how they were found.

    VRM 1.0 / 0.x humanoid ``head`` bone first, then a node named like a head bone
    (``Head``, ``J_Bip_C_Head`` …), else ``fallback`` (the driven mesh nodes, when they are root
    nodes without a skin, like the test head) — else nothing.
    """
    ext = gltf.get("extensions", {})
    head = ext.get("VRMC_vrm", {}).get("humanoid", {}).get("humanBones", {}).get("head", {}).get("node")
    if head is not None:
        return [head], "VRM humanoid head"
    for b in ext.get("VRM", {}).get("humanoid", {}).get("humanBones", []):
        if b.get("bone") == "head" and b.get("node") is not None:
            return [b["node"]], "VRM 0.x humanoid head"
    nodes = gltf.get("nodes", [])
    for i, n in enumerate(nodes):
        if str(n.get("name", "")).lower() in _HEAD_NAMES:
            return [i], f"node named {n.get('name')!r}"
    children = {c for n in nodes for c in n.get("children", [])}
    roots = [i for i in fallback if i not in children and "skin" not in nodes[i]]
    if roots and len(roots) == len(fallback):
        return roots, "the mesh nodes themselves"
    return [], "no head bone found"


def head_local_rotations(gltf: dict, node_index: int, head_rotation: np.ndarray) -> np.ndarray:
    """Local rotations (T, 4) of ``node_index`` that turn it by the track's head pose.

    Parameters
    ----------
    gltf : dict
    node_index : int
    head_rotation : np.ndarray [shape=(T, 3)]
        Yaw, pitch, roll in degrees.
    """
    nodes = gltf["nodes"]
    parent = {c: i for i, n in enumerate(nodes) for c in n.get("children", [])}
    p = np.array([0.0, 0.0, 0.0, 1.0])
    i = node_index
    chain = []
    while i in parent:
        i = parent[i]
        chain.append(i)
    for j in reversed(chain):  # root first: P = R_root · … · R_parent
        p = _qmul(p, node_rotation(nodes[j]))
    delta = head_quaternions(head_rotation).astype(np.float64)
    if "VRM" in gltf.get("extensions", {}) and "VRMC_vrm" not in gltf.get("extensions", {}):
        delta = delta * np.array([-1.0, 1.0, -1.0, 1.0])  # VRM 0.x faces -Z: Δ turned 180° about Y
    p_inv = p * np.array([-1.0, -1.0, -1.0, 1.0])
    local = node_rotation(nodes[node_index])
    q = _qmul(_qmul(_qmul(np.broadcast_to(p_inv, delta.shape), delta), np.broadcast_to(p, delta.shape)),
              np.broadcast_to(local, delta.shape))
    for k in range(1, len(q)):  # shortest-path interpolation between neighbours
        if np.dot(q[k], q[k - 1]) < 0:
            q[k] = -q[k]
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


__all__ = ["head_local_rotations", "head_nodes", "node_rotation"]
