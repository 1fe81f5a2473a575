"""A detected PII span and how overlapping candidates are resolved."""
from __future__ import annotations

from dataclasses import dataclass

# The types PiiScrub knows, in the order overlaps are settled: a span of a
# type earlier in this tuple wins over an overlapping one later in it. The
# checksum-validated types come first because a checksum is stronger evidence
# than a pattern (an IBAN's digits also look like a phone number; a card
# number inside an address is still a card number).
TYPES: tuple[str, ...] = (
    "EMAIL",
    "IBAN",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "US_SSN",
    "PHONE",
    "ADDRESS",
    "PERSON",
)
_RANK = {t: i for i, t in enumerate(TYPES)}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """`text[start:end]` is PII of `type`. Only positions travel: never the value."""

    type: str
    start: int
    end: int

    def overlaps(self, other: PiiSpan) -> bool:
        return self.start < other.end and other.start < self.end


def resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans in text order: stronger type first, then the longer span."""
    chosen: list[PiiSpan] = []
    for s in sorted(spans, key=lambda s: (_RANK[s.type], s.start - s.end, s.start)):
        if not any(s.overlaps(c) for c in chosen):
            chosen.append(s)
    chosen.sort(key=lambda s: s.start)
    return chosen
