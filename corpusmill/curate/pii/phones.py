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
    # further groups; a dash or slash may have spaces around it ("040 / 49 07 11", "599 16 - 957")
    r"(?:(?:\s?\(0\)\s?|\s?\(|\)[ .\-–/]?|[ .]|\s?[\-–/]\s?)\d{1,12}){0,6}"
    r"(?:\s?(?:x|ext\.?|extension|#)\s?\d{1,6})?"  # extension
    r"(?![\w]|[.,\-–/]\d)"
)
_EXTENSION = regex.compile(r"\s?(?:x|ext\.?|extension|#)\s?\d{1,6}$", regex.I)

# Words that announce a phone number, lower case.
_CUES = frozenset(
    "tel tel.-nr telnr telephone telefone telephon telefon phone ph mobile mobil mob cell cellulare fax "
    "hotline call ring dial text sms whatsapp telefonnummer rufnummer handy fon tél téléphone portable "
    "teléfono telefono tfno móvil movil llame llama chiama chiamare telefoon bel telefonu kom komórka "
    "contact kontakt contatto contacto tlf puhelin 電話 joindre erreichbar anrufen ring reach line numero número "
    "numer llamar llamarnos bellen chiamare chiamateci zadzwoń dzwoń gsm port portable cel tél.-nr".split()
)
# A one-letter or symbol label of a signature or contact line ("T +49 ...", "m: ...", "☎ ..."):
# taken only at the start of a line or after a separator, where it cannot be a word of prose.
_LABEL_BEFORE = regex.compile(
    r"(?:^|[\n|·•,;/]|\s{2})[ \t]*(?:[TtMmOoFfPpDdWwHhCc]|☎|✆|📞|📱|☏|Tel|Fon|Mob|Cell|Port|Tlf)\.?[ \t]*[:.]?[ \t]*$"
)
# After the number: "07700 900877 is my mobile", "… ist meine Handynummer".
_CUE_AFTER = regex.compile(
    r"^\s?(?:\(|,)?\s?(?:is|ist|est|es|è|is\s+my|to)?\s?(?:my|mein|meine|mon|mi|il mio|mijn|mój)?\s?"
    r"(?i:mobile|cell|phone|number|handy|handynummer|mobilnummer|telefonnummer|portable|móvil|cellulare|"
    r"mobiel|nummer|komórka)\b"
)
# Words that may stand between the cue and the number: "call us on", "Tel. unter", "Phone number:".
_FILLERS = frozenset(
    "us me at on unter au al nr no number nummer n° nº per oder or is ist est es è jest my our mein meine "
    "uns mich nous mi ci op naar via to under direct direkt".split()
)
# "Contrat n° 2019-44871", "Az. 4 C 117/22": a number sign or file mark introduces an identifier.
_NUMBER_SIGNS = frozenset("n° nº no nr nr. num no. # az aktenzeichen ref réf".split())
_CURRENCY_BEFORE = regex.compile(r"[$€£¥₹]\s?$")
_DATE = regex.compile(
    r"^(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{2}|\d{4})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}[./]\d{4})$"
)
# A date at the start of a candidate, a time after it: "14.03.2023 16:51" reads "14.03.2023 16".
_DATE_FIRST = regex.compile(r"^(?:\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\s")
# "1990 - 2020", "2019–2022": a span of years, not a number.
_YEAR_RANGE = regex.compile(r"^(?:1[89]|20)\d\d\s?[\-–/]\s?(?:(?:1[89]|20)\d\d|\d\d)$")
# "12 - 15", "3 / 4": a spaced dash or slash is a range or ratio in prose unless a cue says "phone".
_SPACED_RANGE = regex.compile(r"\s[\-–/]|[\-–/]\s")
# "255.255.255.0": an IP address or a subnet mask.
_DOTTED_QUAD = regex.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?$")  # also a network "10.20.0.0/16"
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
        cued = _cued(words) or bool(_LABEL_BEFORE.search(text, max(0, start - 12), start)) \
            or bool(_CUE_AFTER.match(text, end, min(len(text), end + 40)))
        if not cued and ((words and words[-1] in _NUMBER_SIGNS)
                         or (_SPACED_RANGE.search(main) and not main.startswith("+"))):
            continue
        if _YEAR_RANGE.match(main) or _DOTTED_QUAD.match(main) or _DATE_FIRST.match(main):
            continue
        if _is_phone(main, digits, cued, regions, tried):
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
