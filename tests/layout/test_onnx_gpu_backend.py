"""`--backend onnx-gpu`: the CPU default's models on onnxruntime's CUDA provider, the same text.

Here (no CUDA provider) the backend falls back to the CPU with a message, and
must read the dev scans exactly as the CPU default does: same models, same
steps, same text. `make test-gpu` runs this over all the degraded dev scans
(CORPUSMILL_DEV_SCANS=all); the plain suite checks the first three. On a CUDA
host the GPU's float32 reading is compared with onnxruntime's float32 reading on
the CPU (the CPU default runs the models in bfloat16 through OpenVINO, so its
text may differ from float32's by a character here and there).
"""
from __future__ import annotations

import difflib
import os

import numpy as np
import pytest
from PIL import Image

from corpusmill.layout.ocr import DEFAULT_STEPS, PreprocessedEngine, RapidOcrEngine, cuda_provider, get_ocr_engine
from corpusmill.layout.orientation import read_upright
from corpusmill.layout.reading_order import lines_to_text, order_lines
from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.record import Record
from tests.scanned_pdfs import scanned_pdf


def _text(engine, image: np.ndarray) -> str:
    read = read_upright(engine, image)
    return lines_to_text(order_lines(read.lines, read.image.shape[1]))


def test_onnx_gpu_without_cuda_says_so_and_runs_on_the_cpu(capfd):
    from corpusmill.layout import ocr

    ocr._cached_engine.cache_clear()
    engine = get_ocr_engine("onnx-gpu")
    if cuda_provider():
        assert engine.device == "cuda"
        return
    assert engine.device == "cpu" and engine.name == "onnx-gpu"
    err = capfd.readouterr().err
    assert "--backend onnx-gpu: onnxruntime" in err and "has no CUDA provider" in err
    assert "running the same models on the CPU" in err


def test_onnx_gpu_reads_the_dev_scans_as_the_cpu_default(shared_corpora):
    scans = sorted((shared_corpora / "pdf" / "dev" / "scans" / "degraded_jpg").glob("*.jpg"))
    if os.environ.get("CORPUSMILL_DEV_SCANS") != "all":
        scans = scans[:3]
    gpu = get_ocr_engine("onnx-gpu")
    cpu = (PreprocessedEngine(RapidOcrEngine(runtime="onnxruntime"), DEFAULT_STEPS) if cuda_provider()
           else get_ocr_engine("default"))
    for path in scans:
        image = np.asarray(Image.open(path).convert("RGB"))
        assert _text(gpu, image) == _text(cpu, image), path.name


def test_pdf_job_on_onnx_gpu_gives_the_cpu_default_records():
    content = scanned_pdf(2)
    texts = []
    for engine in ("default", "onnx-gpu"):
        stage = PdfParse(ocr_engine=engine, memory_limit_mb=None)
        try:
            (rec,) = stage([Record(id="scan", media_type="application/pdf", content=content)])
        finally:
            stage.close()
        assert rec.ok, rec.reason
        texts.append((rec.text, [p["blocks"] for p in rec.pages]))
    if cuda_provider():  # float32 on the GPU against the CPU default's bfloat16: near, not equal
        assert difflib.SequenceMatcher(None, texts[0][0], texts[1][0]).ratio() >= 0.98
    else:
        assert texts[0] == texts[1]
