"""The bundled PP-OCR models run by OpenVINO on the CPU, in bfloat16 where the CPU has it.

Measured on the dev scans and on pages degraded here (`bench/results/ocr.md`):
onnxruntime and OpenVINO run the float32 models at about the same speed on one
core, but OpenVINO's bfloat16 inference (native on CPUs with AVX512-BF16 or
AMX; on others OpenVINO keeps float32) reads a page ~1.7x faster with the same
text (mean CER and BoW F1 within 0.001 on 56 pages). An int8 copy of the
recogniser on onnxruntime was only 1.3x faster and cost 5-10 % CER.

rapidocr builds its own onnxruntime sessions; `use_openvino` swaps them for
these, leaving rapidocr's pre- and post-processing (and its character list,
read from the ONNX file) as they are, except for two steps that give the same
numbers with less work: the detector's input normalisation (`fast_det_preprocess`)
and the recogniser's best-class scan (`top_one`).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

PRECISION = "bf16"


class OpenVinoSession:
    """rapidocr's session protocol: called with one input batch, returns the model's first output
    (with `top_one`, the best class along its last axis and that class's score instead)."""

    def __init__(self, model_path: Path, threads: int = 0, precision: str = PRECISION,
                 top_one: bool = False) -> None:
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
        self._request = self._model.create_infer_request()
        self._top_one = top_one

    def __call__(self, batch: np.ndarray) -> Any:
        if not self._top_one:
            return self._model([batch])[0]
        # The recogniser's (batch, steps, 18,710 classes) scores: read in place rather than
        # copied out (~18 MB a batch), and scanned once (argmax, then the score at it) where
        # rapidocr's decoder scans twice (argmax and max): the same numbers, ~4 % less time
        # (an argmax put in the graph as TopK was slower).
        scores = self._request.infer([batch], share_outputs=True)[0]
        best = scores.argmax(axis=2)
        return best, np.take_along_axis(scores, best[..., None], axis=2)[..., 0]


class _TopOneDecode:
    """rapidocr's CTC decoding fed the (best class, its score) arrays of a `top_one` session."""

    def __init__(self, ctc: Any) -> None:
        self._ctc = ctc

    def __call__(self, preds: tuple[np.ndarray, np.ndarray], return_word_box: bool = False,
                 **kwargs: Any) -> tuple[list[Any], list[Any]]:
        index, prob = preds
        return self._ctc.decode(index, prob, return_word_box, kwargs.get("wh_ratio_list", (1.0,)),
                                kwargs.get("max_wh_ratio", 1.0), remove_duplicate=True)


def use_openvino(engine: Any, det_model: Path, rec_model: Path, threads: int = 0,
                 precision: str = PRECISION) -> None:
    """Run `engine`'s (a rapidocr.RapidOCR) detection and recognition on OpenVINO."""
    engine._load_det_model().session = OpenVinoSession(det_model, threads, precision)
    rec = engine._load_rec_model()
    rec.session = OpenVinoSession(rec_model, threads, precision, top_one=True)
    rec.postprocess_op = _TopOneDecode(rec.postprocess_op)


def fast_det_preprocess(engine: Any) -> None:
    """Give `engine`'s (a rapidocr.RapidOCR) detector its input from a lookup table
    (`_TablePreProcess`): the same array, on any runtime."""
    det = engine._load_det_model()
    det.get_preprocess = functools.partial(_table_preprocess(), det.limit_side_len, det.limit_type,
                                           det.mean, det.std)


@functools.cache
def _table_preprocess() -> type:
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    class _TablePreProcess(DetPreProcess):
        """rapidocr's detector input, bit for bit, from a lookup table.

        rapidocr normalises the resized page in float64 (its mean and std are float64
        arrays) and copies it twice more; a uint8 page has 256 values per channel, so a
        table of the same arithmetic gives the same float32 input ~3x faster (63 -> 19 ms
        a page, ~4 % of its OCR time)."""

        def __call__(self, img: np.ndarray) -> np.ndarray | None:
            resized = self.resize(img)
            if resized is None:
                return None
            if resized.dtype != np.uint8 or resized.ndim != 3 or resized.shape[2] != len(self.mean):
                return super().__call__(img)
            table = _normalise_table(self.scale, tuple(self.mean), tuple(self.std))
            out = np.empty((1, resized.shape[2], *resized.shape[:2]), np.float32)
            for c in range(resized.shape[2]):
                np.take(table[c], resized[:, :, c], out=out[0, c])
            return out

    return _TablePreProcess


@functools.lru_cache(maxsize=4)
def _normalise_table(scale: float, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    # rapidocr's DetPreProcess.normalize, elementwise on every uint8 value: float32 * scale,
    # then float64 mean and std, then float32.
    values = np.arange(256, dtype=np.uint8)[None, :].astype("float32") * scale
    return ((values - np.array(mean)[:, None]) / np.array(std)[:, None]).astype(np.float32)
