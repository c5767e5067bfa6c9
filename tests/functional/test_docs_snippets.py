"""Chroma's documentation snippets for embedding functions, run as written but for the import
line (``chromadb`` -> ``chromalake``), each in a fresh interpreter: the custom-function recipe,
the OpenAI example (against a fake OpenAI on 127.0.0.1) and the sentence-transformers example
(against a stand-in sentence_transformers package: the real one needs torch, which this
machine does not install).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_provider import FakeProvider, openai_reply, serve


def as_chromalake(snippet: str) -> str:
    """The snippet with chromadb's imports pointed at chromalake, and nothing else changed."""
    return (
        textwrap.dedent(snippet)
        .replace("import chromadb.utils", "import chromalake.utils")
        .replace("from chromadb", "from chromalake")
        .replace("import chromadb\n", "import chromalake as chromadb\n")
    )


def run(snippet: str, tmp_path: Path, **env: str) -> str:
    script = tmp_path / "snippet.py"
    script.write_text(as_chromalake(snippet))
    environment = {**os.environ, **env}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


CUSTOM_FUNCTION = """
import chromadb
from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function


@register_embedding_function
class MyEmbeddingFunction(EmbeddingFunction):
    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def __call__(self, input: Documents) -> Embeddings:
        # embed the documents somehow
        return [[len(text) * self.scale, 1.0] for text in input]

    @staticmethod
    def name() -> str:
        return "my-ef"

    def get_config(self):
        return dict(scale=self.scale)

    @staticmethod
    def build_from_config(config):
        return MyEmbeddingFunction(config["scale"])


client = chromadb.EphemeralClient()
collection = client.create_collection(
    name="my_collection", embedding_function=MyEmbeddingFunction()
)
collection.add(ids=["id1", "id2"], documents=["This is a document", "This is another document"])
results = collection.query(query_texts=["This is a query document"], n_results=1)
print(results["ids"], collection.configuration_json["embedding_function"])
"""


def test_the_custom_embedding_function_recipe(tmp_path: Path) -> None:
    out = run(CUSTOM_FUNCTION, tmp_path)
    assert out.strip() == ("[['id2']] {'type': 'known', 'name': 'my-ef', 'config': {'scale': 1.0}}")


OPENAI_EXAMPLE = """
import chromadb
import chromadb.utils.embedding_functions as embedding_functions

openai_ef = embedding_functions.OpenAIEmbeddingFunction(
    api_key="YOUR_API_KEY",
    model_name="text-embedding-3-small"
)

client = chromadb.EphemeralClient()
collection = client.create_collection(name="openai", embedding_function=openai_ef)
collection.add(ids=["a", "b"], documents=["lake", "mountain range"])
print(collection.query(query_texts=["mountain range"], n_results=1)["ids"])
"""


@pytest.fixture
def openai_api() -> Iterator[FakeProvider]:
    yield from serve(openai_reply)


def test_the_openai_example(openai_api: FakeProvider, tmp_path: Path) -> None:
    out = run(OPENAI_EXAMPLE, tmp_path, OPENAI_BASE_URL=openai_api.url + "/v1")
    assert out.strip() == "[['b']]"
    assert [r.header("authorization") for r in openai_api.requests] == ["Bearer YOUR_API_KEY"] * 2
    assert openai_api.requests[0].body["model"] == "text-embedding-3-small"


SENTENCE_TRANSFORMERS = """
import chromadb
from chromadb.utils import embedding_functions

sentence_transformer_ef = embedding_functions.SentenceTransformerEmbeddingFunction(
    model_name="all-MiniLM-L6-v2"
)
client = chromadb.EphemeralClient()
collection = client.create_collection(
    name="my_collection", embedding_function=sentence_transformer_ef
)
collection.add(ids=["a", "b"], documents=["short", "a longer text"])
print(collection.query(query_texts=["a longer text"], n_results=1)["ids"])
print(collection.configuration_json["embedding_function"]["config"])
"""

# A sentence_transformers package that "encodes" a text as (its length, 1).
STAND_IN = """
import numpy as np


class SentenceTransformer:
    def __init__(self, model_name_or_path, device="cpu", **kwargs):
        print("loaded", model_name_or_path, device)

    def encode(self, texts, convert_to_numpy=True, normalize_embeddings=False):
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
"""


def test_the_sentence_transformers_example(tmp_path: Path) -> None:
    package = tmp_path / "stand_in" / "sentence_transformers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(STAND_IN)
    out = run(SENTENCE_TRANSFORMERS, tmp_path, PYTHONPATH=str(package.parent))
    assert out.splitlines() == [
        "loaded all-MiniLM-L6-v2 cpu",
        "[['b']]",
        "{'model_name': 'all-MiniLM-L6-v2', 'device': 'cpu', 'normalize_embeddings': False, "
        "'kwargs': {}}",
    ]
