"""The old path of :mod:`chromalake.records` (the records every layer passes).

Kept because the engine imports ``chromalake.models``; new code imports ``chromalake.records``.
"""

from chromalake.records import *  # noqa: F403
