"""CMUdict look-ups without loading the whole dictionary into every pocketsphinx decoder.

pocketsphinx parses its 135,000-word dictionary (3.3 MB) each time a decoder is created: about
0.1 s per decoder, and alignment uses two. A transcript needs a few dozen of those words, so the
alignment decoders start with no dictionary and are given exactly the entries of the words they
align (:func:`load_words`), in the file's order, so alternative pronunciations (``word(2)``) link
up as they would have from the file.

Finding a word's entries is a binary search over an index of the file's lines sorted by word
(stably, so alternatives keep their order); building the index once costs ~0.2 s, so it is kept
in the user cache (:mod:`facemimic.common.cache`) under the SHA-256 of the dictionary's bytes.
"""

from __future__ import annotations

import bisect
import re
import threading
from pathlib import Path

import numpy as np

INDEX_VERSION = 1  # bump when the index format changes
_NAME = re.compile(rb"[^ \t\r\n]+")  # an entry's name: up to the first white space


def base_word(name: bytes) -> bytes:
    """``b"read(2)"`` -> ``b"read"``: pocketsphinx's rule (``dict_word2basestr``): a trailing
    ``(...)`` after at least one character is an alternative's number."""
    if name.endswith(b")"):
        i = name.rfind(b"(", 1)
        if i > 0:
            return name[:i]
    return name


class PronunciationDictionary:
    """A pocketsphinx-format dictionary (``word PH PH …`` per line) searched in place.

    Parameters
    ----------
    path : str or Path
        The dictionary file (pocketsphinx's ``cmudict-en-us.dict``).
    use_cache : bool
        Keep the line index in the user cache (off: rebuilt in memory).
    """

    def __init__(self, path: str | Path, *, use_cache: bool = True) -> None:
        import hashlib

        self.path = Path(path)
        self.data = self.path.read_bytes()
        self.digest = hashlib.sha256(self.data).hexdigest()
        self.index = self._load_index(use_cache)  # (n,) int64 line starts, sorted by base word

    def _build_index(self) -> np.ndarray:
        data = self.data
        starts = np.concatenate([[0], np.flatnonzero(np.frombuffer(data, np.uint8) == 10) + 1])
        rows = []
        for s in starts.tolist():
            end = data.find(b"\n", s)
            line = data[s:end if end >= 0 else len(data)]
            word = line.split(None, 1)[0] if line.strip() else b""
            if not word or line.startswith((b"##", b";;")):  # blank lines and comments
                continue
            rows.append((base_word(word), s))
        rows.sort(key=lambda r: r[0])  # stable: alternatives stay in file order
        return np.array([s for _, s in rows], np.int64)

    def _load_index(self, use_cache: bool) -> np.ndarray:
        import io

        from ..common.cache import DiskCache, content_key

        cache = DiskCache("dictionaries", max_entries=8) if use_cache else None
        key = content_key("pocketsphinx-dictionary-index", INDEX_VERSION, self.digest)
        if cache is not None:
            raw = cache.get(key)
            if raw is not None:
                try:
                    index = np.load(io.BytesIO(raw), allow_pickle=False)
                    if index.dtype == np.int64 and index.ndim == 1 and self._plausible(index):
                        return index
                except (ValueError, OSError, EOFError):
                    pass
                cache.discard(key)  # corrupt: rebuilt below
        index = self._build_index()
        if cache is not None:
            buf = io.BytesIO()
            np.save(buf, index, allow_pickle=False)
            cache.put(key, buf.getvalue())
        return index

    def _plausible(self, index: np.ndarray) -> bool:
        """A cheap check of a cached index: offsets in range, at line starts, words in order."""
        if len(index) == 0 or index.min() < 0 or index.max() >= len(self.data):
            return False
        probe = index[:: max(1, len(index) // 64)].tolist()
        if any(s > 0 and self.data[s - 1] != 10 for s in probe):
            return False
        words = [self._base_at(s) for s in probe]
        return words == sorted(words)

    def _name_at(self, start: int) -> bytes:
        m = _NAME.match(self.data, start)
        return m.group() if m else b""

    def _base_at(self, start: int) -> bytes:
        return base_word(self._name_at(start))

    def entries(self, word: str) -> list[tuple[str, str]]:
        """``[(entry name, "PH PH …")]`` of ``word`` and its alternatives, in file order ([] if absent)."""
        key = word.encode("utf-8")
        idx = self.index
        lo = bisect.bisect_left(range(len(idx)), key, key=lambda i: self._base_at(int(idx[i])))
        out = []
        for i in range(lo, len(idx)):
            s = int(idx[i])
            name = self._name_at(s)
            if base_word(name) != key:
                break
            end = self.data.find(b"\n", s)
            line = self.data[s:end if end >= 0 else len(self.data)].decode("utf-8")
            parts = line.split()
            out.append((parts[0], " ".join(parts[1:])))
        return out


_DICTS: dict[str, PronunciationDictionary] = {}
_LOCK = threading.Lock()


def dictionary(path: str | Path) -> PronunciationDictionary:
    """The (process-wide) :class:`PronunciationDictionary` of ``path``."""
    key = str(path)
    with _LOCK:
        if key not in _DICTS:
            _DICTS[key] = PronunciationDictionary(path)
        return _DICTS[key]


def load_words(words, d, path: str | Path) -> None:
    """Give decoder ``d`` the dictionary entries of ``words`` it does not have yet.

    Entries go in file order, so alternatives link as they would from the file; the caller sets
    the alignment text afterwards, which builds the search from the decoder's dictionary."""
    book = None
    for w in words:
        if not w or d.lookup_word(w) is not None:
            continue
        book = book or dictionary(path)
        for name, phones in book.entries(w):
            if d.lookup_word(name) is None:
                try:
                    d.add_word(name, phones, False)
                except RuntimeError:  # a phone the acoustic model lacks: pocketsphinx skips it too
                    pass


__all__ = ["PronunciationDictionary", "base_word", "dictionary", "load_words"]
