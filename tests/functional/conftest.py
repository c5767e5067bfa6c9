"""Fixtures of the functional tests: S3 and DynamoDB on a moto server (``moto_server.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto_server import MotoAws, start_moto


@pytest.fixture(scope="session")
def moto_aws() -> Iterator[MotoAws]:
    """One moto server per test process (xdist workers each get their own)."""
    yield from start_moto()
