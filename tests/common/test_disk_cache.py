"""The user cache below every stage: location, switch, atomic entries, least-recently-used bounds."""

from __future__ import annotations

from facemimic.common.cache import DiskCache, cache_root, content_key


def test_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("FACEMIMIC_NO_CACHE", raising=False)
    monkeypatch.delenv("FACEMIMIC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "facemimic"
    monkeypatch.setenv("FACEMIMIC_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    for off in ("1", "yes", "true"):
        monkeypatch.setenv("FACEMIMIC_NO_CACHE", off)
        assert cache_root() is None
        assert not DiskCache("x").enabled
    monkeypatch.setenv("FACEMIMIC_NO_CACHE", "0")
    assert cache_root() == tmp_path / "mine"


def test_content_key_separates_parts():
    import numpy as np

    assert content_key(b"ab", b"c") != content_key(b"a", b"bc")
    assert content_key(np.zeros(2, np.float32)) != content_key(np.zeros(2, np.float64))
    assert content_key(np.zeros((2, 1))) != content_key(np.zeros((1, 2)))
    assert content_key("x", 1) == content_key("x", 1)


def test_put_get_and_byte_bound(tmp_path):
    c = DiskCache("t", max_entries=100, max_bytes=250, root=tmp_path)
    assert c.get("a") is None
    for k in "abc":
        assert c.put(k, k.encode() * 100) is not None
    # 300 bytes > 250: the oldest entry went
    assert c.get("a") is None
    assert c.get("b") == b"b" * 100 and c.get("c") == b"c" * 100
    assert c.put("big", b"x" * 251) is None  # larger than the whole cache: not kept
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["b.bin", "c.bin"]  # no temp files left


def test_entry_bound_keeps_recently_used(tmp_path):
    c = DiskCache("t", max_entries=2, root=tmp_path)
    c.put("a", b"1")
    c.put("b", b"2")
    assert c.get("a") == b"1"  # used: now the most recent
    c.put("c", b"3")
    assert c.get("b") is None
    assert c.get("a") == b"1" and c.get("c") == b"3"


def test_unwritable_root_is_only_a_miss(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    c = DiskCache("t", root=blocker)
    assert c.put("a", b"1") is None
    assert c.get("a") is None
