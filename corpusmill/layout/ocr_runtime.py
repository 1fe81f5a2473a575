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
    `script_head`, recognition drops the East Asian classes on pages that show none (`ScriptHeadSession`)."""
    engine._load_det_model().session = OpenVinoSession(det_model, threads, precision)
    rec = engine._load_rec_model()
    if script_head:
        session = ScriptHeadSession(rec_model, threads, precision, rec.postprocess_op.character)
        rec.session = session
        engine.text_rec = _PageScoped(rec, session)
    else:
        rec.session = OpenVinoSession(rec_model, threads, precision, top_one=True)
    rec.postprocess_op = _TopOneDecode(rec.postprocess_op)


# Scripts whose classes a page's recognition head drops when its first lines show none of them:
# 16,143 of the bundled recogniser's 18,710 classes (Han 15,910, kana 233). Latin, Greek and the
# shared punctuation, digits and symbols (2,567) always stay: Latin text mixes Greek into its
# mathematics, and both are too few classes to be worth a decision.
DROPPABLE_SCRIPTS = ("Han", "Hiragana", "Katakana", "Hangul", "Bopomofo")
# Characters a page's first batches must have read with the full head before its scripts are decided.
DECIDE_AFTER = 16
# A line the sliced head reads with a lower mean probability over the characters it emits, or with
# a lower top probability at any step, is read again by the full head from the same features. A
# character of a dropped script shows as both: the kept classes share out what the dropped one
# held (on the dev scans' Chinese and Japanese lines: mean <= 0.956, some step <= 0.54; on their
# Latin lines 12 % are read twice).
RECHECK_MEAN = 0.95
RECHECK_STEP = 0.4


def droppable_classes(character: list[str]) -> np.ndarray:
    """Whether each class (a character of the recogniser's list) is in a `DROPPABLE_SCRIPTS` script."""
    import regex

    letter = regex.compile("|".join(rf"\p{{Script={script}}}" for script in DROPPABLE_SCRIPTS))
    return np.array([bool(letter.search(c)) if c != "blank" else False for c in character])


class ScriptHeadSession:
    """The recogniser with its 18,710-class output head cut to the scripts a page shows.

    The head (FullyConnected 120 -> 18,710, then Softmax, then the best class) is ~15 % of
    recognition, and on a Latin page 86 % of it scores Chinese and Japanese characters. The model
    is split where the head begins: a trunk (line image -> 120 features a step, run once) and two
    heads on its features, the full one and one keeping the classes outside `DROPPABLE_SCRIPTS`
    (the same weights, sliced). Each page starts on the full head; once its first batches have
    read `DECIDE_AFTER` characters and none of them was in a droppable script, the rest of the page
    runs the kept head.

    The kept head's score is a softmax over the kept classes: the probability of the class given
    that the character is in the page's scripts, a real probability but never lower than the full
    head's. A line it reads with little confidence (`RECHECK_MEAN`, `RECHECK_STEP`) is read again
    by the full head on the same features (a head costs ~1/7 of the trunk) and reports the full
    head's text and score. If the full head reads a dropped script there, the page is mixed:
    `mixed` is set and the caller reads the whole page again on the full head, so a page with any
    Chinese or Japanese line found reads exactly as without slicing. The decision depends only on
    the page's lines in rapidocr's order, never on timing or workers.
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
        self.new_page()

    def new_page(self, full: bool = False) -> None:
        """Start a page on the kept head, or (`full`) on the full head throughout."""
        self.mixed = False
        self._full_now = full

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kept_scores, features = self._trunk.outputs(batch)
        if self._full_now:
            return self._full(features)
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
                self.mixed = self._full_now = True
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


class _PageScoped:
    """rapidocr's recogniser, telling the session when a page (one call with all its lines) begins,
    and reading a page again on the full head when the session found it mixed."""

    def __init__(self, rec: Any, session: ScriptHeadSession) -> None:
        self._rec = rec
        self._session = session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._session.new_page()
        out = self._rec(*args, **kwargs)
        if self._session.mixed:
            self._session.new_page(full=True)
            out = self._rec(*args, **kwargs)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rec, name)


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
