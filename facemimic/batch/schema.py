"""The columns of a batch dataset, per task (docs/batch.md lists them).

Every row starts with the file it came from (``path``, ``content_hash``; the ``source_id`` is the
partition folder ``source_id=<id>``). Capture rows then follow the track CSV's columns
(:data:`facemimic.expressions.io.CSV_COLUMNS`: time, face, presence, confidence, head pose, gaze,
openness, the 88 UE weights by name) after a ``frame`` index; analysis adds the emotion columns;
lip-sync rows carry the mouth cue, the phone and the mouth track's UE weights.
"""

from __future__ import annotations

import pyarrow as pa

from ..emotions.facs import AU_LABELS
from ..emotions.states import BASIC, STATE_NAMES
from ..expressions.io import CSV_COLUMNS
from ..expressions.names import UE_NAMES

SOURCE_COLUMNS = (pa.field("path", pa.string()), pa.field("content_hash", pa.string()))
_INTS = {"face_id": pa.int32()}
_TYPES = {"time": pa.float64(), "present": pa.bool_()}
# The capture columns: frame index, then the track CSV's columns in their order.
CAPTURE_FIELDS = (pa.field("frame", pa.int32()),) + tuple(
    pa.field(c, _INTS.get(c) or _TYPES.get(c) or pa.float32()) for c in CSV_COLUMNS)
# Emotion columns: basic emotions as p_<name>, fine-grained states as state_<name>, AUs per side.
BASIC_COLUMNS = tuple(f"p_{b}" for b in BASIC)
STATE_COLUMNS = tuple("state_" + s.replace(" ", "_") for s in STATE_NAMES)
AU_COLUMNS = tuple(f"{au}_{side}" for au in AU_LABELS for side in ("left", "right"))
ANALYSIS_FIELDS = tuple(pa.field(c, pa.float32()) for c in ("valence", "arousal") + BASIC_COLUMNS
                        + STATE_COLUMNS + AU_COLUMNS)
LIPSYNC_FIELDS = (pa.field("frame", pa.int32()), pa.field("time", pa.float64()), pa.field("cue", pa.string()),
                  pa.field("cue_start", pa.float64()), pa.field("cue_end", pa.float64()),
                  pa.field("phone", pa.string())) + tuple(pa.field(n, pa.float32()) for n in UE_NAMES)


def schema(task: str) -> pa.Schema:
    """The Arrow schema of one partition of a ``task`` dataset (without the ``source_id`` key)."""
    if task == "track":
        fields = SOURCE_COLUMNS + CAPTURE_FIELDS
    elif task == "analyze":
        fields = SOURCE_COLUMNS + CAPTURE_FIELDS + ANALYSIS_FIELDS
    else:
        fields = SOURCE_COLUMNS + LIPSYNC_FIELDS
    return pa.schema(list(fields))


# The manifest: one row per input file (status done | no_face | failed).
MANIFEST_SCHEMA = pa.schema([
    pa.field("source_id", pa.string()), pa.field("path", pa.string()), pa.field("content_hash", pa.string()),
    pa.field("size", pa.int64()), pa.field("mtime_ns", pa.int64()), pa.field("options_key", pa.string()),
    pa.field("task", pa.string()), pa.field("status", pa.string()), pa.field("error", pa.string()),
    pa.field("attempts", pa.int32()), pa.field("frames", pa.int64()), pa.field("rows", pa.int64()),
    pa.field("faces", pa.int32()), pa.field("duration", pa.float64()), pa.field("seconds", pa.float64()), pa.field("cpu_seconds", pa.float64()),
    pa.field("write_seconds", pa.float64()), pa.field("worker", pa.string()), pa.field("worker_rss_mb", pa.float64()),
    pa.field("finished_at", pa.string()),
])

__all__ = ["ANALYSIS_FIELDS", "AU_COLUMNS", "BASIC_COLUMNS", "CAPTURE_FIELDS", "LIPSYNC_FIELDS", "MANIFEST_SCHEMA",
           "STATE_COLUMNS", "schema"]
