"""The batch dataset read as is by DuckDB (issue #17 §1: "readable by pandas, pyarrow, DuckDB and Ray Data"),
with the query docs/batch.md shows, against the same rows read by pandas."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parents[2] / "docs" / "batch.md"


def _documented_query() -> str:
    """The DuckDB line of docs/batch.md's reader table, joined over its two lines."""
    text = DOCS.read_text()
    m = re.search(r"^DuckDB\s+(SELECT .*?;)", text, flags=re.M | re.S)
    assert m, "docs/batch.md shows no DuckDB query"
    return " ".join(part.strip() for part in m.group(1).splitlines())


def test_documented_duckdb_query_matches_pandas(local_dataset, monkeypatch):
    import duckdb
    import pandas as pd

    root, _ = local_dataset
    monkeypatch.chdir(root.parent)  # the docs' query names the dataset folder relatively
    query = _documented_query().replace("'faces/", f"'{root.name}/")
    got = duckdb.sql(query).df().set_index("source_id").iloc[:, 0].sort_index()
    want = pd.read_parquet(root).groupby("source_id", observed=True)["JawOpen"].mean()
    want.index = want.index.astype(str)
    assert list(got.index) == sorted(want.index) and len(got) == 2  # the two files with a face
    np.testing.assert_allclose(got.to_numpy(), want.sort_index().to_numpy(), rtol=1e-6)
    assert (got > 0).all()  # talking and smiling faces: the jaw moves


def test_duckdb_reads_every_row_and_the_manifest(local_dataset):
    import duckdb
    import pandas as pd

    root, _ = local_dataset
    con = duckdb.connect()
    rows = con.sql(f"SELECT * FROM read_parquet('{root}/*/*.parquet', hive_partitioning=true) "
                   "ORDER BY source_id, frame, face_id").df()
    df = pd.read_parquet(root).sort_values(["source_id", "frame", "face_id"]).reset_index(drop=True)
    assert len(rows) == len(df) and set(df.columns) <= set(rows.columns)
    np.testing.assert_array_equal(rows["MouthCornerPullLeft"].to_numpy(np.float32),
                                  df["MouthCornerPullLeft"].to_numpy(np.float32))
    status = dict(con.sql(f"SELECT status, count(*) FROM read_parquet('{root}/_manifest.parquet') "
                          "GROUP BY status").fetchall())
    assert status == {"done": 2, "no_face": 1, "failed": 1}
