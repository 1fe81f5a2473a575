"""The words right before a candidate number, and whether they name what it is."""
from __future__ import annotations

# Identifiers and codes that are digit runs too: a number right after these is
# not a phone or card number ("ISBN 978...", "Bestellnummer 4711...", "EAN 400...").
_IDENTIFIER_WORDS = frozenset(
    "isbn isbn-10 isbn-13 issn doi order invoice ref item sku ean gtin upc version ver v build iban bic "
    "konto account ssn zip plz tracking sendungsnummer serial".split()
)
_IDENTIFIER_PREFIXES = (
    "bestell", "auftrag", "rechnung", "artikel", "kunden", "vertrag", "commande", "factura", "pedido",
)
_PUNCT = ".:;,!?()[]{}<>\"'«»„“”‘’-–—|/：。、#"


def words_before(text: str, start: int, n: int = 4) -> list[str]:
    """The last `n` whitespace-separated words before `start`, lower case, punctuation stripped.

    A word that was only punctuation (the ":" of "Tél. :") comes back empty.
    """
    window = text[max(0, start - 40):start]
    return [w.strip(_PUNCT).lower() for w in window.split()[-n:]]


def names_identifier(words: list[str]) -> bool:
    """Do the last two words name an identifier ("ISBN", "Bestellnummer", "order no.")?"""
    return any(w in _IDENTIFIER_WORDS or w.startswith(_IDENTIFIER_PREFIXES) for w in words[-2:])
