from __future__ import annotations

from filter_helpers import article, prose, run

from corpusmill.curate.filters import LineCorrections


def test_ui_lines_are_removed() -> None:
    body = prose(60)
    text = f"SHARE THIS ARTICLE\n{body}\n12 likes\n2024\nHome\nRead more about the mill"
    r = run(LineCorrections(), text)
    assert r.ok, r.provenance
    entry = r.provenance[-1]
    assert entry["action"] == "modified"
    assert entry["scores"]["lines_removed_uppercase"] == 1
    assert entry["scores"]["lines_removed_counter"] == 1
    assert entry["scores"]["lines_removed_numeric"] == 1
    assert entry["scores"]["lines_removed_single_word"] == 1
    assert entry["scores"]["lines_removed_ui_text"] == 1
    assert r.text == body


def test_document_made_of_ui_lines_is_dropped() -> None:
    text = "\n".join(["Home", "News", "SIGN IN NOW", prose(2)])
    r = run(LineCorrections(), text)
    assert r.reason == "line_corrections:too_many_removed_words"
    assert r.provenance[-1]["scores"]["removed_word_frac"] > 0.05
    assert run(LineCorrections(max_removed_word_frac=None), text).ok


def test_chinese_lines_are_counted_in_segmented_words() -> None:
    # Without segmentation every Chinese line would be one "word" and removed.
    r = run(LineCorrections(), article("zh"), "zh")
    assert r.ok, r.provenance
    assert r.provenance[-1]["scores"]["removed_word_frac"] < 0.05
