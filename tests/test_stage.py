"""The stage protocol's helpers: every decision is logged with one of the record's action constants."""
from __future__ import annotations

from corpusmill.record import DROPPED, DUPLICATE, KEPT, MODIFIED, OK, Record
from corpusmill.stage import Stage, chain


class _Edits(Stage):
    name = "edits"

    def process(self, record: Record) -> None:
        if record.text == "copy":
            return self.duplicate(record, "same_text", {"similarity": 1.0}, detail="duplicate of a")
        if record.text.startswith(" "):
            record.text = record.text.strip()
            return self.modify(record, {"stripped": 1})
        self.keep(record)


def test_modify_keep_and_duplicate_are_logged_with_the_action_constants() -> None:
    recs = [Record("a", text="fine"), Record("b", text=" padded"), Record("c", text="copy")]
    stage = _Edits()
    out = list(chain(recs, stage))
    assert [r.status for r in out] == [OK, OK, DROPPED]
    assert [r.provenance[-1]["action"] for r in out] == [KEPT, MODIFIED, DUPLICATE]
    dup = out[2].provenance[-1]
    assert dup["reason"] == "edits:same_text" and dup["detail"] == "duplicate of a" and out[2].reason == dup["reason"]
    assert out[1].text == "padded"
    assert stage.stats.to_dict()["dropped"] == {"edits:same_text": 1} and stage.stats.output == 2


def test_limits_are_the_thresholds_of_the_records_language() -> None:
    from corpusmill.curate.filters.fineweb_quality import FineWebQuality

    stage = FineWebQuality()
    en = stage.limits(Record("e", metadata={"language": "en"}))
    de = stage.limits(Record("d", metadata={"language": "de"}))
    assert en["char_dup_ratio"] == "<= 0.01" and en["short_line_ratio"] == "<= 0.67"
    assert de["char_dup_ratio"] == "<= 0.1" and "short_line_ratio" not in de  # FineWeb-2: rule off for de
    assert de["new_line_ratio"] != en["new_line_ratio"]
