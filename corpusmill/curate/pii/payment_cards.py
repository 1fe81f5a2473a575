"""Payment card numbers: Luhn-checked, with a real issuer prefix and length."""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.checksums import card_brand_ok, luhn_ok
from corpusmill.curate.pii.context import names_identifier, words_before
from corpusmill.curate.pii.span import PiiSpan

# How cards are printed: unbroken (12-19 digits), in fours with a shorter last
# group, or 4-6-5 / 4-6-4 (Amex, Diners), with spaces or dashes. Phone numbers
# and amounts are grouped otherwise ("49 30 212341 410", "1 250 000").
_CANDIDATE = regex.compile(
    r"(?<![\w.,/\-+])"
    r"(?:\d{4}(?P<sep>[ \-])\d{4}(?:(?P=sep)\d{4}){1,2}(?:(?P=sep)\d{1,4})?"
    r"|\d{4}(?P<sep2>[ \-])\d{6}(?P=sep2)\d{4,5}"
    r"|\d{12,19})"
    r"(?![\w]|[.,/\-]\d)"
)
_SEP = regex.compile(r"[ \-]")
# Words that say a card number follows.
_CARD_WORDS = frozenset(
    "card cards cc visa mastercard amex karte kreditkarte kartennummer carte tarjeta carta kaart karta "
    "credit debit".split()
)


def find_payment_cards(text: str) -> Iterator[PiiSpan]:
    for m in _CANDIDATE.finditer(text):
        cand = m.group()
        words = words_before(text, m.start())
        if names_identifier(words):  # "EAN 4006381333931"
            continue
        cued = any(w in _CARD_WORDS for w in words[-3:])
        if _valid(cand, cued):
            yield PiiSpan("CREDIT_CARD", m.start(), m.end())
            continue
        # "4111 1111 1111 1111 2023": a further group may follow the number.
        last = max(cand.rfind(" "), cand.rfind("-"))
        if last > 0 and _valid(cand[:last], cued):
            yield PiiSpan("CREDIT_CARD", m.start(), m.start() + last)


def _valid(number: str, cued: bool) -> bool:
    digits = _SEP.sub("", number)
    return 12 <= len(digits) <= 19 and card_brand_ok(digits, cued) and luhn_ok(digits)
