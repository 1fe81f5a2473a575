"""Email addresses, plain and in the obfuscated forms people write to fool harvesters.

Obfuscated forms: "name [at] domain [dot] org", "name(at)domain.de",
"name {at} domain", "name @ domain.fr" (spaces around the sign) and the
full-width "＠" or small "﹫". An obfuscated "at" is only taken in brackets or
as a spaced sign: a bare " at " between words is English prose.
"""
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
# The "at" of an obfuscated address: bracketed word or sign, a spaced "@", a full-width sign.
_AT = r"(?:\s?[\[({<]\s?(?i:at|@|ät)\s?[\])}>]\s?|\s{1,2}@\s{1,2}|\s?@\s{1,2}|\s{1,2}@\s?|\s?[＠﹫]\s?)"
# The dot between domain labels: a real one, or a bracketed or spaced word.
_DOT = r"(?:\.|\s?[\[({<]\s?(?i:dot|punkt|point|punto|punt|kropka|\.)\s?[\])}>]\s?|\s(?i:dot|punkt)\s)"
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"
_OBFUSCATED = regex.compile(
    rf"(?<![\w.%+\-@])[\w](?:[\w.%+\-]{{0,63}}[\w])?{_AT}(?:{_LABEL}{_DOT}){{1,8}}[^\W\d_]{{2,24}}(?![\w@]|\.[^\W_])"
)
_HINT = regex.compile(r"[@＠﹫]|[\[({<]\s?(?i:at|ät)\s?[\])}>]")
_AT_ANCHOR = regex.compile(r"[\[({<]\s?(?i:at|@|ät)\s?[\])}>]|\s@|@\s|[＠﹫]")


def find_emails(text: str) -> Iterator[PiiSpan]:
    if not _HINT.search(text):
        return
    plain = []
    for m in _EMAIL.finditer(text):
        plain.append(m.span())
        yield PiiSpan("EMAIL", m.start(), m.end())
    # The obfuscated pattern is slow to try at every word: it is only tried on the
    # line around each obfuscated "at".
    done = -1
    for anchor in _AT_ANCHOR.finditer(text):
        lo = max(done, text.rfind("\n", max(0, anchor.start() - 80), anchor.start()) + 1, anchor.start() - 80)
        hi = min(len(text), anchor.end() + 300)
        for m in _OBFUSCATED.finditer(text, lo, hi):
            if m.start() <= anchor.start() < m.end() and not any(s <= m.start() < e for s, e in plain):
                yield PiiSpan("EMAIL", m.start(), m.end())
                done = m.end()
