"""International bank account numbers: country length table and mod-97 check."""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.checksums import IBAN_LENGTHS, iban_ok
from corpusmill.curate.pii.span import PiiSpan

# Country code, check digits, then up to 30 alphanumerics, optionally in
# space-separated groups (the printed form "DE89 3704 0044 0532 0130 00").
_CANDIDATE = regex.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}")


def find_ibans(text: str) -> Iterator[PiiSpan]:
    for m in _CANDIDATE.finditer(text):
        cand = m.group()
        length = IBAN_LENGTHS.get(cand[:2])
        if length is None:
            continue
        # Take exactly the country's number of characters: the pattern may run
        # on into a following word ("... 3000 EUR") that is not part of it.
        seen, cut = 0, len(cand)
        for i, ch in enumerate(cand):
            if ch != " ":
                seen += 1
                if seen == length:
                    cut = i + 1
                    break
        if seen < length:
            continue
        end = m.start() + cut
        if end < len(text) and text[end].isalnum():  # runs on without a break: not this IBAN
            continue
        if iban_ok(cand[:cut].replace(" ", "")):
            yield PiiSpan("IBAN", m.start(), end)
