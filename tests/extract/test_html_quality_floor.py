"""The default engine over all 990 html-dev pages, scored with trafilatura's own rule.

Measured 2026-12-01 (bench/html_extraction.py): F1 0.936, trafilatura 2.3.1 0.926 on the
same pages; title 0.72 and date 0.82 exact. The floors sit a little below so that small
generic changes pass and real regressions do not.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from corpusmill.extract import html_to_text
from corpusmill.extract.scoring import SnippetScore

HTML_DEV = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "html-dev"
F1_FLOOR = 0.93
METADATA_FLOORS = {"title": 0.68, "date": 0.75}


@pytest.mark.slow
def test_default_engine_quality_floor_on_html_dev():
    if not (HTML_DEV / "expectations.json").is_file():
        pytest.skip(f"html-dev not found at {HTML_DEV}")
    expectations = json.loads((HTML_DEV / "expectations.json").read_text(encoding="utf-8"))
    score = SnippetScore()
    hits = dict.fromkeys(METADATA_FLOORS, 0)
    totals = dict.fromkeys(METADATA_FLOORS, 0)
    for name, exp in expectations.items():
        content = gzip.decompress((HTML_DEV / "pages" / f"{name}.gz").read_bytes())
        url = exp["url"] if exp["url"].startswith(("http://", "https://")) else None
        result = html_to_text(content, url=url)
        score.add(result.text, exp["with"], exp["without"])
        for field in METADATA_FLOORS:
            expected = (exp.get("metadata") or {}).get(field)
            if expected:
                totals[field] += 1
                hits[field] += " ".join(str(result.metadata.get(field, "")).split()).casefold() \
                    == " ".join(expected.split()).casefold()
    assert len(expectations) == 990
    assert score.f1 >= F1_FLOOR, (score.f1, score.precision, score.recall)
    for field, floor in METADATA_FLOORS.items():
        assert hits[field] / totals[field] >= floor, (field, hits[field], totals[field])
