"""A real-text dataset: sentences of the Python standard library's docstrings, embedded with
chromalake's default model (all-MiniLM-L6-v2), for ``--dataset stdlib-text``.

Real English (technical prose), available offline on any machine with Python. The first use
collects the sentences in a fixed order, embeds them once and caches the vectors under
``benchmarks/.data/`` (not in git); queries are sentences held out from the stored set.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import re
import sys
import warnings
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".data"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _docstrings() -> list[str]:
    """Docstrings of the stdlib's pure-Python modules and their public members, in name order."""
    texts: list[str] = []
    names = sorted(m.name for m in pkgutil.iter_modules() if m.name in sys.stdlib_module_names)
    for name in names:
        if name.startswith("_") or name in {"antigravity", "this", "idlelib", "tkinter", "turtle"}:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:  # a module this platform cannot import (winreg, ...)
            continue
        texts.append(inspect.getdoc(module) or "")
        for _, member in sorted(vars(module).items()):
            if inspect.isfunction(member) or inspect.isclass(member):
                texts.append(inspect.getdoc(member) or "")
            if inspect.isclass(member):  # and its methods
                texts += [
                    inspect.getdoc(m) or ""
                    for _, m in sorted(vars(member).items())
                    if inspect.isfunction(m)
                ]
    return texts


def sentences(limit: int) -> list[str]:
    """Up to ``limit`` distinct sentences of 6 to 60 words, in a fixed order."""
    seen: set[str] = set()
    found: list[str] = []
    for text in _docstrings():
        for sentence in _SENTENCE.split(" ".join(text.split())):
            if 6 <= len(sentence.split()) <= 60 and sentence not in seen:
                seen.add(sentence)
                found.append(sentence)
                if len(found) == limit:
                    return found
    return found


def load(n: int, dim: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` stored and ``queries`` held-out sentence vectors (384 dimensions; ``dim`` unused)."""
    del dim
    texts = sentences(n + queries)
    if len(texts) < n + queries:
        raise ValueError(f"the stdlib has {len(texts)} usable sentences here, {n + queries} asked")
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"stdlib-text-{key}.npy"
    if not path.exists():
        from chromalake.utils.embedding_functions import DefaultEmbeddingFunction

        CACHE.mkdir(exist_ok=True)
        vectors = np.asarray(DefaultEmbeddingFunction()(texts), np.float32)
        np.save(path, vectors)
    vectors = np.load(path)
    return np.ascontiguousarray(vectors[:n]), np.ascontiguousarray(vectors[n:])
