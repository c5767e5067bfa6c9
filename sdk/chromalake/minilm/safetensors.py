"""A reader for the safetensors format: an 8-byte header length, a JSON header, raw tensors.

Small enough to keep rather than depend on the ``safetensors`` package for one function.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "BF16": None}


def load(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    """Every tensor of the file as float32, by name.

    Example:
        >>> import tempfile
        >>> f = Path(tempfile.mkdtemp()) / "t.safetensors"
        >>> header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
        >>> _ = f.write_bytes(struct.pack("<Q", len(header)) + header
        ...                   + np.array([1, 2], "<f4").tobytes())
        >>> load(f)["w"]
        array([1., 2.], dtype=float32)
    """
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = memoryview(data)[8 + length :]
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"unsupported safetensors dtype {info['dtype']} for {name}")
        raw = np.frombuffer(body[start:end], dtype=np.dtype(dtype).newbyteorder("<"))
        tensors[name] = raw.reshape(info["shape"]).astype(np.float32)
    return tensors
