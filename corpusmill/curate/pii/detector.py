"""All PII detectors together: one call gives the resolved spans of a text."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from corpusmill.curate.pii.addresses import find_addresses
from corpusmill.curate.pii.emails import find_emails
from corpusmill.curate.pii.ibans import find_ibans
from corpusmill.curate.pii.ip_addresses import find_ip_addresses
from corpusmill.curate.pii.payment_cards import find_payment_cards
from corpusmill.curate.pii.person_contexts import find_names_in_layout, recurrences
from corpusmill.curate.pii.person_names import find_person_names
from corpusmill.curate.pii.phones import find_phones
from corpusmill.curate.pii.span import TYPES, PiiSpan, resolve_overlaps
from corpusmill.curate.pii.us_ssn import find_us_ssns

_Finder = Callable[[str, tuple[str, ...]], Iterator[PiiSpan]]

_FINDERS: dict[str, _Finder] = {
    "EMAIL": lambda text, regions: find_emails(text),
    "IBAN": lambda text, regions: find_ibans(text),
    "CREDIT_CARD": lambda text, regions: find_payment_cards(text),
    "IP_ADDRESS": lambda text, regions: find_ip_addresses(text),
    "US_SSN": lambda text, regions: find_us_ssns(text),
    "PHONE": find_phones,
    "ADDRESS": lambda text, regions: find_addresses(text),
}
# The spans whose places tell where a person's name stands (a name line above an address).
_CONTACT_TYPES = frozenset({"EMAIL", "PHONE", "ADDRESS"})


class PiiDetector:
    """Finds PII of the chosen `types` (default: all of `TYPES`)."""

    def __init__(self, types: Iterable[str] | None = None) -> None:
        chosen = list(TYPES) if types is None else [t.upper() for t in types]
        unknown = sorted(set(chosen) - set(TYPES))
        if unknown:
            raise ValueError(f"unknown PII type(s) {unknown}; known: {list(TYPES)}")
        if not chosen:
            raise ValueError("no PII types chosen")
        self.types = tuple(t for t in TYPES if t in chosen)

    def find(self, text: str, regions: tuple[str, ...] = ()) -> list[PiiSpan]:
        """Non-overlapping spans in text order. `regions`: likely countries, for phone numbers."""
        # All types compete in the overlap resolution, also the ones not asked
        # for: an IBAN's digits must not come back as a phone number when only
        # phones are scrubbed. The unwanted types are removed afterwards.
        spans: list[PiiSpan] = []
        for finder in _FINDERS.values():
            spans.extend(finder(text, regions))
        # Names come last: their contexts include the contact details found above, and
        # a name found anywhere is removed wherever else it occurs in the text.
        people = list(find_person_names(text))
        people.extend(find_names_in_layout(text, [s for s in spans if s.type in _CONTACT_TYPES]))
        people.extend(recurrences(text, people))
        spans.extend(people)
        return [s for s in resolve_overlaps(spans) if s.type in self.types]
