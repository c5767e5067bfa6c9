"""Sparse embedding functions (one :class:`~chromalake.types.SparseVector` per text), as
chromadb's: Chroma's BM25 (computed here: ``pip install chromalake[bm25]`` for its stemmer
and hash), fastembed's BM25 and sparse models, sentence-transformers' sparse encoders, and
Chroma Cloud's SPLADE.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import Enum
from typing import Any, Literal, TypedDict

from chromalake.types import Documents, SparseVector, SparseVectors
from chromalake.utils.embedding_functions.http_apis import (
    chroma_cloud_session,
    get_chroma_embed_url,
)
from chromalake.utils.embedding_functions.support import (
    ConfigSchema,
    ConfiguredSparseEmbeddingFunction,
    check_primitive_kwargs,
    require,
)

TaskType = Literal["document", "query"]

# NLTK's English stopwords, the list Chroma's BM25 drops by default.
# fmt: off
DEFAULT_ENGLISH_STOPWORDS: list[str] = [
    "a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and", "any",
    "are", "aren", "aren't", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "couldn", "couldn't", "d", "did", "didn", "didn't",
    "do", "does", "doesn", "doesn't", "doing", "don", "don't", "down", "during", "each", "few",
    "for", "from", "further", "had", "hadn", "hadn't", "has", "hasn", "hasn't", "have", "haven",
    "haven't", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "i", "if", "in", "into", "is", "isn", "isn't", "it", "it's", "its", "itself", "just", "ll",
    "m", "ma", "me", "mightn", "mightn't", "more", "most", "mustn", "mustn't", "my", "myself",
    "needn", "needn't", "no", "nor", "not", "now", "o", "of", "off", "on", "once", "only", "or",
    "other", "our", "ours", "ourselves", "out", "over", "own", "re", "s", "same", "shan", "shan't",
    "she", "she's", "should", "should've", "shouldn", "shouldn't", "so", "some", "such", "t",
    "than", "that", "that'll", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "ve", "very",
    "was", "wasn", "wasn't", "we", "were", "weren", "weren't", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "won", "won't", "wouldn", "wouldn't", "y",
    "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves",
]
# fmt: on
DEFAULT_CHROMA_BM25_STOPWORDS: list[str] = list(DEFAULT_ENGLISH_STOPWORDS)


def normalize_sparse_vector(
    indices: list[int], values: list[float], labels: list[str] | None = None
) -> SparseVector:
    """A SparseVector from unsorted entries, sorted by index (labels follow their index).

    Example:
        >>> normalize_sparse_vector([5, 2], [0.5, 0.25])
        SparseVector(indices=[2, 5], values=[0.25, 0.5], labels=None)
    """
    if not indices:
        return SparseVector(indices=[], values=[], labels=None)
    order = sorted(range(len(indices)), key=lambda i: indices[i])
    return SparseVector(
        indices=[indices[i] for i in order],
        values=[values[i] for i in order],
        labels=None if labels is None else [labels[i] for i in order],
    )


class Bm25Tokenizer:
    """Chroma's BM25 tokens: lower-cased words of letters and digits, stopwords and words
    longer than ``token_max_length`` dropped, each stemmed (English Snowball)."""

    _PUNCTUATION = re.compile(r"[^\w\s]+", flags=re.UNICODE)

    def __init__(self, stemmer: Any, stopwords: Iterable[str], token_max_length: int) -> None:
        self._stemmer = stemmer
        self._stopwords = {word.lower() for word in stopwords}
        self._token_max_length = token_max_length

    def tokenize(self, text: str) -> list[str]:
        tokens = []
        for word in self._PUNCTUATION.sub(" ", text).lower().split():
            if word in self._stopwords or len(word) > self._token_max_length:
                continue
            stem = self._stemmer.stemWord(word).strip()
            if stem:
                tokens.append(stem)
        return tokens


class ChromaBm25EmbeddingFunction(ConfiguredSparseEmbeddingFunction[Documents]):
    """Chroma's BM25 document vectors: each distinct token's murmur3 hash (absolute value) with
    its saturated term frequency ``tf * (k + 1) / (tf + k * (1 - b + b * len / avg_len))``.

    Example:
        >>> ef = ChromaBm25EmbeddingFunction(include_tokens=True)
        >>> vector = ef(["The cats and the cat"])[0]
        >>> vector.labels, [round(v, 3) for v in vector.values]
        (['cat'], [1.907])
    """

    schema = ConfigSchema(
        "chroma_bm25",
        {
            "k": ("number",),
            "b": ("number",),
            "avg_doc_length": ("number",),
            "token_max_length": ("number",),
            "stopwords": ("array",),
            "include_tokens": ("boolean",),
        },
    )
    immutable = ()

    def __init__(
        self,
        k: float = 1.2,
        b: float = 0.75,
        avg_doc_length: float = 256.0,
        token_max_length: int = 40,
        stopwords: Iterable[str] | None = None,
        include_tokens: bool = False,
    ) -> None:
        self.k = float(k)
        self.b = float(b)
        self.avg_doc_length = float(avg_doc_length)
        self.token_max_length = int(token_max_length)
        self.include_tokens = bool(include_tokens)
        self.stopwords = None if stopwords is None else [str(w) for w in stopwords]
        self._hash = require("mmh3", "murmurhash3", label="murmurhash3").hash

    def _tokenizer(self) -> Bm25Tokenizer:
        snowball = require("snowballstemmer", "snowballstemmer")
        return Bm25Tokenizer(
            snowball.stemmer("english"),
            DEFAULT_CHROMA_BM25_STOPWORDS if self.stopwords is None else self.stopwords,
            self.token_max_length,
        )

    def _encode(self, tokenizer: Bm25Tokenizer, text: str) -> SparseVector:
        tokens = tokenizer.tokenize(text)
        if not tokens:
            return SparseVector(indices=[], values=[])
        # Tokens with one hash are one entry (labelled by the first of them), as in Chroma.
        counts: Counter[int] = Counter()
        label_of: dict[int, str] = {}
        for token in tokens:
            hashed = abs(self._hash(token, seed=0))
            counts[hashed] += 1
            label_of.setdefault(hashed, token)
        norm = self.k * (1 - self.b + self.b * len(tokens) / self.avg_doc_length)
        indices = sorted(counts)
        values = [counts[i] * (self.k + 1) / (counts[i] + norm) for i in indices]
        labels = [label_of[i] for i in indices] if self.include_tokens else None
        return SparseVector(indices=indices, values=values, labels=labels)

    def __call__(self, input: Documents) -> SparseVectors:
        if not input:
            return []
        tokenizer = self._tokenizer()
        return [self._encode(tokenizer, text) for text in input]

    @staticmethod
    def name() -> str:
        return "chroma_bm25"

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "k": self.k,
            "b": self.b,
            "avg_doc_length": self.avg_doc_length,
            "token_max_length": self.token_max_length,
            "include_tokens": self.include_tokens,
        }
        if self.stopwords is not None:
            config["stopwords"] = list(self.stopwords)
        return config

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        for key in new_config:
            if key not in self.schema.properties:
                raise ValueError(f"Updating '{key}' is not supported for chroma_bm25")


class _TaskModel(ConfiguredSparseEmbeddingFunction[Documents]):
    """A local sparse model with a document task and a query task (fastembed's
    ``embed``/``query_embed``, sentence-transformers' ``encode_document``/``encode_query``);
    ``query_config`` picks the task of ``embed_query``."""

    immutable = ()
    _model: Any
    task: TaskType | None
    query_config: Any

    def _library(self) -> None:
        """Import the model's library again, as chromadb does before each call."""

    def _run(self, task: Any, texts: list[str]) -> list[SparseVector]:
        raise NotImplementedError

    def _embed(self, task: Any, input: Documents) -> SparseVectors:
        self._library()
        if task not in ("document", "query"):
            raise ValueError(f"Invalid task: {task}")
        return self._run(task, list(input))

    def __call__(self, input: Documents) -> SparseVectors:
        return self._embed(self.task, input)

    def embed_query(self, input: Documents) -> SparseVectors:
        if self.query_config is None:
            return self(input)
        return self._embed(self.query_config.get("task"), input)


class Bm25EmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


class _Fastembed(_TaskModel):
    def _run(self, task: Any, texts: list[str]) -> list[SparseVector]:
        vectors = self._model.embed(texts) if task == "document" else self._model.query_embed(texts)
        return [normalize_sparse_vector(v.indices.tolist(), v.values.tolist()) for v in vectors]


class Bm25EmbeddingFunction(_Fastembed):
    """fastembed's BM25 (``Qdrant/bm25``)."""

    schema = ConfigSchema(
        "bm25",
        {
            "task": ("string",),
            "query_config": ("object",),
            "cache_dir": ("string", "null"),
            "k": ("number", "null"),
            "b": ("number", "null"),
            "avg_len": ("number", "null"),
            "language": ("string", "null"),
            "token_max_length": ("integer", "null"),
            "disable_stemmer": ("boolean", "null"),
            "specific_model_path": ("string", "null"),
            "kwargs": ("object",),
        },
    )

    def __init__(
        self,
        avg_len: float | None = None,
        task: TaskType | None = "document",
        cache_dir: str | None = None,
        k: float | None = None,
        b: float | None = None,
        language: str | None = None,
        token_max_length: int | None = None,
        disable_stemmer: bool | None = None,
        specific_model_path: str | None = None,
        query_config: Bm25EmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        self._library()
        self.task = task
        self.query_config = query_config
        self.cache_dir = cache_dir
        self.k = k
        self.b = b
        self.avg_len = avg_len
        self.language = language
        self.token_max_length = token_max_length
        self.disable_stemmer = disable_stemmer
        self.specific_model_path = specific_model_path
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        options: dict[str, Any] = {"model_name": "Qdrant/bm25"}
        for key in self._MODEL_OPTIONS:
            if getattr(self, key) is not None:
                options[key] = getattr(self, key)
        options.update({key: value for key, value in kwargs.items() if value is not None})
        self._model = require("fastembed.sparse.bm25", "fastembed").Bm25(**options)

    _MODEL_OPTIONS = (
        "cache_dir",
        "k",
        "b",
        "avg_len",
        "language",
        "token_max_length",
        "disable_stemmer",
        "specific_model_path",
    )

    def _library(self) -> None:
        require("fastembed.sparse.bm25", "fastembed")

    @staticmethod
    def name() -> str:
        return "bm25"


class FastembedSparseEmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


class FastembedSparseEmbeddingFunction(_Fastembed):
    """A fastembed ``SparseTextEmbedding`` model (SPLADE and others)."""

    schema = ConfigSchema(
        "fastembed_sparse",
        {
            "model_name": ("string",),
            "task": ("string",),
            "query_config": ("object",),
            "cache_dir": ("string", "null"),
            "threads": ("integer", "null"),
            "cuda": ("boolean", "null"),
            "device_ids": ("array", "null"),
            "lazy_load": ("boolean", "null"),
            "kwargs": ("object",),
        },
        required=("model_name",),
    )

    def __init__(
        self,
        model_name: str,
        task: TaskType | None = "document",
        cache_dir: str | None = None,
        threads: int | None = None,
        cuda: bool | None = None,
        device_ids: list[int] | None = None,
        lazy_load: bool | None = None,
        query_config: FastembedSparseEmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        fastembed = require("fastembed", "fastembed")
        self.task = task
        self.query_config = query_config
        self.model_name = model_name
        self.cache_dir = cache_dir
        self.threads = threads
        self.cuda = cuda
        self.device_ids = device_ids
        self.lazy_load = lazy_load
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        self._model = fastembed.SparseTextEmbedding(
            model_name, cache_dir, threads, cuda, device_ids, lazy_load, **kwargs
        )

    def _library(self) -> None:
        require("fastembed", "fastembed")

    @staticmethod
    def name() -> str:
        return "fastembed_sparse"


class HuggingFaceSparseEmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


class HuggingFaceSparseEmbeddingFunction(_TaskModel):
    """A sentence-transformers ``SparseEncoder`` (SPLADE models), loaded once per name."""

    schema = ConfigSchema(
        "huggingface_sparse",
        {
            "model_name": ("string",),
            "device": ("string",),
            "task": ("string",),
            "query_config": ("object",),
            "kwargs": ("object",),
        },
        required=("model_name", "device"),
    )
    models: dict[str, Any] = {}

    def __init__(
        self,
        model_name: str,
        device: str,
        task: TaskType | None = "document",
        query_config: HuggingFaceSparseEmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        library = require("sentence_transformers", "sentence_transformers")
        self.model_name = model_name
        self.device = device
        self.task = task
        self.query_config = query_config
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        if model_name not in self.models:
            self.models[model_name] = library.SparseEncoder(
                model_name_or_path=model_name, device=device, **kwargs
            )
        self._model = self.models[model_name]

    def _library(self) -> None:
        require("sentence_transformers", "sentence_transformers")

    def _run(self, task: Any, texts: list[str]) -> list[SparseVector]:
        if task == "document":
            vectors = self._model.encode_document(texts)
        else:
            vectors = self._model.encode_query(texts)
        return [_nonzero(vector) for vector in vectors]

    @staticmethod
    def name() -> str:
        return "huggingface_sparse"


def _nonzero(vector: Any) -> SparseVector:
    """A dense (or torch sparse) vector's nonzero entries."""
    import numpy as np

    if hasattr(vector, "to_dense"):
        dense = vector.to_dense().numpy()
    else:
        dense = vector.numpy() if hasattr(vector, "numpy") else np.array(vector)
    nonzero = np.where(dense != 0)[0]
    return normalize_sparse_vector(nonzero.tolist(), dense[nonzero].tolist())


class ChromaCloudSpladeEmbeddingModel(Enum):
    SPLADE_PP_EN_V1 = "prithivida/Splade_PP_en_v1"


class ChromaCloudSpladeEmbeddingFunction(ConfiguredSparseEmbeddingFunction[Documents]):
    """Chroma Cloud's SPLADE model (``POST {CHROMA_EMBED_URL}/embed_sparse``)."""

    schema = ConfigSchema(
        "chroma-cloud-splade",
        {"model": ("string",), "api_key_env_var": ("string",), "include_tokens": ("boolean",)},
        required=("api_key_env_var", "model"),
    )
    immutable = ()

    def __init__(
        self,
        api_key_env_var: str = "CHROMA_API_KEY",
        model: ChromaCloudSpladeEmbeddingModel = ChromaCloudSpladeEmbeddingModel.SPLADE_PP_EN_V1,
        include_tokens: bool = False,
    ) -> None:
        self.api_key_env_var = api_key_env_var
        self.api_key, self._session = chroma_cloud_session(api_key_env_var, model)
        self.model = model
        self.include_tokens = bool(include_tokens)
        self._api_url = f"{get_chroma_embed_url()}/embed_sparse"

    def close(self) -> None:
        self._session.close()

    def __call__(self, input: Documents) -> SparseVectors:
        if not input:
            return []
        httpx = require("httpx", "httpx")
        payload = {
            "texts": list(input),
            "task": "",
            "target": "",
            "fetch_tokens": "true" if self.include_tokens else "false",
        }
        try:
            response = self._session.post(self._api_url, json=payload, timeout=60)
            response.raise_for_status()
            return self._parse(response.json())
        except httpx.HTTPStatusError as exc:
            raise RuntimeError(
                "Failed to get embeddings from Chroma Cloud API: "
                f"HTTP {exc.response.status_code} - {exc.response.text}"
            ) from exc
        except httpx.TimeoutException as exc:
            raise RuntimeError("Request to Chroma Cloud API timed out after 60 seconds") from exc
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Failed to get embeddings from Chroma Cloud API: {exc}") from exc
        except Exception as exc:
            raise RuntimeError(f"Unexpected error calling Chroma Cloud API: {exc}") from exc

    def _parse(self, reply: Any) -> SparseVectors:
        vectors = []
        for item in reply["embeddings"]:
            labels = (item.get("labels") or None) if self.include_tokens else None
            vectors.append(
                normalize_sparse_vector(item.get("indices", []), item.get("values", []), labels)
            )
        return vectors

    @staticmethod
    def name() -> str:
        return "chroma-cloud-splade"

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model": self.model.value,
            "include_tokens": self.include_tokens,
        }

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> ChromaCloudSpladeEmbeddingFunction:
        if config.get("model") is None:
            raise ValueError("model must be provided in config")
        if not config.get("api_key_env_var"):
            raise ValueError("api_key_env_var must be provided in config")
        return cls(
            api_key_env_var=config["api_key_env_var"],
            model=ChromaCloudSpladeEmbeddingModel(config["model"]),
            include_tokens=config.get("include_tokens", False),
        )

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        for key in ("include_tokens", "model"):
            if key in new_config and new_config[key] != old_config.get(key):
                raise ValueError(f"Updating '{key}' is not supported for chroma-cloud-splade")
