"""HtmlExtract on Records: decoding, extraction, metadata merge, drops, pass-through."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusmill.extract.stage import HtmlExtract
from corpusmill.record import DROPPED, OK, Record

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"
EXPECTATIONS = json.loads((FIXTURES / "expectations.json").read_text(encoding="utf-8"))


def html_record(name: str, charset: str | None = "utf-8", **metadata) -> Record:
    return Record(
        id=name, media_type="text/html", content=(FIXTURES / f"{name}.html").read_bytes(),
        source={"uri": EXPECTATIONS[name]["url"], "charset": charset}, metadata=dict(metadata),
    )


def test_extracts_text_and_metadata_and_logs_provenance():
    stage = HtmlExtract()
    record = html_record("td0099")
    size = len(record.content)
    [out] = list(stage([record]))
    assert out.status == OK
    assert "As usual, StackOverflow" in out.text and "Powered by Nikola" not in out.text
    assert out.content is None
    assert out.metadata["title"] == "Copy & paste from tmux to system clipboard"
    assert out.metadata["date"] == "2020-01-16"
    assert out.source["charset"] == "utf-8"
    assert out.metadata["charset_method"] == "http"
    entry = out.provenance[-1]
    assert entry["stage"] == "html_extract" and entry["action"] == "extracted"
    assert entry["detail"] == "corpusmill"
    assert entry["scores"] == {"chars": len(out.text), "html_bytes": size}
    assert (stage.stats.input, stage.stats.output) == (1, 1)


def test_mislabelled_charset_is_corrected_on_the_record():
    [out] = list(HtmlExtract()([html_record("td0491", charset="utf-8")]))  # really windows-1250
    assert out.source["charset"] == "cp1250"
    assert out.metadata["charset_method"] == "meta"  # the header lied; the meta tag did not
    assert "Ciężar dyskusji przeniesie" in out.text


def test_existing_metadata_is_not_clobbered_with_none():
    # td0775 has no author the extractor can find; the record's own author stays.
    [out] = list(HtmlExtract()([html_record("td0775", author="Redaktion", region="DE")]))
    assert out.metadata["author"] == "Redaktion"
    assert out.metadata["region"] == "DE"
    assert out.metadata["title"]


def test_empty_page_is_dropped_with_reason_and_scores():
    stage = HtmlExtract()
    record = Record(id="e", media_type="text/html", content=b"<html><body><script>render()</script><div></div></body></html>",
                    source={"uri": "http://127.0.0.1/empty"})
    [out] = list(stage([record]))
    assert out.status == DROPPED
    assert out.reason == "html_extract:empty_text"
    assert out.provenance[-1]["scores"]["chars"] == 0
    assert stage.stats.dropped == {"html_extract:empty_text": 1}


def test_min_chars_drops_short_pages():
    [out] = list(HtmlExtract(min_chars=100_000)([html_record("td0099")]))
    assert out.status == DROPPED and out.reason == "html_extract:empty_text"


def test_other_media_types_and_non_ok_records_pass_untouched_and_uncounted():
    stage = HtmlExtract()
    pdf = Record(id="p", media_type="application/pdf", content=b"%PDF-1.7 ...")
    text = Record(id="t", media_type="text/html", text="already extracted")  # no payload
    dropped = html_record("td0099")
    dropped.status = DROPPED
    outs = list(stage([pdf, text, dropped]))
    assert outs == [pdf, text, dropped]
    assert pdf.content == b"%PDF-1.7 ..." and pdf.provenance == []
    assert dropped.content is not None and dropped.text == ""
    assert stage.stats.input == 0


def test_xhtml_and_peer_engine():
    record = html_record("td0099")
    record.media_type = "application/xhtml+xml"
    [out] = list(HtmlExtract(engine="resiliparse")([record]))
    assert out.status == OK and out.provenance[-1]["detail"] == "resiliparse"
    assert "As usual, StackOverflow" in out.text


def test_garbage_payload_does_not_stop_the_stream():
    records = [Record(id=str(i), media_type="text/html", content=bytes(range(256)) * (i + 1))
               for i in range(3)] + [html_record("td0099")]
    outs = list(HtmlExtract()(records))
    assert len(outs) == 4 and outs[-1].status == OK


def test_unknown_engine_rejected_at_construction():
    with pytest.raises(ValueError):
        HtmlExtract(engine="nope")
