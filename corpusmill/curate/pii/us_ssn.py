"""US social security numbers (SSA validity rules on area, group and serial)."""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.checksums import us_ssn_ok
from corpusmill.curate.pii.span import PiiSpan

# The dashed form stands on its own; the spaced and bare forms look like too
# many other numbers (phone numbers, amounts) and need a cue word before them.
_DASHED = regex.compile(r"(?<![\w\-.,/])(\d{3})-(\d{2})-(\d{4})(?![\w\-]|[.,/]\d)")
_OTHER = regex.compile(r"(?<![\w\-.,/])(\d{3})( ?)(\d{2})\2(\d{4})(?![\w\-]|[.,/]\d)")
_CUE_BEFORE = regex.compile(
    r"(?:\bssn|\bsocial[ \-]security(?:[ \-](?:no|number|#))?|\bss#)\.?[\s:#.]*(?:is|no\.?|number)?[\s:#]*$",
    regex.I,
)


# "+81 158-23-2012", "(030) 123-45-6789": the digits continue a phone number.
_PHONE_BEFORE = regex.compile(r"(?:\+\d{1,4}|\(\d{1,5}\))[\s\-]?$")


def find_us_ssns(text: str) -> Iterator[PiiSpan]:
    for m in _DASHED.finditer(text):
        if _PHONE_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue
        if us_ssn_ok(m.group(1), m.group(2), m.group(3)):
            yield PiiSpan("US_SSN", m.start(), m.end())
    for m in _OTHER.finditer(text):
        if _CUE_BEFORE.search(text, max(0, m.start() - 40), m.start()) and us_ssn_ok(
            m.group(1), m.group(3), m.group(4)
        ):
            yield PiiSpan("US_SSN", m.start(), m.end())
