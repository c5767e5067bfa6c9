"""The ONNX model (Chroma's) run with onnxruntime, imported only when this backend is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


class OnnxEncoder:
    """``last_hidden_state`` from Chroma's ``model.onnx``, on every available provider but
    CoreML, as Chroma chooses them."""

    def __init__(self, model: Path, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        available = [p for p in ort.get_available_providers() if p != "CoreMLExecutionProvider"]
        chosen = [p for p in (providers or available) if p in available] or available
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(str(model), options, providers=chosen)

    def __call__(
        self, input_ids: npt.NDArray[np.int64], attention_mask: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        feeds = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        hidden = self._session.run(None, feeds)[0]
        return np.asarray(hidden, dtype=np.float32)
