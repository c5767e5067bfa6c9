"""Which clients the conformance suite runs on, and how much of it each runs."""

from __future__ import annotations

import os
import re

SUBJECT_PACKAGE = os.environ.get("CONFORMANCE_SUBJECT", "chromalake")
EMBEDDED_KINDS = ["ephemeral", "persistent"]
REMOTE_KINDS = ["http", "async-http", "cloud"]
SUBJECT_KINDS = EMBEDDED_KINDS + (REMOTE_KINDS if SUBJECT_PACKAGE == "chromalake" else [])
# make test runs every scenario over HttpClient, and AsyncHttpClient and CloudClient (thin
# shells over the same operations) on the files below; CONFORMANCE_FULL=1 (make
# conformance-clients) runs every scenario on every kind.
FULL_REMOTE = os.environ.get("CONFORMANCE_FULL") == "1"
SHELL_KINDS = ("async-http", "cloud")
SHELL_FILES = (
    "test_admin.py",
    "test_client.py",
    "test_errors.py",
    "test_records.py",
    "test_search.py",
)
REMOTE_EXAMPLES = 8
# Scenarios where chromalake's server answers otherwise than Chroma's, on purpose. They run
# as strict xfails on the remote kinds, so that a change on either side shows up.
KNOWN_REMOTE_DIFFERENCES = {
    "test_bad_collection_metadata[remote-{'empty_list': []}]": (
        "Chroma's server drops the connection (it panics) on an empty list in collection "
        "metadata; chromalake's answers 400 InvalidArgumentError, in the embedded "
        "binding's words"
    ),
    "test_query_texts_use_embed_query[remote]": (
        "chromadb's HttpClient fails with AttributeError ('list' object has no attribute "
        "'tolist') when embed_query returns plain lists, where its embedded client embeds; "
        "chromalake's remote clients embed as the embedded ones do"
    ),
}


def remote_name(name: str) -> str:
    """A test's name with its remote kind written as "remote" (the kinds share outcomes)."""
    return re.sub(r"\[(http|async-http|cloud)", "[remote", name)


def oracle_key(nodeid: str) -> str:
    """The key under which a remote test's oracle outcomes are shared: HttpClient and
    AsyncHttpClient compare with chromadb's HttpClient, CloudClient with its CloudClient."""
    return re.sub(r"\[(http|async-http)", "[http-client", nodeid)
