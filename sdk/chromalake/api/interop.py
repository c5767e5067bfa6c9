"""chromalake's collections pass ``isinstance(x, chromadb.Collection)`` where chromadb is used.

Integrations such as LlamaIndex's ``ChromaVectorStore`` check that a collection is an instance
of chromadb's class. chromadb's ``Collection`` is a plain class (no ``register``), so ours
takes it as a further base, once chromadb's module is loaded: at once if it already is, else
when the program imports it (an import hook that waits for that one module). chromalake never
imports chromadb itself, so a process without chromadb, or that never uses it, pays nothing.
Our own methods come first in the resulting MRO; chromadb's ``__init__`` is never run, and
a public member only chromadb's class has (``attach_function``...) stays absent from ours.
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
        >>> import string
        >>> class Base:
        ...     pass
        >>> class Mine(Base):
        ...     pass
        >>> pass_as(Mine, "string", "Formatter")
        >>> isinstance(Mine(), string.Formatter), hasattr(Mine(), "vformat")
        (True, False)
    """
    with _lock:
        module = sys.modules.get(module_name)
        if module is None or not hasattr(module, class_name):
            _pending.setdefault(module_name, []).append((cls, class_name))
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    _adopt(cls, getattr(module, class_name))


class _Absent:
    """A member the adopted base has and we do not: reading it fails as for any missing one
    (its code would run on state we do not keep)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        holder = owner.__name__ if instance is None and owner else type(instance).__name__
        raise AttributeError(f"'{holder}' object has no attribute '{self._name}'")


def _adopt(cls: type, base: type) -> None:
    if issubclass(cls, base):
        return
    own = {name for klass in cls.__mro__ for name in vars(klass)}
    try:
        cls.__bases__ = (*(b for b in cls.__bases__ if b is not object), base)
    except TypeError:  # an incompatible layout in a future chromadb: stay as we are
        return
    for name in dir(base):
        if not name.startswith("_") and name not in own:
            setattr(cls, name, _Absent(name))


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
