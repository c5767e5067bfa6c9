"""The old path of :mod:`chromalake.search.payload` (the Search API's payload parser).

Kept so that imports of ``chromalake.search_spec`` (the engine's among them) keep working; new
code imports ``chromalake.search.payload``.
"""

from chromalake.search.payload import *  # noqa: F403

# The key names, outside the parser's __all__ (a star import leaves them out).
from chromalake.search.payload import DOCUMENT as DOCUMENT
from chromalake.search.payload import EMBEDDING as EMBEDDING
from chromalake.search.payload import ID as ID
from chromalake.search.payload import METADATA as METADATA
from chromalake.search.payload import PREDEFINED_KEYS as PREDEFINED_KEYS
from chromalake.search.payload import SCORE as SCORE
from chromalake.search.payload import serde_path as serde_path
