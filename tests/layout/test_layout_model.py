"""The bundled layout model on a crop of a real two-column dev scan."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from corpusmill.layout.layout_model import detect_layout

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "layout"


def test_finds_text_blocks_in_both_columns_and_the_heading():
    image = np.array(Image.open(FIXTURES / "acmart-sigconf-p0005-two-column.png").convert("RGB"))
    blocks = detect_layout(image)
    gutter = image.shape[1] / 2
    text = [b for b in blocks if b.type == "paragraph"]
    assert any(b.bbox[2] < gutter for b in text) and any(b.bbox[0] > gutter for b in text)
    # "17 SIGCHI EXTENDED ABSTRACTS" heads the right column.
    assert any(b.type == "heading" and b.bbox[0] > gutter and b.bbox[1] < 130 for b in blocks)
    assert all(0.5 <= b.score <= 1 and b.bbox[0] < b.bbox[2] <= image.shape[1] for b in blocks)
    assert [b.bbox[1] for b in blocks] == sorted(b.bbox[1] for b in blocks)


def test_rejects_non_rgb_input():
    with pytest.raises(ValueError, match="RGB"):
        detect_layout(np.zeros((10, 10), np.uint8))


def test_each_line_gets_the_region_it_lies_in_not_only_its_kind():
    from corpusmill.layout.layout_model import line_regions
    from corpusmill.layout.ocr_lines import OcrLine

    image = np.array(Image.open(FIXTURES / "acmart-sigconf-p0005-two-column.png").convert("RGB"))
    blocks = detect_layout(image)
    paragraphs = [i for i, b in enumerate(blocks) if b.type == "paragraph"]
    assert len(paragraphs) >= 2  # two regions of one kind: the two columns' text
    # A line across the top of each region, one overhanging it by a third, and one in no region.
    lines = [OcrLine("x", (b.bbox[0], b.bbox[1], b.bbox[2], b.bbox[1] + 10), 0.99) for b in blocks]
    x0, y0, x1, _ = blocks[paragraphs[0]].bbox
    lines.append(OcrLine("x", (x0 - (x1 - x0) / 3, y0, x1 - (x1 - x0) / 3, y0 + 10), 0.99))
    lines.append(OcrLine("x", (image.shape[1] + 10, 0, image.shape[1] + 90, 10), 0.99))
    assert line_regions(lines, blocks) == [*range(len(blocks)), paragraphs[0], None]
