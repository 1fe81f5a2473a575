"""The `pii` stage: find personal data in a record's text and replace, mask, annotate or drop."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from corpusmill.curate.pii.detector import PiiDetector
from corpusmill.curate.pii.regions import region_hints
from corpusmill.curate.pii.span import PiiSpan
from corpusmill.record import Record
from corpusmill.stage import Stage

MODES = ("replace", "mask", "annotate", "drop")


class PiiScrub(Stage):
    """Scrubs PII from `record.text`.

    Modes:
    - ``replace``: each span becomes its typed placeholder (``<EMAIL>``, ``<PHONE>``, ...).
    - ``mask``: each character of a span becomes `mask_char` (the text keeps its length).
    - ``annotate``: the text is unchanged; the spans are only recorded.
    - ``drop``: a record with any PII is dropped (``pii:contains_pii``), counts by type as scores.

    What is recorded never holds the removed values, only where and what they
    were: the provenance entry's scores are ``{type: count}`` and
    ``record.metadata["pii"]`` lists ``{"type", "start", "end"}`` (positions in
    the output text for replace/mask, in the original text otherwise).

    Texts longer than `max_chars` are dropped (``pii:too_long_to_scan``) rather
    than passed on unscanned, so no PII leaks through a size limit.
    """

    name = "pii"
    version = "1"

    def __init__(
        self,
        mode: str = "replace",
        types: Iterable[str] | None = None,
        mask_char: str = "*",
        max_chars: int = 50_000_000,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"unknown PII mode {mode!r}; choose one of {MODES}")
        if len(mask_char) != 1:
            raise ValueError("mask_char must be one character")
        self.mode = mode
        self.mask_char = mask_char
        self.max_chars = max_chars
        self.detector = PiiDetector(types)

    def process(self, record: Record) -> None:
        text = record.text
        if len(text) > self.max_chars:
            self.drop(record, "too_long_to_scan", {"chars": len(text)})
            return
        regions = region_hints(record.metadata.get("language"), record.source.get("uri"))
        spans = self.detector.find(text, regions)
        counts = dict(Counter(s.type for s in spans))
        if self.mode == "drop":
            if spans:
                record.metadata["pii"] = _positions(spans)
                self.drop(record, "contains_pii", counts)
            else:
                record.metadata["pii"] = []
                self.keep(record)
            return
        if self.mode == "annotate" or not spans:
            record.metadata["pii"] = _positions(spans)
            self.keep(record, counts)
            return
        record.text, out_spans = self._rewrite(text, spans)
        record.metadata["pii"] = _positions(out_spans)
        self.modify(record, counts)

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


def _positions(spans: list[PiiSpan]) -> list[dict[str, object]]:
    return [{"type": s.type, "start": s.start, "end": s.end} for s in spans]
