"""The old path of :mod:`chromalake.search.builder` (the Search API's builder).

Kept so that ``import chromalake.expressions`` and ``from chromalake.expressions import
Search`` keep working; new code imports ``chromalake.search.builder`` or ``chromalake``.
"""

from chromalake.search.builder import *  # noqa: F403
from chromalake.search.builder import __all__ as __all__
