"""Each PII type is found in real formats; look-alikes (versions, prices, dates, ISBNs, ids) are not."""
from __future__ import annotations

import pytest

from corpusmill.curate.pii import PiiDetector

DETECTOR = PiiDetector()


def found(text: str, regions: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(s.type, text[s.start:s.end]) for s in DETECTOR.find(text, regions)]


@pytest.mark.parametrize(
    ("text", "pii_type", "value"),
    [
        # emails
        ("Write to jane.doe+news@example.co.uk for details.", "EMAIL", "jane.doe+news@example.co.uk"),
        ("Kontakt: jürgen.müller@beispiel.de.", "EMAIL", "jürgen.müller@beispiel.de"),
        # phones, international form, no cue needed
        ("Our office +49 30 901820 is open.", "PHONE", "+49 30 901820"),
        ("Ring +44 20 7946 0958 today", "PHONE", "+44 20 7946 0958"),
        ("Standard: +33 1 42 68 53 00.", "PHONE", "+33 1 42 68 53 00"),
        ("Office: +1 (415) 555-0132.", "PHONE", "+1 (415) 555-0132"),
        ("Zentrale +49 (0)7141 2987780 erreichbar", "PHONE", "+49 (0)7141 2987780"),
        ("Tokyo office +81 3-1234-5678.", "PHONE", "+81 3-1234-5678"),
        ("Escritório +55 11 91234-5678.", "PHONE", "+55 11 91234-5678"),
        ("Reach Mumbai on +91 98765 43210.", "PHONE", "+91 98765 43210"),
        # phones, national form after a cue
        ("Tel. 06 12 34 56 78", "PHONE", "06 12 34 56 78"),
        ("Telefon: 030 275-95-218", "PHONE", "030 275-95-218"),
        ("Fax: 0201.2402-403", "PHONE", "0201.2402-403"),
        ("teléfono 912 345 678", "PHONE", "912 345 678"),
        ("Call 875.723.4869 x4941 now", "PHONE", "875.723.4869 x4941"),
        ("電話 03-1234-5678", "PHONE", "03-1234-5678"),
        # IP addresses
        ("logged from 203.0.113.42 yesterday", "IP_ADDRESS", "203.0.113.42"),
        ("client 2001:db8::8a2e:370:7334 connected", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("v6: 2a00:1450:4001:82b::200e.", "IP_ADDRESS", "2a00:1450:4001:82b::200e"),
        # payment cards
        ("Charged to 4111 1111 1111 1111.", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("Amex 3782 822463 10005 on file", "CREDIT_CARD", "3782 822463 10005"),
        ("card 5555555555554444 expired", "CREDIT_CARD", "5555555555554444"),
        ("Discover 6011-1111-1111-1117.", "CREDIT_CARD", "6011-1111-1111-1117"),
        # IBANs
        ("IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", "IBAN", "DE89 3704 0044 0532 0130 00"),
        ("to GB82 WEST 1234 5698 7654 32.", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("compte FR14 2004 1010 0505 0001 3M02 606", "IBAN", "FR14 2004 1010 0505 0001 3M02 606"),
        ("rekening NL91ABNA0417164300.", "IBAN", "NL91ABNA0417164300"),
        # US social security numbers
        ("SSN: 123-45-6789.", "US_SSN", "123-45-6789"),
        ("social security no. 078 05 1120", "US_SSN", "078 05 1120"),
        # addresses in several countries
        ("HQ: 1600 Amphitheatre Parkway, Mountain View, CA 94043.", "ADDRESS",
         "1600 Amphitheatre Parkway, Mountain View, CA 94043"),
        ("at 10 Downing Street, London, SW1A 2AA.", "ADDRESS", "10 Downing Street, London, SW1A 2AA"),
        ("Flat 2, Dennis River, Port Lydia, SL1 1RX", "ADDRESS", "Flat 2, Dennis River, Port Lydia, SL1 1RX"),
        ("Adresse: Unter den Linden 77, 10117 Berlin.", "ADDRESS", "Unter den Linden 77, 10117 Berlin"),
        ("Sitz: Hülsebrockstraße 2-8, 48165 Münster", "ADDRESS", "Hülsebrockstraße 2-8, 48165 Münster"),
        ("Büro Rheinweg 9, CH-8200 Schaffhausen", "ADDRESS", "Rheinweg 9, CH-8200 Schaffhausen"),
        ("au 55 rue du Faubourg Saint-Honoré, 75008 Paris.", "ADDRESS", "55 rue du Faubourg Saint-Honoré, 75008 Paris"),
        ("Sede: Via del Corso 12, 00186 Roma (RM).", "ADDRESS", "Via del Corso 12, 00186 Roma (RM)"),
        ("Oficina: Calle de Alcalá 42, 28014 Madrid.", "ADDRESS", "Calle de Alcalá 42, 28014 Madrid"),
        ("Biuro: ul. Marszałkowska 10, 00-590 Warszawa.", "ADDRESS", "ul. Marszałkowska 10, 00-590 Warszawa"),
        ("Bezoek Prinsengracht 263, 1016 GV Amsterdam.", "ADDRESS", "Prinsengracht 263, 1016 GV Amsterdam"),
        ("Ship to USS Jimenez, FPO AP 26710.", "ADDRESS", "USS Jimenez, FPO AP 26710"),
        # person names in contact and byline roles
        ("Contact person: Maria Schneider.", "PERSON", "Maria Schneider"),
        ("Ansprechpartnerin: Dr. Anna Weber", "PERSON", "Dr. Anna Weber"),
        ("Reported by John Smith.", "PERSON", "John Smith"),
        ("Dear Mr Brown, thank you.", "PERSON", "Mr Brown"),
        ("Interlocuteur : Élise Merle de Payet.", "PERSON", "Élise Merle de Payet"),
        ("(Heather Willis contributed to this report.)", "PERSON", "Heather Willis"),
        ("Referente: Dott.ssa Rossana Canil", "PERSON", "Dott.ssa Rossana Canil"),
        ("Osoba kontaktowa: pani Kaja Dykas.", "PERSON", "pani Kaja Dykas"),
        ("Anna Weber, Tel. 030 1234567", "PERSON", "Anna Weber"),
    ],
)
def test_detects_each_type_in_real_formats(text: str, pii_type: str, value: str) -> None:
    assert (pii_type, value) in found(text)


def test_region_hint_admits_national_number_without_cue() -> None:
    text = "Rufen Sie uns unter 030 23125 0 an oder kommen Sie vorbei: 089 2180 3051."
    assert ("PHONE", "089 2180 3051") in found(text, ("DE", "AT", "CH"))
    # Without a hint and without a cue a national number stays: it could be anything.
    assert ("PHONE", "089 2180 3051") not in found(text)


@pytest.mark.parametrize(
    "text",
    [
        # versions
        "Update to version 1.5.2 or v20.10.0; Python 3.11.7 and Firefox 2.0.0.16 ship it.",
        "McAfee Stinger 12.2.0.79 and build 4.1.0.12 were released.",
        # prices and amounts
        "Der Eintritt kostet 14,80 Euro, ermäßigt 9,60 EUR; das Projekt kostete 57.000 Euro.",
        "The deal was worth $41.1 billion, up from £10,000 and €1.299,00 last year.",
        "Population 1 250 000 in 2020, 1 312 400 in 2023.",
        # dates and times
        "Am 29.11.2022 und 2.4.2019, sowie 2003-01-23 und 12/31/2024 um 12:30:45 Uhr.",
        "Öffnungszeiten 10:00-12:00 und 14:00-18:00, Saison 1999-2004, Spielzeit 2019/2020.",
        # ISBNs, ISSNs, EANs, order and tracking numbers
        "ISBN 978-3-16-148410-0, ISBN-13: 9783161484100, ISBN-10: 3942795116, ISSN 0317-8471.",
        "EAN 4006381333931, UPC 036000291452, Bestellnummer: 4711-0815-2023.",
        "Order No. 1234567890123456 ships with tracking 1Z999AA10123456784.",
        # coordinates, scores, page ranges, phone-shaped but not after a cue
        "Koordinaten 49.988150, 8.840360; Ergebnis 3:1; siehe S. 123-145.",
        # SSN-shaped but invalid area/group/serial
        "Codes 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567 and 123-45-0000.",
        # loopback, unspecified addresses and code
        "Bind to 127.0.0.1 or 0.0.0.0; in C++ write std::vector and a::b.",
        # public figures in news, no contact cue
        "Bundespräsident Alexander Van der Bellen fuhr nach Salzburg; Prof. Christian Drosten sagte dazu nichts.",
        # a Luhn-valid number without a real issuer prefix
        "Reference 1234567812345670 was filed.",
    ],
)
def test_hard_negatives_untouched(text: str) -> None:
    assert found(text) == []


def test_overlaps_resolve_to_the_stronger_type() -> None:
    # The IBAN's digits also look like a phone number after "Tel": one IBAN span, nothing else.
    text = "Tel/IBAN: DE89 3704 0044 0532 0130 00"
    assert found(text) == [("IBAN", "DE89 3704 0044 0532 0130 00")]


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown PII type"):
        PiiDetector(["EMAIL", "PASSPORT"])
