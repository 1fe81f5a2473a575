"""Property: whatever the text, replace/mask/annotate agree on where the PII is."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpusmill.curate.pii import PiiScrub
from corpusmill.record import Record

PII = ["anna.weber@example.org", "+49 30 901820", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111",
       "203.0.113.42", "123-45-6789"]
FILLER = ["Die", "Sitzung", "kostete", "14,80", "Euro", "version", "1.5.2", "am", "29.11.2022", "ISBN",
          "978-3-16-148410-0", "und", "the", "price", "$41.1", "billion", "—", "Ärger", "日本", "\n"]

texts = st.lists(st.one_of(st.sampled_from(FILLER), st.sampled_from(PII), st.text(max_size=6)), max_size=30).map(
    " ".join
)


def _run(mode: str, text: str) -> Record:
    [out] = list(PiiScrub(mode=mode)([Record(id="p", text=text)]))
    return out


@settings(max_examples=30, deadline=None)
@given(texts)
def test_modes_agree_on_spans(text: str) -> None:
    annotated = _run("annotate", text)
    spans = annotated.metadata["pii"]
    assert annotated.text == text
    # replace == the original with each annotated span swapped for its placeholder
    expected, pos = [], 0
    for s in spans:
        expected += [text[pos:s["start"]], f"<{s['type']}>"]
        pos = s["end"]
    expected.append(text[pos:])
    replaced = _run("replace", text)
    assert replaced.text == "".join(expected)
    for s in replaced.metadata["pii"]:
        assert replaced.text[s["start"]:s["end"]] == f"<{s['type']}>"
    # mask keeps every character outside the spans
    masked = _run("mask", text)
    assert len(masked.text) == len(text)
    assert [(s["start"], s["end"]) for s in masked.metadata["pii"]] == [(s["start"], s["end"]) for s in spans]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(PII), min_size=1, max_size=5), st.lists(st.sampled_from(FILLER), max_size=8))
def test_inserted_values_are_all_found(values: list[str], filler: list[str]) -> None:
    text = " ; ".join(values) + " . " + " ".join(filler)
    out = _run("replace", text)
    for v in values:
        assert v not in out.text
