"""Every public name of chromadb's user-facing modules exists in chromalake at the same path.

The names come from the installed chromadb (the oracle): what a module defines or re-exports
from chromadb itself, its type aliases and constants, but not what it merely imported from the
standard library or a third-party package (``Optional``, ``Path``, ``BaseModel``...) nor its
submodules. Anything chromalake deliberately lacks is in ``ALLOWED_MISSING`` with the reason.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from typing import Any

import pytest

MODULES = {
    "chromadb": "chromalake",
    "chromadb.api.types": "chromalake.api.types",
    "chromadb.config": "chromalake.config",
    "chromadb.errors": "chromalake.errors",
    "chromadb.utils.embedding_functions": "chromalake.utils.embedding_functions",
    "chromadb.utils.batch_utils": "chromalake.utils.batch_utils",
    "chromadb.utils.results": "chromalake.utils.results",
}

ALLOWED_MISSING: dict[str, set[str]] = {
    "chromadb": {
        # chromadb's Rust-bindings client; chromalake's embedded clients are its own engine.
        "RustClient",
        # Set at import by trying `import google.colab`; chromalake changes nothing in Colab
        # (is_in_colab() is there, computed when asked).
        "IN_COLAB",
        # The bases of chromadb's client classes' shared-system plumbing; chromalake's client
        # classes (ClientAPI, AdminAPI, AsyncClientAPI) are what user code types against.
        "ClientCreator",
        "AdminClientCreator",
        "AsyncClientCreator",
        # CloudClient's internal record of one argument's environment fallback.
        "CloudClientArg",
    },
    "chromadb.api.types": {
        # chromadb's request plumbing between its Collection and its server API (record sets
        # normalised, validated and packed for the wire); chromalake's own pipeline does this
        # in chromalake.api.records, and user code never calls these.
        "get_default_embeddable_record_set_fields",
        "normalize_base_record_set",
        "normalize_insert_record_set",
        "validate_base_record_set",
        "validate_insert_record_set",
        "validate_record_set_for_embedding",
        "validate_record_set_contains_any",
        "validate_record_set_contains_one",
        "validate_batch",
        "pack_embedding_safely",
        "optional_embeddings_to_base64_strings",
        "optional_base64_strings_to_embeddings",
        "serialize_metadata",
        "deserialize_metadata",
        # chromadb.config's flag, re-imported here by chromadb (chromalake.config has it).
        "is_thin_client",
    },
    "chromadb.config": {
        # chromadb's dependency-injection system and its server's segment routing: chromalake
        # composes its clients and server without them.
        "Component",
        "System",
        "RoutingMode",
        "LEGACY_ERROR",
        # A type variable of chromadb's own annotations.
        "T",
    },
}


_HELPER_MODULES = ("typing", "typing_extensions", "numpy.typing")


def _imported_from_elsewhere(name: str, value: Any) -> bool:
    """True for an object a chromadb module only imported (``Optional``, ``Path``...)."""
    home = getattr(value, "__module__", None)
    if isinstance(home, str) and home.startswith("chromadb"):
        return False
    homes = (home, *_HELPER_MODULES) if isinstance(home, str) else _HELPER_MODULES
    return any(getattr(sys.modules.get(m), name, None) is value for m in homes)


def _names_in_source(module_name: str) -> set[str]:
    """Top-level public definitions of a module that cannot be imported here (no pandas)."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_")}


def chromadb_names(module_name: str) -> set[str]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return _names_in_source(module_name)
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and not _imported_from_elsewhere(name, value)
    }


@pytest.mark.parametrize("theirs", sorted(MODULES))
def test_chromalake_has_every_public_name_of_chromadb(theirs: str) -> None:
    ours = importlib.import_module(MODULES[theirs])
    allowed = ALLOWED_MISSING.get(theirs, set())
    missing = sorted(n for n in chromadb_names(theirs) - allowed if not hasattr(ours, n))
    assert missing == [], f"{MODULES[theirs]} lacks chromadb's {missing}"


@pytest.mark.parametrize("theirs", sorted(ALLOWED_MISSING))
def test_the_allow_list_names_only_real_chromadb_names_still_missing(theirs: str) -> None:
    """A stale entry (chromadb dropped the name, or chromalake gained it) fails here."""
    ours = importlib.import_module(MODULES[theirs])
    stale = sorted(
        n for n in ALLOWED_MISSING[theirs] if n not in chromadb_names(theirs) or hasattr(ours, n)
    )
    assert stale == []


def test_chromadb_s_top_level_all_is_complete_in_chromalake() -> None:
    """``from chromadb import *`` code gets the same names."""
    import chromadb

    import chromalake

    assert set(chromadb.__all__) <= set(chromalake.__all__)
