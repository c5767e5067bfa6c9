"""chromalake's collections pass ``isinstance(x, chromadb.Collection)`` where chromadb is used.

Integrations such as LlamaIndex's ``ChromaVectorStore`` check that a collection is an instance
of chromadb's class. chromadb's ``Collection`` is a plain class (no ``register``), so ours
takes it as a further base, once chromadb's module is loaded: at once if it already is, else
when the program imports it (an import hook that waits for that one module). chromalake never
imports chromadb itself, so a process without chromadb, or that never uses it, pays nothing.
Our own methods come first in the resulting MRO; chromadb's ``__init__`` is never run.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

_lock = threading.Lock()
#: Classes waiting for a chromadb module: module name -> [(our class, their class name)].
_pending: dict[str, list[tuple[type, str]]] = {}


def pass_as(cls: type, module_name: str, class_name: str) -> None:
    """Make ``cls`` a subclass of ``module_name.class_name`` once that module is loaded.

    Example:
        >>> class Mine:
        ...     pass
        >>> import collections
        >>> pass_as(Mine, "collections", "UserDict")
        >>> isinstance(Mine(), collections.UserDict)
        True
    """
    with _lock:
        module = sys.modules.get(module_name)
        if module is None or not hasattr(module, class_name):
            _pending.setdefault(module_name, []).append((cls, class_name))
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    _adopt(cls, getattr(module, class_name))


def _adopt(cls: type, base: type) -> None:
    if issubclass(cls, base):
        return
    try:
        cls.__bases__ = (*(b for b in cls.__bases__ if b is not object), base)
    except TypeError:  # an incompatible layout in a future chromadb: stay as we are
        return


def _loaded(module: ModuleType) -> None:
    with _lock:
        waiting = _pending.pop(module.__name__, [])
    for cls, class_name in waiting:
        base = getattr(module, class_name, None)
        if isinstance(base, type):
            _adopt(cls, base)


class _AdoptingLoader(importlib.abc.Loader):
    """The module's own loader, then :func:`_loaded` on the module it made."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _loaded(module)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a module a class is waiting for."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _pending:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _AdoptingLoader(spec.loader)
        return spec


_FINDER = _Finder()
