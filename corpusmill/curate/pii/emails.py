"""Email addresses."""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.span import PiiSpan

# Local part and domain labels are bounded (RFC 5321 limits), so the pattern
# runs in linear time on any input; the TLD is letters only, so a trailing
# sentence period is never part of the address.
_EMAIL = regex.compile(
    r"(?<![\w.%+\-@])"
    r"[\w](?:[\w.%+\-]{0,63}[\w])?"
    r"@"
    r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.){1,8}"
    r"[^\W\d_]{2,24}"
    r"(?![\w@]|\.[^\W_])"
)


def find_emails(text: str) -> Iterator[PiiSpan]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield PiiSpan("EMAIL", m.start(), m.end())
