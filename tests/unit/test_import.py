"""Importing chromalake stays light: no Lance, pyarrow or boto3 until an embedded client is used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("lancedb", "pyarrow", "boto3", "aws_lambda_powertools", "tokenizers", "onnxruntime")


# What chromadb's embedding functions need: each imported only when a function is made.
PROVIDER_PACKAGES = (
    "openai",
    "cohere",
    "voyageai",
    "mistralai",
    "ollama",
    "perplexity",
    "google.genai",
    "google.generativeai",
    "langchain_core",
    "PIL",
    "snowballstemmer",
    "mmh3",
    "tenacity",
    "pandas",
    "chromadb",
)


def _loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> set[str]:
    probe = f"{code}; import sys; print(' '.join(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_loads_no_heavy_module() -> None:
    assert _loaded_after("import chromalake; chromalake.Settings(); chromalake.errors") == set()


def test_embedded_client_loads_the_engine_on_first_use() -> None:
    assert {"lancedb", "pyarrow"} <= _loaded_after(
        "import chromalake; chromalake.EphemeralClient().create_collection('col', "
        "embedding_function=None).add(ids=['a'], embeddings=[[1.0]])"
    )


def test_remote_clients_need_only_the_slim_install() -> None:
    """HttpClient, AsyncHttpClient and CloudClient import neither Lance, pyarrow nor boto3."""
    code = (
        "import chromalake; from chromalake.api import remote, async_client; "
        "from chromalake.utils import batch_utils; "
        "chromalake.HttpClient, chromalake.AsyncHttpClient, chromalake.CloudClient; "
        "from chromalake.http.endpoint import endpoint_for; "
        "from chromalake.api.backends import HttpBackend; "
        "HttpBackend(endpoint_for(chromalake.Settings(chroma_server_host='127.0.0.1')))"
    )
    assert _loaded_after(code) == set()


def test_default_embedding_function_loads_no_model_until_it_embeds() -> None:
    loaded = _loaded_after(
        "import chromalake; col = chromalake.EphemeralClient().create_collection('col'); "
        "col.add(ids=['a'], embeddings=[[1.0]]); col.query(query_embeddings=[[1.0]])"
    )
    assert not {"tokenizers", "onnxruntime"} & loaded


def test_the_authorizer_loads_neither_lance_nor_the_rest_app() -> None:
    """The authorizer is a small zip function: DynamoDB keys only (boto3 is in the runtime)."""
    code = (
        "from chromalake.auth.factory import build_authenticator, build_key_store; "
        "from chromalake.config import Settings; "
        "s = Settings(chromalake_table='t', chromalake_region='us-east-1'); "
        "build_authenticator(s, build_key_store(s))"
    )
    assert _loaded_after(code) == {"boto3"}


def test_chromadb_s_vocabulary_loads_no_provider_package_nor_lance() -> None:
    """Every public name, every embedding function class, and a client that stores a
    collection: no provider SDK, no Lance or pyarrow (until the engine is used), no chromadb."""
    code = (
        "import chromalake; from chromalake.utils import embedding_functions as ef; "
        "import chromalake.api.types, chromalake.utils.results, chromalake.config; "
        "[getattr(chromalake, n) for n in chromalake.__all__]; "
        "[getattr(ef, n) for n in ef.__all__]; "
        "from chromalake.api.backends import HttpBackend"
    )
    assert _loaded_after(code, HEAVY + PROVIDER_PACKAGES) == set()
