"""PiiScrub as a stage: each mode, positions, provenance without values, bad input."""
from __future__ import annotations

import json

import pytest

from corpusmill.curate.pii import PiiScrub
from corpusmill.record import Record

TEXT = (
    "Contact person: Maria Schneider. Email: maria.schneider@example.org, Tel. +49 30 901820. "
    "Pay to DE89 3704 0044 0532 0130 00 or card 4111 1111 1111 1111. Logged from 203.0.113.42. "
    "SSN: 123-45-6789. Office: Unter den Linden 77, 10117 Berlin. Version 1.5.2 costs 14,80 Euro."
)
VALUES = {
    "PERSON": "Maria Schneider",
    "EMAIL": "maria.schneider@example.org",
    "PHONE": "+49 30 901820",
    "IBAN": "DE89 3704 0044 0532 0130 00",
    "CREDIT_CARD": "4111 1111 1111 1111",
    "IP_ADDRESS": "203.0.113.42",
    "US_SSN": "123-45-6789",
    "ADDRESS": "Unter den Linden 77, 10117 Berlin",
}


def run(stage: PiiScrub, text: str, **fields: object) -> Record:
    [out] = list(stage([Record(id="r1", text=text, **fields)]))  # type: ignore[arg-type]
    return out


def assert_no_values_stored(record: Record) -> None:
    stored = json.dumps({"metadata": record.metadata, "provenance": record.provenance}, ensure_ascii=False)
    for value in VALUES.values():
        assert value not in stored


def test_replace_puts_typed_placeholders_at_recorded_positions() -> None:
    out = run(PiiScrub(), TEXT)
    assert out.ok
    for value in VALUES.values():
        assert value not in out.text
    for pii_type in VALUES:
        assert f"<{pii_type}>" in out.text
    assert "Version 1.5.2 costs 14,80 Euro." in out.text  # look-alikes untouched
    spans = out.metadata["pii"]
    assert sorted(s["type"] for s in spans) == sorted(VALUES)
    for s in spans:
        assert out.text[s["start"]:s["end"]] == f"<{s['type']}>"
    entry = out.provenance[-1]
    assert entry["stage"] == "pii" and entry["action"] == "modified"
    assert entry["scores"] == {t: 1 for t in VALUES}
    assert_no_values_stored(out)


def test_mask_keeps_length_and_masks_exactly_the_spans() -> None:
    out = run(PiiScrub(mode="mask", mask_char="#"), TEXT)
    assert len(out.text) == len(TEXT)
    for s in out.metadata["pii"]:
        assert out.text[s["start"]:s["end"]] == "#" * (s["end"] - s["start"])
        assert TEXT[s["start"]:s["end"]] == VALUES[s["type"]]
    # outside the spans nothing changed
    masked = {i for s in out.metadata["pii"] for i in range(s["start"], s["end"])}
    assert all(out.text[i] == TEXT[i] for i in range(len(TEXT)) if i not in masked)
    assert out.provenance[-1]["action"] == "modified"
    assert_no_values_stored(out)


def test_annotate_keeps_text_and_records_original_positions() -> None:
    out = run(PiiScrub(mode="annotate"), TEXT)
    assert out.text == TEXT
    assert {TEXT[s["start"]:s["end"]] for s in out.metadata["pii"]} == set(VALUES.values())
    entry = out.provenance[-1]
    assert entry["action"] == "kept" and entry["scores"]["EMAIL"] == 1
    assert_no_values_stored(out)


def test_drop_mode_drops_with_reason_and_counts() -> None:
    stage = PiiScrub(mode="drop")
    out = run(stage, TEXT + " Second mail: a.b@example.net.")
    assert out.status == "dropped"
    assert out.reason == "pii:contains_pii"
    assert out.provenance[-1]["scores"]["EMAIL"] == 2
    assert stage.stats.dropped == {"pii:contains_pii": 1}
    assert_no_values_stored(out)
    clean = run(PiiScrub(mode="drop"), "Nothing personal here, version 2.4.1 costs 20 Euro.")
    assert clean.ok and clean.metadata["pii"] == []


def test_types_restrict_what_is_scrubbed() -> None:
    out = run(PiiScrub(types=["email", "PHONE"]), TEXT)
    assert "<EMAIL>" in out.text and "<PHONE>" in out.text
    assert VALUES["IBAN"] in out.text and VALUES["PERSON"] in out.text
    assert out.provenance[-1]["scores"] == {"EMAIL": 1, "PHONE": 1}


def test_region_hints_from_language_and_url() -> None:
    text = "Bei Fragen: Zentrale 089 2180 3051, montags bis freitags."
    hinted = run(PiiScrub(), text, metadata={"language": "de"})
    assert "<PHONE>" in hinted.text
    by_tld = run(PiiScrub(), text, source={"uri": "https://www.example.de/kontakt"})
    assert "<PHONE>" in by_tld.text
    plain = run(PiiScrub(), text)
    assert plain.text == text


def test_non_ok_records_pass_through_untouched() -> None:
    rec = Record(id="x", text="mail me: a@example.org", status="dropped")
    [out] = list(PiiScrub()([rec]))
    assert out.text == "mail me: a@example.org" and out.provenance == []


@pytest.mark.parametrize(("kwargs", "match"), [({"mode": "redact"}, "unknown PII mode"),
                                               ({"types": ["NAME"]}, "unknown PII type"),
                                               ({"mask_char": "**"}, "one character")])
def test_bad_settings_fail_at_construction(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PiiScrub(**kwargs)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_and_whitespace_are_kept_unchanged(text: str) -> None:
    out = run(PiiScrub(), text)
    assert out.ok and out.text == text and out.metadata["pii"] == []
    assert out.provenance[-1]["action"] == "kept"


def test_ten_megabytes_are_scanned_to_the_end() -> None:
    para = ("Die Sitzung wurde am Dienstag im großen Saal eröffnet, viele Gäste kamen aus der Region. " * 9
            + "Am 29.11.2022 kostete Version 3.4.0 noch 14,80 Euro. ") * 4
    text = (para + "\n") * (10_000_000 // (len(para) + 1)) + "Kontakt: info@example.org"
    out = run(PiiScrub(), text)
    assert out.ok
    assert out.text.endswith("Kontakt: <EMAIL>")
    assert out.provenance[-1]["scores"] == {"EMAIL": 1}


def test_over_the_size_limit_is_dropped_not_passed_unscanned() -> None:
    out = run(PiiScrub(max_chars=1000), "x" * 1001)
    assert out.status == "dropped" and out.reason == "pii:too_long_to_scan"


@pytest.mark.parametrize("token", ["1", "1 ", "4111 ", "+1 ", "a@", "1.", "ab12:", "Contact: ", "Ab ", "Straße 5, "])
def test_one_repeated_token_finishes_with_a_clear_outcome(token: str) -> None:
    text = token * (200_000 // len(token))
    out = run(PiiScrub(), text)
    assert out.ok
    assert out.metadata["pii"] == []


def test_mixed_scripts() -> None:
    text = "Контакт: ivan@example.ru, 電話 03-1234-5678, عنوان 203.0.113.7 — Ansprechpartner: Jürgen Groß."
    out = run(PiiScrub(mode="annotate"), text)
    found = {(s["type"], text[s["start"]:s["end"]]) for s in out.metadata["pii"]}
    assert found == {("EMAIL", "ivan@example.ru"), ("PHONE", "03-1234-5678"),
                     ("IP_ADDRESS", "203.0.113.7"), ("PERSON", "Jürgen Groß")}


def test_invalid_surrogates_are_kept_and_pii_around_them_scrubbed() -> None:
    text = "broken \ud800 text, mail a@example.org \udfff end"
    out = run(PiiScrub(), text)
    assert out.ok
    assert out.text == "broken \ud800 text, mail <EMAIL> \udfff end"
