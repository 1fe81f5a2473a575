"""The torch pipeline's real loader and batching, on CPU, with tiny models made here.

The models are real TorchScript files with weights, written into a tmp dir in
the documented layout: a layout "detector" that boxes all the ink of a page,
and a per-column CTC "recogniser" that reads a vertical bar as "I". A page with
bars drawn on it must come back as the matching text.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from corpusmill.layout.gpu_backend import (
    GpuPagePipeline,
    ModelDirError,
    ctc_decode,
    main,
    split_lines,
)


class TinyLayout(torch.nn.Module):
    """Boxes all ink of each page as one 'text' block: [B, 4, 6] post-NMS rows."""

    def __init__(self) -> None:
        super().__init__()
        self.ink = torch.nn.Conv2d(3, 1, 1)
        with torch.no_grad():
            self.ink.weight.fill_(-1.0 / 3)
            self.ink.bias.fill_(1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ink = self.ink(x)[:, 0] > 0.5
        out = torch.zeros(x.shape[0], 4, 6, dtype=x.dtype, device=x.device)
        for b in range(x.shape[0]):
            ys = ink[b].any(1).nonzero()
            xs = ink[b].any(0).nonzero()
            if ys.numel() > 0:
                out[b, 0, 0] = xs.min()
                out[b, 0, 1] = ys.min()
                out[b, 0, 2] = xs.max() + 1
                out[b, 0, 3] = ys.max() + 1
                out[b, 0, 4] = 0.9
        return out


class TinyRec(torch.nn.Module):
    """One logit vector per pixel column: 'I' where the column is mostly ink."""

    def __init__(self, height: int = 48) -> None:
        super().__init__()
        self.col = torch.nn.Conv2d(3, 3, (height, 1))
        with torch.no_grad():
            self.col.weight.zero_()
            self.col.bias.zero_()
            self.col.weight[1].fill_(-1.0 / (3 * height))  # -mean: +1 on a black column
            self.col.bias[2] = -10.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.col(x).squeeze(2).permute(0, 2, 1)


def _write_models(root, labels=("text", "figure")) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript, deprecated in torch 2.13
        torch.jit.script(TinyLayout()).save(str(root / "layout.pt"))
        torch.jit.script(TinyRec()).save(str(root / "rec.pt"))
    (root / "charset.txt").write_text("I\nx\n", encoding="utf-8")
    (root / "manifest.json").write_text(json.dumps({
        "layout": {"file": "layout.pt", "input_size": [400, 300], "labels": list(labels),
                   "text_labels": ["text"], "score_threshold": 0.5},
        "rec": {"file": "rec.pt", "charset": "charset.txt", "height": 48},
    }))


def _page(rows: list[int]) -> np.ndarray:
    """An 800x600 white page; row i holds rows[i] black bars 6 px wide, 30 px tall."""
    page = np.full((800, 600, 3), 255, np.uint8)
    for i, bars in enumerate(rows):
        y = 100 + i * 60
        for j in range(bars):
            x = 100 + j * 20
            page[y:y + 30, x:x + 6] = 0
    return page


def test_pipeline_reads_a_batch_on_cpu(tmp_path):
    _write_models(tmp_path)
    pipe = GpuPagePipeline(tmp_path, page_batch=2)
    assert pipe.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    pages = [_page([3, 2]), _page([4]), np.full((800, 600, 3), 255, np.uint8)]
    results = pipe.run(pages)  # batches of 2 + 1 pages
    assert [r.text for r in results] == ["III\nII", "IIII", ""]
    block = results[0].blocks[0]
    assert block.type == "text" and block.score == pytest.approx(0.9)
    assert block.bbox == pytest.approx((100, 100, 146, 190), abs=2)
    assert [ln.bbox[1] for ln in results[0].lines] == pytest.approx([100, 160], abs=1)
    assert results[2].blocks == [] and results[2].lines == []


def test_loader_reports_a_broken_directory(tmp_path):
    with pytest.raises(ModelDirError, match="manifest.json"):
        GpuPagePipeline(tmp_path)
    _write_models(tmp_path)
    (tmp_path / "rec.pt").unlink()
    with pytest.raises(ModelDirError, match="rec.pt"):
        GpuPagePipeline(tmp_path)


def test_ctc_decode_and_line_split():
    text, conf = ctc_decode(np.array([0, 1, 1, 0, 1, 2, 2, 0]), np.full(8, 0.8), ["a", "b"])
    assert text == "aab" and conf == pytest.approx(0.8)
    assert split_lines(_page([2, 2, 2]), (90, 90, 200, 300)) == [
        (100.0, 100.0, 126.0, 130.0), (100.0, 160.0, 126.0, 190.0), (100.0, 220.0, 126.0, 250.0)]


def test_command_line(tmp_path, capsys):
    import cv2

    models = tmp_path / "models"
    models.mkdir()
    _write_models(models)
    cv2.imwrite(str(tmp_path / "page.png"), _page([2, 3]))
    main(["--models", str(models), "--device", "cpu", str(tmp_path / "page.png")])
    out = capsys.readouterr().out
    assert "(1 blocks, 2 lines)" in out and out.rstrip().endswith("II\nIII")


def test_pdf_job_reads_scans_with_the_model_pipeline(tmp_path):
    """`corpusmill pdf --backend torch --models DIR`: the real job, pages routed to `model`."""
    import subprocess
    import sys

    import cv2

    from tests.conftest import ROOT, read_out

    models = tmp_path / "models"
    models.mkdir()
    _write_models(models)
    scans = tmp_path / "scans"
    scans.mkdir()
    cv2.imwrite(str(scans / "page.png"), _page([3, 2]))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "corpusmill.cli", "pdf", str(scans), "-o", str(out),
                        "--backend", "torch", "--models", str(models), "--quiet", "--no-dedup", "--no-pii"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = read_out(out)
    assert len(got["data"]) == 1, got["rejects"]
    rec = got["data"][0]
    assert rec["text"].split() == ["III", "II"]
    assert [p["route"] for p in rec["pages"]] == ["model"]
    assert "models:cpu" in rec["pages"][0]["route_reason"]


def test_pdf_parser_batches_a_documents_scanned_pages(tmp_path):
    """The pages of one image-only PDF reach the model pipeline as one batch, in page order."""
    import cv2
    import pymupdf

    from corpusmill.layout.ocr import get_ocr_engine
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    models = tmp_path / "models"
    models.mkdir()
    _write_models(models)
    doc = pymupdf.open()
    for bars in ([3, 1], [2], [1, 4]):
        page = doc.new_page(width=300, height=400)
        page.insert_image(page.rect, stream=cv2.imencode(".png", _page(bars))[1].tobytes())
    config = ParseConfig(ocr_engine=f"models:{models}", dpi=144)
    engine = get_ocr_engine(config.ocr_engine)
    batches: list[int] = []
    run = engine.pipeline.run
    engine.pipeline.run = lambda pages: batches.append(len(pages)) or run(pages)
    try:
        parsed = parse_document(doc.tobytes(), "application/pdf", config, PageReader())
    finally:
        engine.pipeline.run = run
    assert batches == [3]
    assert [p["route"] for p in parsed.pages] == ["model"] * 3
    pages = [parsed.text[p["text_span"][0]:p["text_span"][1]].split() for p in parsed.pages]
    assert pages == [["III", "I"], ["II"], ["I", "IIII"]]
