from __future__ import annotations

import importlib.util
from pathlib import Path

import pymupdf
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "pdf"


def load_bench():
    """bench/pdf_text.py's metrics (BoW F1, furniture-free gt), so tests and bench score alike."""
    spec = importlib.util.spec_from_file_location("pdf_text_bench", ROOT / "bench" / "pdf_text.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def million_paths_page(doc: pymupdf.Document) -> pymupdf.Page:
    """A new A4 page of `doc` whose content stream fills 1,000,000 tiny rectangles (bad input)."""
    page = doc.new_page(width=595, height=842)
    ops = b"".join(b"%d %d 0.3 0.3 re f\n" % (i % 590, (i // 590) % 840) for i in range(1_000_000))
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, ops, compress=False)
    page.set_contents(xref)
    return page


@pytest.fixture(scope="session")
def pdf_fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def gt_pages():
    """Per-page ground truth (pdftotext) of a fixture PDF."""
    def read(doc_id: str) -> list[str]:
        return [p.read_text() for p in sorted((FIXTURES / "gt" / doc_id).glob("page-*.txt"))]
    return read


@pytest.fixture(scope="session")
def bench():
    return load_bench()


@pytest.fixture(scope="session")
def ocr_engine_name() -> str:
    """The OCR engine the OCR-route tests use; skips when the layout module has none."""
    try:
        from corpusmill.layout.ocr import get_ocr_engine

        get_ocr_engine("default")
    except Exception as e:  # module missing, no backend installed
        pytest.skip(f"no OCR engine available: {e}")
    return "default"
