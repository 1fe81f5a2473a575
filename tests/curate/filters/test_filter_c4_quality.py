from __future__ import annotations

import pytest
from filter_helpers import LANGUAGES, article, prose, run

from corpusmill.curate.filters import C4Quality


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_articles_pass_fineweb_variant(lang: str) -> None:
    r = run(C4Quality(filter_no_terminal_punct=False), article(lang), lang)
    assert r.ok, r.provenance
    assert r.provenance[-1]["action"] in ("kept", "modified")
    assert r.provenance[-1]["scores"]["sentences"] >= 5


def test_line_rules_modify_the_text_and_log_counts() -> None:
    text = "\n".join([
        prose(6),
        "Please enable JavaScript to view the comments powered by Disqus.",
        "By using this site you agree to our privacy policy and terms of use.",
        "Share this",
        "The mill was first mentioned in 1412.[3] It burned down twice.[citation needed]",
    ])
    r = run(C4Quality(), text)
    assert r.ok
    entry = r.provenance[-1]
    assert entry["action"] == "modified"
    assert entry["scores"]["lines_removed_javascript"] == 1
    assert entry["scores"]["lines_removed_policy"] == 1
    assert entry["scores"]["lines_removed_no_terminal_punct"] == 1  # "Share this"
    assert entry["scores"]["lines_removed_citations"] == 1
    assert "JavaScript" not in r.text and "privacy policy" not in r.text and "Share this" not in r.text
    assert "first mentioned in 1412. It burned down twice." in r.text
    assert r.text.startswith("The river runs")


def test_unchanged_text_is_kept_as_is() -> None:
    text = prose(8).replace("\n", "\n\n")
    r = run(C4Quality(), text)
    assert r.ok and r.text == text
    assert r.provenance[-1]["action"] == "kept"


def test_short_lines_removed_only_when_too_short() -> None:
    r = run(C4Quality(filter_no_terminal_punct=False), prose(6) + "\nMenu\nOne two.")
    assert r.provenance[-1]["scores"]["lines_removed_too_few_words"] == 2
    r = run(C4Quality(filter_no_terminal_punct=False, min_words_per_line=1), prose(6) + "\nMenu\nOne two.")
    assert r.provenance[-1]["action"] == "kept"


def test_document_rules_drop() -> None:
    assert run(C4Quality(), prose(6) + "\nLorem ipsum dolor sit amet, consectetur.").reason == \
        "c4_quality:lorem_ipsum"
    assert run(C4Quality(), prose(6) + "\nfunction f() { return 1; } is code.").reason == "c4_quality:curly_bracket"
    assert run(C4Quality(filter_curly_bracket=False), prose(6) + "\nfunction f() { return 1; } is code.").ok
    r = run(C4Quality(), prose(3))
    assert r.reason == "c4_quality:too_few_sentences"
    assert r.provenance[-1]["scores"]["sentences"] == 3
    assert run(C4Quality(min_num_sentences=3), prose(3)).ok


def test_sentences_inside_a_line_count() -> None:
    one_line = " ".join(prose(6).splitlines())
    r = run(C4Quality(), one_line)
    assert r.ok and r.provenance[-1]["scores"]["sentences"] == 6


def test_chinese_lines_count_segmented_words() -> None:
    # Chinese has no spaces: a whitespace split would see one "word" per line
    # and remove every line.
    r = run(C4Quality(filter_no_terminal_punct=False), article("zh"), "zh")
    assert r.ok
    assert r.provenance[-1]["scores"]["lines_kept"] >= 15


def test_empty_text_is_dropped() -> None:
    assert run(C4Quality(), "").reason == "c4_quality:too_few_sentences"


def test_long_chinese_paragraph_is_not_one_long_word() -> None:
    paragraph = "".join(article("zh").splitlines()) * 2  # > 1000 characters without a space
    assert len(paragraph) > 1000
    r = run(C4Quality(filter_no_terminal_punct=False), paragraph, "zh")
    assert r.ok and "lines_removed_too_long_word" not in r.provenance[-1]["scores"]
