"""Phone numbers in many national formats, validated with `phonenumbers`.

Candidates are digit runs with the separators people write (spaces, dots,
dashes, slashes, parentheses, an optional "+" or "00" prefix and extension).
A candidate counts as a phone number when

- it is written in international form ("+49 ..." / "0049 ...") and is a valid
  number of the country its prefix names, or
- a phone cue stands right before it ("Tel.", "Phone:", "Hotline", "Call",
  "Fax", in the languages of `_CUES`) and it has a phone number's length and
  is possible in one of the regions tried, or
- it is valid in one of the regions hinted by the document (language, URL)
  and written with the grouping separators of a phone number.

Dates, version numbers, prices and identifiers (ISBN, order numbers) are shaped
like digit runs too; they are ruled out by shape and by the words around them.
"""
from __future__ import annotations

from collections.abc import Iterator

import phonenumbers
import regex
from phonenumbers import NumberParseException

from corpusmill.curate.pii.context import names_identifier, words_before
from corpusmill.curate.pii.regions import FALLBACK_REGIONS
from corpusmill.curate.pii.span import PiiSpan

_CANDIDATE = regex.compile(
    r"(?<![\w+/.,\-])"
    r"(?:\+|\b00)?\(?\d{1,15}\)?"  # country or area code (or the whole number), maybe in parentheses
    r"(?:(?:\s?\(0\)\s?|\s?\(|\)[ .\-/]?|[ .\-/])\d{1,12}){0,6}"  # further groups
    r"(?:\s?(?:x|ext\.?|extension|#)\s?\d{1,6})?"  # extension
    r"(?![\w]|[.,\-/]\d)"
)
_EXTENSION = regex.compile(r"\s?(?:x|ext\.?|extension|#)\s?\d{1,6}$", regex.I)

# Words that announce a phone number, lower case.
_CUES = frozenset(
    "tel tel.-nr telnr telephone telefone telephon telefon phone ph mobile mobil mob cell cellulare fax "
    "hotline call ring dial text sms whatsapp telefonnummer rufnummer handy fon tél téléphone portable "
    "teléfono telefono tfno móvil movil llame llama chiama chiamare telefoon bel telefonu kom komórka "
    "contact kontakt contatto contacto tlf puhelin 電話".split()
)
# Words that may stand between the cue and the number: "call us on", "Tel. unter", "Phone number:".
_FILLERS = frozenset("us me at on unter au al nr no number nummer n° nº per oder or".split())
_CURRENCY_BEFORE = regex.compile(r"[$€£¥₹]\s?$")
_DATE = regex.compile(
    r"^(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{2}|\d{4})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}[./]\d{4})$"
)
_NON_DIGIT = regex.compile(r"\D+")
_SEPARATED = regex.compile(r"[ .\-/()]")
_AFTER_UNIT = regex.compile(r"^\s?(?:%|€|\$|£|eur|euro|usd|chf|kg|km|m²|mm|cm|ml|gb|mb|px)\b", regex.I)


def find_phones(text: str, regions: tuple[str, ...] = ()) -> Iterator[PiiSpan]:
    tried = tuple(dict.fromkeys(regions + FALLBACK_REGIONS))
    for m in _CANDIDATE.finditer(text):
        start, end = m.span()
        cand = m.group()
        # "(Tel. 0329960811)": a parenthesis the number did not open is the sentence's.
        if cand.endswith(")") and cand.count(")") > cand.count("("):
            cand, end = cand[:-1], end - 1
        if cand.startswith("(") and cand.count("(") > cand.count(")"):
            cand, start = cand[1:], start + 1
        main = _EXTENSION.sub("", cand)
        digits = len(_NON_DIGIT.sub("", main))
        if not 6 <= digits <= 15 or _DATE.match(main):
            continue
        words = words_before(text, start)
        if names_identifier(words) or _CURRENCY_BEFORE.search(text, max(0, start - 2), start) \
                or _AFTER_UNIT.match(text, end):
            continue
        if _is_phone(main, digits, _cued(words), regions, tried):
            yield PiiSpan("PHONE", start, end)


def _cued(words: list[str]) -> bool:
    """Is the last word before the number, fillers skipped, a phone cue?"""
    for w in reversed(words):
        if w and w not in _FILLERS:  # "Tél. :" leaves an empty word for the colon
            return w in _CUES
    return False


def _is_phone(main: str, digits: int, cued: bool, hinted: tuple[str, ...], tried: tuple[str, ...]) -> bool:
    if main.startswith("+") or main.startswith("00"):
        number = _parse("+" + (main[2:] if main.startswith("00") else main[1:]), None)
        if number is not None and (
            phonenumbers.is_valid_number(number) or (cued and phonenumbers.is_possible_number(number))
        ):
            return True
        if main.startswith("+"):
            return False
        # "00..." is also a national number with a leading zero area code in places.
    if cued:
        # A cue is strong evidence: accept any number possible somewhere.
        return digits >= 7 and any(_possible(main, r) for r in tried)
    # No cue: only a number valid where the document points, written in
    # groups (a bare digit run is more often an id, an amount or a year).
    if not hinted or not _SEPARATED.search(main) or digits < 8:
        return False
    return any(_valid(main, r) for r in hinted)


def _parse(s: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(s, region)
    except NumberParseException:
        return None


def _possible(s: str, region: str) -> bool:
    n = _parse(s, region)
    return n is not None and phonenumbers.is_possible_number(n)


def _valid(s: str, region: str) -> bool:
    n = _parse(s, region)
    return n is not None and phonenumbers.is_valid_number(n)
