"""The model plumbing without the model: finding files, Chroma's download, safetensors,
pooling and the numpy maths, on small data made here."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import math
import struct
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from chromalake.minilm import bert, download, embedder, files, safetensors


def _seed_cache(home: Path, skip: str | None = None) -> Path:
    folder = files.chroma_cache_dir(home) / "onnx"
    folder.mkdir(parents=True)
    for name in files.ONNX_FILES:
        if name != skip:
            (folder / name).write_text("{}")
    return folder


def test_chroma_cache_is_used_only_when_complete(tmp_path: Path) -> None:
    _seed_cache(tmp_path / "partial", skip="vocab.txt")
    assert files.cached_onnx(tmp_path / "partial") is None
    folder = _seed_cache(tmp_path / "full")
    assert files.cached_onnx(tmp_path / "full") == files.ModelFiles(folder, "onnx")


def test_chroma_cache_wins_over_the_package(tmp_path: Path) -> None:
    assert files.local_model(tmp_path) == files.packaged_safetensors()
    _seed_cache(tmp_path)
    found = files.local_model(tmp_path)
    assert found is not None and found.format == "onnx"


def test_packaged_model_is_found_without_importing_it() -> None:
    import sys

    found = files.packaged_safetensors()
    assert found is not None and found.weights.name == "model.safetensors"
    assert files.PACKAGE not in sys.modules


def _archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in files.ONNX_FILES:
            data = name.encode()
            info = tarfile.TarInfo(f"onnx/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def served() -> Iterator[tuple[str, list[int]]]:
    """Chroma's archive served on loopback; the list counts the requests."""
    body, hits = _archive(), [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/onnx.tar.gz", hits
    server.shutdown()
    server.server_close()


def test_download_checks_the_sha_and_extracts_into_chromas_cache(
    tmp_path: Path, served: tuple[str, list[int]]
) -> None:
    url, hits = served
    sha = hashlib.sha256(_archive()).hexdigest()
    found = download.download_onnx(tmp_path, url=url, sha256=sha)
    assert found == files.cached_onnx(tmp_path)
    assert (found.directory / "vocab.txt").read_text() == "vocab.txt"
    assert hits == [1]


def test_download_with_a_wrong_sha_gives_up_after_three_tries(
    tmp_path: Path, served: tuple[str, list[int]]
) -> None:
    url, hits = served
    with pytest.raises(download.ModelDownloadError, match="did not match SHA-256"):
        download.download_onnx(tmp_path, url=url, sha256="0" * 64)
    assert hits == [3]
    assert files.cached_onnx(tmp_path) is None


def test_unreachable_download_is_a_model_download_error(tmp_path: Path) -> None:
    with pytest.raises(download.ModelDownloadError, match="could not download"):
        download.download_onnx(tmp_path, url="http://127.0.0.1:9/none.tar.gz", sha256="0")


def test_chromas_url_and_checksum() -> None:
    assert download.URL.endswith("/all-MiniLM-L6-v2/onnx.tar.gz")
    assert download.SHA256.startswith("913d7300")


def test_safetensors_reads_shapes_dtypes_and_offsets(tmp_path: Path) -> None:
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([1.5, -2.0], dtype="<f2")
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
    }
    raw = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + a.tobytes() + b.tobytes())
    loaded = safetensors.load(path)
    assert set(loaded) == {"a", "b"}
    assert np.array_equal(loaded["a"], a) and loaded["b"].tolist() == [1.5, -2.0]


def test_erf_matches_math_erf() -> None:
    xs = np.linspace(-6, 6, 2001, dtype=np.float32)
    expected = np.array([math.erf(float(x)) for x in xs])
    # Abramowitz & Stegun's bound (1.5e-7) plus float32 rounding of the polynomial.
    assert np.abs(bert.erf(xs) - expected).max() < 5e-7


def test_mean_pool_ignores_padding_and_normalize_gives_unit_rows() -> None:
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2, 4, 3)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    pooled = embedder.mean_pool(hidden, mask)
    assert np.allclose(pooled[1], hidden[1, :2].mean(axis=0))
    assert np.allclose(np.linalg.norm(embedder.normalize(pooled), axis=1), 1.0)


def test_attention_ignores_padded_tokens() -> None:
    """The encoder's output for real tokens does not depend on how much padding follows."""
    found = files.packaged_safetensors()
    assert found is not None
    encoder = bert.BertEncoder(found.directory)
    ids = np.array([[101, 7592, 2088, 102]], dtype=np.int64)
    short = encoder(ids, np.ones_like(ids))
    padded_ids = np.concatenate([ids, np.zeros((1, 3), np.int64)], axis=1)
    padded = encoder(padded_ids, np.array([[1, 1, 1, 1, 0, 0, 0]]))
    assert np.allclose(short[0], padded[0, :4], atol=1e-5)
