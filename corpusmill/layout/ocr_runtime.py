"""The bundled PP-OCR models run by OpenVINO on the CPU, in bfloat16 where the CPU has it.

Measured on the dev scans and on pages degraded here (`bench/results/ocr.md`):
onnxruntime and OpenVINO run the float32 models at about the same speed on one
core, but OpenVINO's bfloat16 inference (native on CPUs with AVX512-BF16 or
AMX; on others OpenVINO keeps float32) reads a page ~1.7x faster with the same
text (mean CER and BoW F1 within 0.001 on 56 pages). An int8 copy of the
recogniser on onnxruntime was only 1.3x faster and cost 5-10 % CER.

rapidocr builds its own onnxruntime sessions; `use_openvino` swaps them for
these, leaving rapidocr's pre- and post-processing (and its character list,
read from the ONNX file) as they are.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

PRECISION = "bf16"


class OpenVinoSession:
    """rapidocr's session protocol: called with one input batch, returns the model's first output."""

    def __init__(self, model_path: Path, threads: int = 0, precision: str = PRECISION) -> None:
        import openvino

        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            # Pinned threads would put every worker process on the same cores.
            "ENABLE_CPU_PINNING": False,
        }
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        self._model = openvino.Core().compile_model(str(model_path), "CPU", config)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._model([batch])[0]


def use_openvino(engine: Any, det_model: Path, rec_model: Path, threads: int = 0,
                 precision: str = PRECISION) -> None:
    """Run `engine`'s (a rapidocr.RapidOCR) detection and recognition on OpenVINO."""
    engine._load_det_model().session = OpenVinoSession(det_model, threads, precision)
    engine._load_rec_model().session = OpenVinoSession(rec_model, threads, precision)
