"""The `pii` stage: find personal data in a record's text and replace, mask, annotate or drop."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from corpusmill.curate.pii.detector import PiiDetector
from corpusmill.curate.pii.fields import Field, free_text_fields
from corpusmill.curate.pii.regions import region_hints
from corpusmill.curate.pii.span import PiiSpan
from corpusmill.record import KEPT, MODIFIED, Record
from corpusmill.stage import Stage

MODES = ("replace", "mask", "annotate", "drop")
REJECTS = ("withhold", "scrub", "raw")


class PiiScrub(Stage):
    """Scrubs PII from `record.text` and from every other free-text field (`fields.py`):
    a page's or a PDF's title, author, description, info-dict entries, a web page's URI.

    Modes:
    - ``replace``: each span becomes its typed placeholder (``<EMAIL>``, ``<PHONE>``, ...).
    - ``mask``: each character of a span becomes `mask_char` (the text keeps its length).
    - ``annotate``: the text is unchanged; the spans are only recorded.
    - ``drop``: a record with any PII is dropped (``pii:contains_pii``), counts by type as scores.

    What is recorded never holds the removed values, only where and what they
    were: the provenance entry's scores are ``{type: count}`` over all fields
    (its detail names the fields other than the text that held PII),
    ``record.metadata["pii"]`` lists ``{"type", "start", "end"}`` in the text
    and ``record.metadata["pii_fields"]`` ``{"field", "type", "start", "end"}``
    in the other fields (positions in the output for replace/mask, in the
    original otherwise).

    Texts longer than `max_chars` are dropped (``pii:too_long_to_scan``) rather
    than passed on unscanned, so no PII leaks through a size limit.

    `rejects` says what `rejects/` holds of a record that leaves the run
    without having been scrubbed here (dropped by a filter or dedup before this
    stage, dropped by this stage, or an error): ``withhold`` (the default) writes
    it without its text (``metadata.text_withheld`` keeps the length) and with
    its other fields scrubbed, ``scrub`` scrubs its text too, ``raw`` writes it
    as it was, PII included, for users who ask for that.
    """

    name = "pii"
    version = "2"

    def __init__(
        self,
        mode: str = "replace",
        types: Iterable[str] | None = None,
        mask_char: str = "*",
        max_chars: int = 50_000_000,
        rejects: str = "withhold",
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"unknown PII mode {mode!r}; choose one of {MODES}")
        if len(mask_char) != 1:
            raise ValueError("mask_char must be one character")
        if rejects not in REJECTS:
            raise ValueError(f"unknown rejects setting {rejects!r}; choose one of {REJECTS}")
        self.mode = mode
        self.mask_char = mask_char
        self.max_chars = max_chars
        self.rejects = rejects
        self.detector = PiiDetector(types)

    @classmethod
    def rejects_filter(cls, spec: dict[str, Any]) -> Callable[[Record], None] | None:
        """What the run's writers apply to each record they send to `rejects/` (None: nothing)."""
        settings = {k: v for k, v in spec.items() if k not in ("stage", "enabled")}
        if settings.get("rejects", "withhold") == "raw":
            return None
        if settings.get("mode") == "drop":
            settings["mode"] = "replace"  # a reject is already out of the corpus
        return cls(**settings).scrub_reject

    def scrub_reject(self, record: Record) -> None:
        """A record on its way to `rejects/`: withheld or scrubbed (see `rejects`), unless this stage scrubbed it.

        Its edits are in `metadata` (`text_withheld`, `pii`, `pii_fields`), not in a provenance entry:
        the last entry stays the decision that took the record out of the corpus.
        """
        if any(p["stage"] == self.name and p["action"] in (KEPT, MODIFIED) for p in record.provenance):
            return
        regions = region_hints(record.metadata.get("language"), record.source.get("uri"))
        fields = list(free_text_fields(record))
        withhold = self.rejects == "withhold" or len(record.text) > self.max_chars
        if not withhold:
            fields.insert(0, Field("text", record.text, lambda v: setattr(record, "text", v)))
        counts, text_edits, field_edits = self._apply(fields, regions)
        withheld = withhold and bool(record.text)
        if not withheld and not counts:
            return
        if withheld:
            record.metadata["text_withheld"] = {"chars": len(record.text)}
            record.text = ""
        if text_edits is not None:
            record.metadata["pii"] = text_edits
        record.metadata["pii_fields"] = field_edits

    def process(self, record: Record) -> None:
        text = record.text
        if len(text) > self.max_chars:
            self.drop(record, "too_long_to_scan", {"chars": len(text)})
            return
        regions = region_hints(record.metadata.get("language"), record.source.get("uri"))
        fields = [Field("text", text, lambda v: setattr(record, "text", v)), *free_text_fields(record)]
        counts, text_edits, field_edits = self._apply(fields, regions)
        record.metadata["pii"] = text_edits or []
        record.metadata["pii_fields"] = field_edits
        detail = _fields_detail(field_edits)
        if self.mode == "drop" and counts:
            self.drop(record, "contains_pii", dict(counts), detail)
        elif self.mode in ("annotate", "drop") or not counts:
            self.keep(record, dict(counts), detail)
        else:
            self.modify(record, dict(counts), detail)

    def _apply(self, fields: list[Field], regions: tuple[str, ...]
               ) -> tuple[Counter[str], list[dict[str, Any]] | None, list[dict[str, Any]]]:
        """Find PII in each field and, in replace/mask mode, rewrite it: (counts by type, text edits
        (None when the text was not among the fields), other fields' edits)."""
        counts: Counter[str] = Counter()
        text_edits: list[dict[str, Any]] | None = None
        field_edits: list[dict[str, Any]] = []
        for f in fields:
            spans = self.detector.find(f.value, regions)
            counts.update(s.type for s in spans)
            if spans and self.mode in ("replace", "mask"):
                new, spans = self._rewrite(f.value, spans)
                f.set(new)
            if f.name == "text":
                text_edits = _positions(spans)
            else:
                field_edits += [{"field": f.name, **p} for p in _positions(spans)]
        return counts, text_edits, field_edits

    def _rewrite(self, text: str, spans: list[PiiSpan]) -> tuple[str, list[PiiSpan]]:
        """The text with each span replaced or masked, and the spans' places in it."""
        parts: list[str] = []
        out: list[PiiSpan] = []
        pos = shift = 0
        for s in spans:
            parts.append(text[pos:s.start])
            new = f"<{s.type}>" if self.mode == "replace" else self.mask_char * (s.end - s.start)
            parts.append(new)
            start = s.start + shift
            out.append(PiiSpan(s.type, start, start + len(new)))
            shift += len(new) - (s.end - s.start)
            pos = s.end
        parts.append(text[pos:])
        return "".join(parts), out


def _positions(spans: list[PiiSpan]) -> list[dict[str, Any]]:
    return [{"type": s.type, "start": s.start, "end": s.end} for s in spans]


def _fields_detail(field_edits: list[dict[str, Any]]) -> str | None:
    """The provenance detail naming the fields besides the text that held PII, with their types."""
    found: dict[str, set[str]] = {}
    for e in field_edits:
        found.setdefault(e["field"], set()).add(e["type"])
    if not found:
        return None
    return "fields: " + ", ".join(f"{name} ({'/'.join(sorted(types))})" for name, types in found.items())
