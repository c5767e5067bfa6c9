"""Requests first: background fetches wait for the reads this process is answering.

A cold process's first query needs a few megabytes (a stored index's codes and keys, the rows
it re-ranks); the background fetches that query starts (the dataset's local copy, the index's
whole file: hundreds of megabytes at 100k x 384) would share the network with it and queue
ahead of its requests (on moto, in the tests and benchmarks, they took a cold query from
~1.2 s to ~5 s). So a background fetch starts once no read is being answered, or after
:data:`LONGEST_WAIT` seconds under steady traffic. The state is the process's: reads on any
engine hold back fetches of any other, as they share one network.

Example:
    >>> with serving():
    ...     busy = active()
    >>> busy, active()
    (1, 0)
    >>> wait_until_idle(0.1)  # returns at once: nothing is being served
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

# The longest a background fetch waits for reads to finish before it starts anyway.
LONGEST_WAIT = 2.0

_idle = threading.Condition()
_active = 0

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def serving() -> Iterator[None]:
    """Mark a read in progress for its duration."""
    global _active
    with _idle:
        _active += 1
    try:
        yield
    finally:
        with _idle:
            _active -= 1
            if _active == 0:
                _idle.notify_all()


def a_read(method: Callable[P, R]) -> Callable[P, R]:
    """Decorate an engine method that answers a read (:func:`serving` around each call)."""

    @functools.wraps(method)
    def answered(*args: P.args, **kwargs: P.kwargs) -> R:
        with serving():
            return method(*args, **kwargs)

    return answered


def active() -> int:
    """Reads in progress."""
    with _idle:
        return _active


def wait_until_idle(longest: float = LONGEST_WAIT) -> None:
    """Return once no read is in progress, or after ``longest`` seconds."""
    deadline = time.monotonic() + longest
    with _idle:
        while _active and (left := deadline - time.monotonic()) > 0:
            _idle.wait(left)
