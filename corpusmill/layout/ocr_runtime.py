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
and the recogniser's best-class scan (`top_one`). On a CPU the recogniser runs
with its output head cut to the scripts a page shows (`ScriptHeadSession`).
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

    def __init__(self, model_path: Path | Any, threads: int = 0, precision: str = PRECISION,
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
        model = str(model_path) if isinstance(model_path, Path) else model_path
        self._model = openvino.Core().compile_model(model, "CPU", config)
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

    def outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """All of the model's outputs, read in place (valid until the next call)."""
        result = self._request.infer([batch], share_outputs=True)
        return [result[i] for i in range(len(self._model.outputs))]


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
                 precision: str = PRECISION, script_head: bool = True) -> None:
    """Run `engine`'s (a rapidocr.RapidOCR) detection and recognition on OpenVINO; with
    `script_head`, recognition leaves out the Chinese and Japanese classes on pages without them
    (`ScriptHeadSession`)."""
    engine._load_det_model().session = OpenVinoSession(det_model, threads, precision)
    rec = engine._load_rec_model()
    if script_head:
        session = ScriptHeadSession(rec_model, threads, precision, rec.postprocess_op.character)
        rec.session = session
        engine.text_rec = _PageScoped(rec, session)
    else:
        rec.session = OpenVinoSession(rec_model, threads, precision, top_one=True)
    rec.postprocess_op = _TopOneDecode(rec.postprocess_op)


# Scripts whose classes the recogniser's kept head leaves out: 16,143 of its 18,710 classes (Han
# 15,910, kana 233). Latin, Greek and the shared punctuation, digits and symbols (2,567) stay:
# Latin text mixes Greek into its mathematics, and they are too few classes to be worth a decision.
DROPPABLE_SCRIPTS = ("Han", "Hiragana", "Katakana", "Hangul", "Bopomofo")
# A line the kept head reads with a lower mean probability over the characters it emits, or with
# a lower top probability at any step, is read again by the full head from the same features. A
# character of a dropped script shows as one or both, the kept classes sharing out what the dropped
# class held: on the degraded dev scans 15 of the 17 Chinese or Japanese lines fall below them
# (one line is enough to send its page to the full model), and 4 % of the Latin lines.
RECHECK_MEAN = 0.95
RECHECK_STEP = 0.4


def droppable_classes(character: list[str]) -> np.ndarray:
    """Whether each class (a character of the recogniser's list) is in a `DROPPABLE_SCRIPTS` script."""
    import regex

    letter = regex.compile("|".join(rf"\p{{Script={script}}}" for script in DROPPABLE_SCRIPTS))
    return np.array([bool(letter.search(c)) if c != "blank" else False for c in character])


class ScriptHeadSession:
    """The recogniser with its output head cut to the classes outside `DROPPABLE_SCRIPTS`, and the
    full head where a page needs it.

    The head (FullyConnected 120 -> 18,710, Softmax, then the best class) is ~9 % of recognition
    on a real page, and 86 % of it scores Chinese and Japanese characters. The model is split where
    the head begins: one compiled graph gives the features (120 a step) and the kept head's scores
    (the same weights, sliced); the full head is a second small graph on those features. A page is
    read on the kept head; a line it reads with little confidence (`RECHECK_MEAN`, `RECHECK_STEP`)
    is read again by the full head on the same features and reports the full head's text and
    score. If that reading has a character of a dropped script, the page stops (`MixedPage`) and
    is read again from the start with the model as it ships, so a page with Chinese or Japanese
    that the check finds reads exactly as before.

    Scores: the kept head's is a softmax over the kept classes, the probability of the class given
    that the character is not Chinese or Japanese: a real probability, never lower than the full
    head's, and only reported for lines at >= `RECHECK_MEAN` (below, the full head's is). On the
    dev scans' Latin lines the two differ by 0.001 on average. Nothing depends on timing or
    workers: the same lines in rapidocr's order take the same path.
    """

    def __init__(self, model_path: Path, threads: int, precision: str, character: list[str]) -> None:
        import openvino
        import openvino.opset13

        model = openvino.Core().read_model(str(model_path))
        matmul = next(op for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"
                      and op.output(0).get_partial_shape()[-1] == len(character))
        add = next(iter(matmul.output(0).get_target_inputs())).get_node()
        weight = matmul.input_value(1).get_node().get_data()
        bias = add.input_value(1).get_node().get_data()
        self._droppable = droppable_classes(character)
        self._kept = np.flatnonzero(~self._droppable)
        features = matmul.input_value(0)
        kept_head = _head(features, weight[:, self._kept], bias[self._kept])
        # One model gives the kept head's scores and the features the full head reads: the trunk
        # is compiled once (OpenVINO prepares kernels for each new input width, ~10 ms a width).
        self._trunk = OpenVinoSession(openvino.Model([kept_head.output(0), features], model.get_parameters(),
                                                     "rec_kept_head"), threads, precision)
        head_input = openvino.opset13.parameter([-1, -1, weight.shape[0]], np.float32, name="features")
        self._full = OpenVinoSession(openvino.Model([_head(head_input.output(0), weight, bias).output(0)],
                                                    [head_input], "rec_full_head"), threads, precision, top_one=True)
        # Pages with Chinese or Japanese run the model as it ships, so they read exactly as without
        # slicing (the split graph rounds a few bfloat16 sums differently).
        self._whole = OpenVinoSession(model_path, threads, precision, top_one=True)
        self.new_page()

    def new_page(self, full: bool = False) -> None:
        """Start a page on the kept head, or (`full`) with the model as it ships throughout."""
        self._full_now = full

    @property
    def page_head(self) -> str:
        """Which head read the last page: "kept" (lines it doubted read again by the full head) or
        "full" (the model as it ships: the page has Chinese or Japanese)."""
        return "full" if self._full_now else "kept"

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._full_now:
            return self._whole(batch)
        kept_scores, features = self._trunk.outputs(batch)
        kept_best = kept_scores.argmax(axis=2)
        prob = np.take_along_axis(kept_scores, kept_best[..., None], axis=2)[..., 0]
        best = self._kept[kept_best]
        emitted = _emitted(best)
        low = [row for row in range(len(best)) if prob[row].min() < RECHECK_STEP
               or not emitted[row].any() or prob[row, emitted[row]].mean() < RECHECK_MEAN]
        if low:
            # Read again by the full head: the lines this head read with little confidence.
            full_best, full_prob = self._full(features[low])
            best[low], prob[low] = full_best, full_prob
            if self._droppable[full_best[_emitted(full_best)]].any():
                # The rest of this reading would be thrown away: stop it here.
                self._full_now = True
                raise MixedPage
        return best, prob


def _head(features: Any, weight: np.ndarray, bias: np.ndarray) -> Any:
    """The recogniser's output head on `features` (batch, steps, 120): class probabilities."""
    import openvino.opset13 as ops

    logits = ops.add(ops.matmul(features, ops.constant(np.ascontiguousarray(weight)), False, False),
                     ops.constant(np.ascontiguousarray(bias)))
    return ops.softmax(logits, -1)


def _emitted(best: np.ndarray) -> np.ndarray:
    """The steps CTC decoding emits a character at: not blank (class 0), not a repeat of the step before."""
    keep = best != 0
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return keep


class MixedPage(Exception):
    """Raised by `ScriptHeadSession` mid-page: the page has a dropped script, read it again in full."""


class _PageScoped:
    """rapidocr's recogniser, telling the session when a page (one call with all its lines) begins,
    and reading the page again in full when the session stops it (`MixedPage`)."""

    def __init__(self, rec: Any, session: ScriptHeadSession) -> None:
        self._rec = rec
        self._session = session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._session.new_page()
        try:
            return self._rec(*args, **kwargs)
        except MixedPage:
            self._session.new_page(full=True)
            return self._rec(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rec, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # rapidocr's attributes (session, postprocess_op, ...) are the recogniser's, set or read.
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._rec, name, value)


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
        a page, ~4 % of its OCR time; 19 -> ~6 ms with cv2.LUT for the lookup)."""

        def __call__(self, img: np.ndarray) -> np.ndarray | None:
            resized = self.resize(img)
            if resized is None:
                return None
            if resized.dtype != np.uint8 or resized.ndim != 3 or resized.shape[2] != len(self.mean):
                return super().__call__(img)
            import cv2

            table = _normalise_table(self.scale, tuple(self.mean), tuple(self.std))
            out = np.empty((1, resized.shape[2], *resized.shape[:2]), np.float32)
            # cv2.LUT on each contiguous plane: the same table lookup as np.take, ~3x faster.
            for c, plane in enumerate(cv2.split(resized)):
                cv2.LUT(plane, table[c], dst=out[0, c])
            return out

    return _TablePreProcess


@functools.lru_cache(maxsize=4)
def _normalise_table(scale: float, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    # rapidocr's DetPreProcess.normalize, elementwise on every uint8 value: float32 * scale,
    # then float64 mean and std, then float32.
    values = np.arange(256, dtype=np.uint8)[None, :].astype("float32") * scale
    return ((values - np.array(mean)[:, None]) / np.array(std)[:, None]).astype(np.float32)
