"""OCR engines on crops of real dev scans (fixtures/layout/), and the offline guarantee."""
from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from corpusmill.layout import layout_model
from corpusmill.layout.ocr import (
    OcrError,
    RapidOcrEngine,
    TesseractEngine,
    get_ocr_engine,
)
from corpusmill.layout.preprocess import deskew, estimate_skew
from corpusmill.layout.reading_order import lines_to_text, order_lines

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "layout"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="Debian's tesseract-ocr is not installed")


def _rgb(name: str) -> np.ndarray:
    return np.array(Image.open(FIXTURES / name).convert("RGB"))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


# Words of the fixture crops as printed on the page.
TWO_COLUMN_WORDS = {"informally", "dissertation", "preprints", "beeton", "sigchi",
                    "landscape", "marginfigure", "sidebar", "conference", "woodstock"}
DEGRADED_WORDS = {"lists", "numbered", "bulleted", "unnumbered", "enumerate", "itemize",
                  "environment", "description", "third", "level"}


@pytest.fixture(scope="module")
def rapid() -> RapidOcrEngine:
    return get_ocr_engine("rapidocr")


def test_rapidocr_reads_two_column_scan_in_column_order(rapid):
    image = _rgb("acmart-sigconf-p0005-two-column.png")
    lines = order_lines(rapid.recognize(image), page_width=image.shape[1])
    text = lines_to_text(lines)
    assert len(TWO_COLUMN_WORDS & _words(text)) >= 9
    assert all(0.0 <= ln.confidence <= 1.0 and ln.bbox[0] < ln.bbox[2] for ln in lines)
    # The left column is read to its end before the right column starts.
    keys = ("article [14]", "Barbara Beeton", "Online citations", "SIGCHI EXTENDED", "landscape-orientation",
            "sidebar")
    pos = [text.find(key) for key in keys]
    assert min(pos) >= 0 and pos == sorted(pos), dict(zip(keys, pos))


def test_default_engine_reads_degraded_scan():
    image = _rgb("oup-template-p0004-degraded.jpg")
    engine = get_ocr_engine("default")
    assert engine is get_ocr_engine("default")  # cached per process
    text = lines_to_text(order_lines(engine.recognize(image), image.shape[1]))
    assert len(DEGRADED_WORDS & _words(text)) >= 9


@needs_tesseract
def test_tesseract_reads_degraded_scan():
    image = _rgb("oup-template-p0004-degraded.jpg")
    lines = TesseractEngine(languages=["en"]).recognize(image)
    assert len(DEGRADED_WORDS & _words(" ".join(ln.text for ln in lines))) >= 8
    assert all(0.0 <= ln.confidence <= 1.0 for ln in lines)


@needs_tesseract
def test_tesseract_missing_language_is_a_clear_error():
    with pytest.raises(OcrError, match="tesseract-ocr-"):
        TesseractEngine(languages=["xx_notalanguage"])


def test_bad_input_is_a_clear_error(rapid):
    with pytest.raises(OcrError, match="uint8 RGB"):
        rapid.recognize(np.zeros((50, 50), np.float32))
    with pytest.raises(ValueError, match="unknown OCR engine"):
        get_ocr_engine("nonesuch")


def test_deskew_straightens_a_rotated_page():
    image = _rgb("acmart-sigconf-p0005-two-column.png")
    h, w = image.shape[:2]
    import cv2

    rotated = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 1.2, 1.0), (w, h),
                             borderValue=(255, 255, 255))
    assert estimate_skew(rotated) == pytest.approx(-1.2, abs=0.15)
    assert abs(estimate_skew(deskew(rotated))) <= 0.15


def test_nothing_is_fetched(monkeypatch, tmp_path):
    """Engines and the layout model load and run with every non-loopback connection refused."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")):
            return real_connect(self, address)
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        attempts.append(address)
        raise OSError("network disabled in this test")

    def guarded_getaddrinfo(host, *args, **kwargs):
        attempts.append(host)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(var, "1")
    monkeypatch.setenv("HOME", str(tmp_path))  # no cache from an earlier download can help

    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    before = sorted(p.name for p in models.iterdir())
    image = _rgb("acmart-sigconf-p0005-two-column.png")[:120]
    assert RapidOcrEngine().recognize(image)  # a fresh engine, not the cached one
    layout_model._model.cache_clear()
    assert layout_model.detect_layout(_rgb("acmart-sigconf-p0005-two-column.png"))
    assert attempts == []
    assert sorted(p.name for p in models.iterdir()) == before


def test_blank_page_is_told_from_a_page_with_only_a_page_number():
    """A degraded empty page (grey paper, a few dark specks) is blank; one folio digit is not."""
    import pymupdf

    from corpusmill.layout.preprocess import is_blank

    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(240, 6, (2200, 1700)), 0, 255).astype(np.uint8)
    paper[rng.integers(0, 2200, 20), rng.integers(0, 1700, 20)] = 40  # dust
    assert is_blank(np.stack([paper] * 3, axis=2))
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((300, 760), "9", fontsize=10)
    pix = page.get_pixmap(dpi=200)
    folio = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    assert not is_blank(np.minimum(folio, np.stack([paper] * 3, axis=2)[:pix.height, :pix.width]))


def test_openvino_runtime_reads_as_onnxruntime_does():
    """The default CPU runtime (OpenVINO, bfloat16 where the CPU has it) runs the same bundled
    models as onnxruntime and reads the degraded crop to (nearly) the same text."""
    from rapidfuzz.distance import Levenshtein

    from corpusmill.layout.ocr_runtime import OpenVinoSession, ScriptHeadSession

    image = _rgb("oup-template-p0004-degraded.jpg")
    ov, ort = RapidOcrEngine(threads=1), RapidOcrEngine(threads=1, runtime="onnxruntime")
    assert isinstance(ov._engine._load_rec_model().session, ScriptHeadSession)
    assert isinstance(ov._engine._load_det_model().session, OpenVinoSession)
    ov_text = lines_to_text(order_lines(ov.recognize(image), image.shape[1]))
    ort_text = lines_to_text(order_lines(ort.recognize(image), image.shape[1]))
    assert len(DEGRADED_WORDS & _words(ov_text)) >= 9
    assert Levenshtein.normalized_distance(ov_text, ort_text) <= 0.02
    with pytest.raises(ValueError, match="unknown OCR runtime"):
        RapidOcrEngine(runtime="nonesuch")


def test_openvino_text_does_not_depend_on_the_thread_count():
    """Workers get cores / --workers threads each: the text must not change with that."""
    image = _rgb("oup-template-p0004-degraded.jpg")
    texts = {threads: [(ln.text, ln.bbox) for ln in RapidOcrEngine(threads=threads).recognize(image)]
             for threads in (1, 2)}
    assert texts[1] == texts[2]


def test_shortcuts_give_rapidocr_s_own_numbers():
    """The detector's table-driven input and the recogniser's one-pass best-class scan
    (`ocr_runtime`) are speed-ups only: the same input array, the same text and scores."""
    import rapidocr
    from rapidocr.ch_ppocr_det.utils import DetPreProcess
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    from corpusmill.layout.ocr_runtime import OpenVinoSession

    image = _rgb("oup-template-p0004-degraded.jpg")
    fast = RapidOcrEngine(threads=1, script_head=False)._engine
    det, rec = fast._load_det_model(), fast._load_rec_model()
    ours = det.get_preprocess()(image)
    assert ours.flags["C_CONTIGUOUS"]
    assert np.array_equal(ours, DetPreProcess(det.limit_side_len, det.limit_type, det.mean, det.std)(image))

    crops = fast.crop_text_regions(image, det(image).boxes)
    assert len(crops) >= 10
    plain = RapidOcrEngine(threads=1, script_head=False)._engine._load_rec_model()
    plain.session = OpenVinoSession(next((Path(rapidocr.__file__).parent / "models").glob("*_rec_*.onnx")), 1)
    plain.postprocess_op = plain.postprocess_op._ctc  # rapidocr's decoder on the whole output
    a, b = rec(TextRecInput(img=crops)), plain(TextRecInput(img=crops))
    assert a.txts == b.txts and a.scores == b.scores


@pytest.fixture(scope="module")
def head_pair() -> tuple[RapidOcrEngine, RapidOcrEngine]:
    """The default recogniser (kept head where the page allows) and the model as it ships."""
    return RapidOcrEngine(threads=1), RapidOcrEngine(threads=1, script_head=False)


def test_kept_head_reads_a_latin_scan_as_the_full_head_does(head_pair):
    """On a Latin page the recogniser leaves out the 16,143 Chinese and Japanese classes: the same
    text line for line, scores that stay probabilities close to the full head's."""
    from corpusmill.layout.ocr_lines import page_confidence

    sliced, full = head_pair
    image = _rgb("oup-template-p0004-degraded-full.jpg")
    kept_lines, full_lines = sliced.recognize(image), full.recognize(image)
    assert sliced.last_page_head == "kept" and full.last_page_head is None
    assert len(full_lines) >= 100
    assert [ln.text for ln in kept_lines] == [ln.text for ln in full_lines]
    assert all(0.0 <= ln.confidence <= 1.0 for ln in kept_lines)
    assert abs(page_confidence(kept_lines) - page_confidence(full_lines)) <= 0.005


@pytest.mark.parametrize("name, words", [
    # A Chinese table of contents; a Latin reference list with Japanese titles.
    ("seuthesis-p0007-chinese-degraded.jpg", ("研究的主要内容", "参考文献", "作者简介")),
    ("chemobabel-ja-p0022-mixed-degraded.jpg",
     ("化学構造式", "画像のみを表示する方法", "Advent Calendar")),
])
def test_pages_with_chinese_or_japanese_keep_the_full_head(head_pair, name, words):
    """Where a line has Chinese or Japanese, the page is read by the model as it ships: the same
    text as without slicing, its Han and kana included; the next Latin page is sliced again."""
    sliced, full = head_pair
    image = _rgb(name)
    text = [ln.text for ln in sliced.recognize(image)]
    assert sliced.last_page_head == "full"
    assert text == [ln.text for ln in full.recognize(image)]
    assert all(any(word in line for line in text) for word in words), text
    sliced.recognize(_rgb("oup-template-p0004-degraded.jpg"))
    assert sliced.last_page_head == "kept"
    assert [ln.text for ln in sliced.recognize(image)] == text


def test_droppable_classes_are_chinese_and_japanese_only():
    from corpusmill.layout.ocr_runtime import droppable_classes

    chars = ["blank", "a", "Z", "7", "ß", "α", "Ψ", "→", "，", "、", "ー", "中", "學", "あ", "ア", "ｱ"]
    assert droppable_classes(chars).tolist() == [False] * 11 + [True] * 5


def test_rapidocr_reads_newspaper_columns_with_narrow_gutters_in_order(rapid):
    # Three columns of a 1901 newspaper scan (olmocr's newspaper.pdf, 200 dpi): the gutters are narrower
    # than the detector's box padding, so the boxes of neighbouring columns overlap, next lines of a
    # column overlap vertically, and a few lines are detected joined across a gutter.
    image = _rgb("olmocr-newspaper-p0001-three-columns.jpg")
    text = lines_to_text(order_lines(rapid.recognize(image), page_width=image.shape[1]))
    keys = ("Great and powerful", "If there be an American", "ship of war from her fighting",
            "the big guns are protected",  # column 1
            "An Advertiser reporter", "In 1885 Captain Thomas", "command of the Bennington",  # column 2
            "While the Oregon was on the rocks", "boat near the Chinese")  # column 3
    pos = [text.find(key) for key in keys]
    assert min(pos) >= 0 and pos == sorted(pos), dict(zip(keys, pos))
