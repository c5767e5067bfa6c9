"""The old path of :mod:`chromalake.collection_config` (a collection's index configuration).

Kept because the engine imports ``chromalake.configuration``; new code imports
``chromalake.collection_config``.
"""

from chromalake.collection_config import *  # noqa: F403
