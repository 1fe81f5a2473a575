from __future__ import annotations

import pytest
from filter_helpers import LANGUAGES, article, prose, run

from corpusmill.curate.filters import FineWebQuality


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_articles_are_kept(lang: str) -> None:
    r = run(FineWebQuality(), article(lang), lang)
    assert r.ok, r.provenance
    assert set(r.provenance[-1]["scores"]) == {"line_punct_ratio", "short_line_ratio", "char_dup_ratio",
                                               "new_line_ratio"}


def test_lines_without_punctuation() -> None:
    menu = "\n".join(f"Category number {i} with several products inside" for i in range(30))
    r = run(FineWebQuality(), menu + "\n" + prose(2))
    assert r.reason == "fineweb_quality:line_punct_ratio"
    assert r.provenance[-1]["scores"]["line_punct_ratio"] < 0.12


def test_short_lines() -> None:
    short = "\n".join(f"Item {i}." for i in range(20)) + "\n" + prose(4)
    r = run(FineWebQuality(), short)
    assert r.reason == "fineweb_quality:short_line_ratio"
    assert run(FineWebQuality(short_line_ratio=None, new_line_ratio=None), short).ok


def test_duplicated_lines_characters() -> None:
    text = prose(12) + "\n" + prose(1)  # one line of 13 repeated: ~5 % of the characters
    r = run(FineWebQuality(), text)
    assert r.reason == "fineweb_quality:char_dup_ratio"
    assert 0.01 < r.provenance[-1]["scores"]["char_dup_ratio"] < 0.1
    # FineWeb-2 allows 10 % for other languages.
    assert run(FineWebQuality(), text, "fr").ok


def test_new_line_ratio() -> None:
    text = "\n".join(f"Step {i} is done now, then we continue." for i in range(40))
    assert run(FineWebQuality(), text).ok
    lists = "\n".join(f"Done {i}." for i in range(40)) + "\n" + prose(1)
    r = run(FineWebQuality(short_line_ratio=None), lists)
    assert r.reason == "fineweb_quality:new_line_ratio"


def test_markdown_blank_lines_are_one_break() -> None:
    # Paragraphs separated by a blank line (Markdown) count like plain lines.
    text = prose(12)
    assert run(FineWebQuality(), text.replace("\n", "\n\n")).provenance[-1]["scores"]["new_line_ratio"] == \
        run(FineWebQuality(), text).provenance[-1]["scores"]["new_line_ratio"]


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_text_is_dropped(text: str) -> None:
    assert run(FineWebQuality(), text).reason == "fineweb_quality:empty"
