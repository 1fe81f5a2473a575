"""OCR engines behind one small protocol: an RGB page image in, text lines out.

Two engines run offline on a CPU with nothing fetched at run time:
- `rapidocr`: PP-OCR detection, direction classifier and multilingual
  recognition as ONNX models inside the rapidocr wheel, run by OpenVINO in bfloat16
  on a CPU (`ocr_runtime`) or by onnxruntime (CUDA, or on request). We hand
  it the bundled files by path, so its downloader is never reached.
- `tesseract`: the Tesseract 5 binary from Debian (`tesseract-ocr` plus one
  `tesseract-ocr-<lang>` package per language), called as a subprocess with TSV
  output, one process per page.
`default` is the configuration that measured best on the dev scans
(`bench/results/ocr.md`); `get_ocr_engine` caches engines per process because
loading models costs more than reading a page.

Lines come back in the engine's order; `reading_order.order_lines` puts them in
reading order.
"""
from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from corpusmill.layout.ocr_lines import OcrEngine, OcrError, OcrLine
from corpusmill.layout.ocr_runtime import fast_det_preprocess, use_openvino
from corpusmill.layout.preprocess import preprocess


# ISO 639-1 (what the language identifier reports) -> Tesseract traineddata.
_TESSERACT_LANGS = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por",
    "nl": "nld", "pl": "pol", "cs": "ces", "ru": "rus", "uk": "ukr", "sv": "swe",
    "da": "dan", "fi": "fin", "no": "nor", "tr": "tur", "el": "ell", "ar": "ara",
    "he": "heb", "hi": "hin", "zh": "chi_sim", "zh-hant": "chi_tra", "ja": "jpn",
    "ko": "kor", "la": "lat",
}


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = getattr(image, "shape", type(image).__name__), getattr(image, "dtype", "")
        raise OcrError(f"expected an (H, W, 3) uint8 RGB array, got {got}")
    if min(image.shape[:2]) < 8:
        raise OcrError(f"image too small to read: {image.shape[:2]}")


# Measured on the first 6 degraded dev scans, one thread (CPU s/page, mean CER):
# recognition batches of 24 lines 3.53 s / 0.2107, of 6 (rapidocr's default)
# 2.32 s / 0.2092, of 3 2.18 s / 0.2087, of 1 2.07 s / 0.2087: on a CPU the
# padding of wider batches costs more than batching saves. Detection on the
# page scaled to at most 1600 px was faster (1.88 s with batches of 3) but lost
# small print on the 16 scanned-PDF pages (CER 0.2915 -> 0.3047, median
# 0.14 -> 0.21), so detection keeps the full page (DET_MAX_SIDE None).
REC_BATCH = 3
DET_MAX_SIDE: int | None = None
# Which runtime runs the models on a CPU: OpenVINO in bfloat16 (`ocr_runtime`: ~1.7x faster than
# onnxruntime's float32, same text on the dev and widened scans) or "onnxruntime".
CPU_RUNTIME = "openvino"


class RapidOcrEngine:
    """PP-OCR detection + recognition from the rapidocr wheel, on OpenVINO (CPU, the default)
    or onnxruntime (`runtime="onnxruntime"`; always for `device="cuda"`).

    The wheel carries one multilingual recogniser (Latin scripts, Chinese,
    Japanese), so `languages` does not change the model.
    """

    name = "rapidocr"

    def __init__(self, threads: int = 0, min_score: float = 0.5, rec_batch: int = REC_BATCH,
                 det_max_side: int | None = DET_MAX_SIDE, device: str = "cpu", runtime: str = CPU_RUNTIME,
                 script_head: bool = True) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        files = {
            "Det": _only(models.glob("*_det_*.onnx")),
            "Rec": _only(models.glob("*_rec_*.onnx")),
            # Not run (use_cls below), but rapidocr loads it; by path, never fetched.
            "Cls": _only(models.glob("*_cls_*.onnx")),
        }
        params: dict[str, object] = {
            "Global.log_level": "error",
            # The line-direction classifier turns some upright lines upside down
            # (measured: 3 of 12 reference lines on a dev scan came out as
            # garbage with it, none without). Scanned lines are upright after
            # deskew, so it costs quality and time for nothing.
            "Global.use_cls": False,
            "Global.text_score": min_score,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "Rec.rec_batch_num": rec_batch,
            # The same models on a GPU (`--backend onnx-gpu`): onnxruntime's CUDA provider.
            "EngineConfig.onnxruntime.use_cuda": device == "cuda",
        }
        if det_max_side:
            params.update({"Det.limit_type": "max", "Det.limit_side_len": det_max_side})
        for task, path in files.items():
            params[f"{task}.model_path"] = str(path)
        self.device = device
        self._engine = RapidOCR(params=params)
        if runtime not in ("openvino", "onnxruntime"):
            raise ValueError(f"unknown OCR runtime {runtime!r}; known: openvino, onnxruntime")
        fast_det_preprocess(self._engine)
        if device == "cpu" and runtime == "openvino":
            use_openvino(self._engine, files["Det"], files["Rec"], threads=threads, script_head=script_head)

    @property
    def last_page_head(self) -> str | None:
        """Which recognition head read the last page ("kept": Chinese and Japanese classes left out, or "full");
        None where the runtime has one head only (onnxruntime, or `script_head=False`)."""
        session = self._engine.text_rec.session if self._engine.text_rec is not None else None
        return getattr(session, "page_head", None)

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        _check_image(image)
        out = self._engine(image)
        if out.boxes is None or out.txts is None:
            return []
        lines = []
        for box, text, score in zip(out.boxes, out.txts, out.scores):
            quad = np.asarray(box, dtype=np.float64)
            bbox = (float(quad[:, 0].min()), float(quad[:, 1].min()),
                    float(quad[:, 0].max()), float(quad[:, 1].max()))
            if text.strip():
                lines.append(OcrLine(text=text.strip(), bbox=bbox, confidence=float(score)))
        return lines


class TesseractEngine:
    """The Tesseract 5 CLI on one page, TSV output grouped into lines.

    One thread per process (OMP_THREAD_LIMIT=1): Tesseract's OpenMP threads
    slow it down when pages already run in parallel processes.
    """

    name = "tesseract"

    def __init__(self, languages: list[str] | None = None, psm: int = 3, binary: str = "tesseract",
                 timeout_s: float = 120.0, dpi: int | None = None) -> None:
        path = shutil.which(binary)
        if path is None:
            raise OcrError(f"{binary!r} not found: install Debian's tesseract-ocr")
        self._binary = path
        self._langs = "+".join(_tesseract_lang(code) for code in (languages or ["en"]))
        self._psm = psm
        self._timeout_s = timeout_s
        # The image's resolution where the caller knows it: a PNG on stdin carries none, and Tesseract
        # then assumes 70 dpi, which changes its page segmentation (columns of a newspaper interleave).
        self._dpi = ["--dpi", str(dpi)] if dpi else []
        installed = tesseract_languages(path)
        missing = [code for code in self._langs.split("+") if code not in installed]
        if missing:
            raise OcrError(f"Tesseract lacks traineddata for {missing}: apt-get install "
                           + " ".join(f"tesseract-ocr-{m.replace('_', '-')}" for m in missing))

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        _check_image(image)
        import cv2

        ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OcrError("could not encode the image as PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            proc = subprocess.run(
                [self._binary, "stdin", "stdout", "-l", self._langs, "--psm", str(self._psm), *self._dpi, "tsv"],
                input=png.tobytes(), capture_output=True, env=env, timeout=self._timeout_s, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrError(f"tesseract took longer than {self._timeout_s} s") from exc
        if proc.returncode != 0:
            raise OcrError(f"tesseract failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-300:]}")
        return _tsv_lines(proc.stdout.decode("utf-8", errors="replace"))


class PreprocessedEngine:
    """Another engine, fed the page after the named clean-up steps."""

    def __init__(self, engine: OcrEngine, steps: tuple[str, ...], name: str | None = None) -> None:
        self._engine = engine
        self._steps = steps
        self.name = name or (f"{engine.name}+{'+'.join(steps)}" if steps else engine.name)
        self.device: str = getattr(engine, "device", "cpu")

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        _check_image(image)
        return self._engine.recognize(preprocess(image, self._steps))


# What `default` means, chosen on the dev scans (bench/results/ocr.md).
DEFAULT_ENGINE = "rapidocr"
DEFAULT_STEPS: tuple[str, ...] = ("deskew",)


MODELS_PREFIX = "models:"
# `--backend onnx-gpu`: the default's models and steps, on onnxruntime's CUDA provider.
ONNX_GPU = "onnx-gpu"


def cuda_provider() -> bool:
    """Whether this onnxruntime can run models on CUDA (the onnxruntime-gpu build, on a GPU host)."""
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def get_ocr_engine(name: str = "default", languages: list[str] | None = None, threads: int = 0) -> OcrEngine:
    """A cached engine: `default`, `rapidocr`, `tesseract`, or `models:<weights dir>` (torch).

    A `+step` suffix adds preprocessing, e.g. `tesseract+deskew+denoise`.
    `threads`: onnxruntime's threads for the models (0: one per core); a
    worker sharing the machine with others gets its share of the cores.
    """
    return _cached_engine(name, tuple(languages or ()), threads)


@functools.lru_cache(maxsize=16)
def _cached_engine(name: str, languages: tuple[str, ...], threads: int = 0) -> OcrEngine:
    if name == "default":
        return PreprocessedEngine(_cached_engine(DEFAULT_ENGINE, languages, threads), DEFAULT_STEPS)
    if name == ONNX_GPU:
        return PreprocessedEngine(RapidOcrEngine(threads=threads, device=_onnx_gpu_device()), DEFAULT_STEPS,
                                  name=ONNX_GPU)
    if name.startswith(MODELS_PREFIX):
        # The torch model pipeline (`--backend torch --models DIR`); torch is imported only here.
        from corpusmill.layout.gpu_backend import ModelOcrEngine

        return ModelOcrEngine(name[len(MODELS_PREFIX):])
    base, *steps = name.split("+")
    if steps:
        return PreprocessedEngine(_cached_engine(base, languages, threads), tuple(steps))
    if base == "rapidocr":
        return RapidOcrEngine(threads=threads)
    if base == "tesseract":
        return TesseractEngine(languages=list(languages) or None)
    raise ValueError(f"unknown OCR engine {name!r}; known: default, rapidocr, tesseract, onnx-gpu")


def _onnx_gpu_device() -> str:
    if cuda_provider():
        return "cuda"
    import onnxruntime

    print(f"corpusmill: --backend onnx-gpu: onnxruntime {onnxruntime.__version__} has no CUDA provider "
          f"(it has {', '.join(onnxruntime.get_available_providers())}); running the same models on the CPU. "
          "On a CUDA host, pip install onnxruntime-gpu.", file=sys.stderr, flush=True)
    return "cpu"


@functools.lru_cache(maxsize=4)
def tesseract_languages(binary: str) -> frozenset[str]:
    """The traineddata names (and "osd") the Tesseract at `binary` has installed."""
    out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=True)
    return frozenset(ln.strip() for ln in out.stdout.splitlines()[1:] if ln.strip())


def _tesseract_lang(code: str) -> str:
    code = code.lower()
    if code in _TESSERACT_LANGS:
        return _TESSERACT_LANGS[code]
    if code.replace("_", "").isalpha() and len(code) >= 3:
        return code  # already a traineddata name such as "eng" or "chi_sim"
    raise OcrError(f"no Tesseract language for {code!r}")


def _tsv_lines(tsv: str) -> list[OcrLine]:
    """Words of Tesseract's TSV grouped into its (block, paragraph, line) lines."""
    lines: dict[tuple[int, int, int, int], list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (int(row["page_num"]), int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(row)
    out = []
    for words in lines.values():
        x0 = min(int(w["left"]) for w in words)
        y0 = min(int(w["top"]) for w in words)
        x1 = max(int(w["left"]) + int(w["width"]) for w in words)
        y1 = max(int(w["top"]) + int(w["height"]) for w in words)
        conf = float(np.mean([max(0.0, float(w["conf"])) for w in words])) / 100.0
        text = " ".join(w["text"].strip() for w in words)
        out.append(OcrLine(text=text, bbox=(float(x0), float(y0), float(x1), float(y1)), confidence=conf))
    return out


def _only(paths) -> Path:
    found = sorted(paths)
    if len(found) != 1:
        raise OcrError(f"expected one bundled model, found {[p.name for p in found]}")
    return found[0]
