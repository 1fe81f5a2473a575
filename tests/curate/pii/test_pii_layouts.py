"""PII where it really occurs: signatures, letters, reply headers, bylines, imprints, forums, logs.

One group per kind and per language; each example is written in its own layout
(not one frame with values swapped), and each group has look-alikes that must
stay untouched. Names are only taken where the layout says they are a
person's contact, never a public figure in news prose.
"""
from __future__ import annotations

import pytest

from corpusmill.curate.pii import PiiDetector, PiiScrub
from corpusmill.record import Record

DETECTOR = PiiDetector()


def values(text: str, pii_type: str | None = None, regions: tuple[str, ...] = ()) -> list[str]:
    return [text[s.start:s.end] for s in DETECTOR.find(text, regions) if pii_type in (None, s.type)]


# --- emails written to fool harvesters ---------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Questions? olga.petrova [at] uni-hamburg [dot] de, Raum 4.12", "olga.petrova [at] uni-hamburg [dot] de"),
        ("Anmeldung bitte an info(at)sportverein-lohne.de bis Freitag.", "info(at)sportverein-lohne.de"),
        ("Écrivez-nous : accueil @ mairie-vienne.fr (réponse sous 48 h)", "accueil @ mairie-vienne.fr"),
        ("mail: kontakt＠tischlerei-brandt.de", "kontakt＠tischlerei-brandt.de"),
        ("scrivete a segreteria{at}liceo-galilei.it", "segreteria{at}liceo-galilei.it"),
    ],
)
def test_obfuscated_email(text: str, value: str) -> None:
    assert values(text, "EMAIL") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "We met at noon at the station and walked to the café.",
        "Sale: 3 shirts @ 9.99 each, 2 hats @ 4.50.",
        "Follow us @ the conference, booth 12.",
    ],
)
def test_at_words_in_prose_are_not_emails(text: str) -> None:
    assert values(text, "EMAIL") == []


# --- phones in signatures, forums and contact lines ---------------------------------------------

@pytest.mark.parametrize(
    ("text", "regions", "expected"),
    [
        ("Jana Roth\nT 030 4799 2210\nM 0172 6638104", ("DE",), ["030 4799 2210", "0172 6638104"]),
        ("o: +1 (206) 555-0110 · m: +1 425 555 0199", ("US",), ["+1 (206) 555-0110", "+1 425 555 0199"]),
        ("☎ 04 91 55 21 30", ("FR",), ["04 91 55 21 30"]),
        ("Drop me a text - 07837 201554 is my mobile.", ("GB",), ["07837 201554"]),
        ("Sie erreichen mich unter 0151 22893047.", ("DE",), ["0151 22893047"]),
        ("Zentrale: +49 (0)89 / 21 80 - 66 34", ("DE",), ["+49 (0)89 / 21 80 - 66 34"]),
        ("Tel. 0049 711 / 685 - 6 25 33, Fax -6 25 34", ("DE",), ["0049 711 / 685 - 6 25 33"]),
    ],
)
def test_phone_in_real_layouts(text: str, regions: tuple[str, ...], expected: list[str]) -> None:
    assert values(text, "PHONE", regions) == expected


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Die Saison 2019 - 2022 brachte 12 - 15 neue Mitglieder.", ("DE",)),
        ("Contrat n° 2019-44871 résilié.", ("FR",)),
        ("Netmask 255.255.255.0, gateway on the same segment.", ("US",)),
        ("Final score 3-1; attendance 41,223; ticket 2023-0412.", ("GB",)),
        ("Prijs € 129,00, bezorging 14-03-2023.", ("NL",)),
        ("Stand: 21.06.2022 09:14 Uhr", ("DE",)),
        ("Updated 2023-05-02 10:30 UTC", ("US",)),
        ("Routes: 172.16.0.0/12 and 192.168.0.0/16 stay internal.", ("US",)),
    ],
)
def test_phone_look_alikes(text: str, regions: tuple[str, ...]) -> None:
    assert values(text, None, regions) == []


# --- addresses: blocks, units, named houses -----------------------------------------------------

@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Mrs. Joan Parry\nThe Old Rectory\n4 Church Street\nLong Compton\nShipston-on-Stour CV36 5JS\n\nDear",
         "The Old Rectory\n4 Church Street\nLong Compton\nShipston-on-Stour CV36 5JS"),
        ("Please deliver to Apt 5B, 410 N. Maple Ave, Springfield, IL 62704 after 6pm.",
         "Apt 5B, 410 N. Maple Ave, Springfield, IL 62704"),
        ("Frau Petra Lang\nc/o Hausverwaltung Nord\nBirkenweg 14c\n22041 Hamburg",
         "c/o Hausverwaltung Nord\nBirkenweg 14c\n22041 Hamburg"),
        ("M. Luc Girard\nAppartement 7\n18 rue Sainte-Catherine\n33000 Bordeaux",
         "Appartement 7\n18 rue Sainte-Catherine\n33000 Bordeaux"),
        ("Via Roma 45, int. 3\n10123 Torino (TO)", "Via Roma 45, int. 3\n10123 Torino (TO)"),
        ("Prinsengracht 263-I\n1016 GV Amsterdam", "Prinsengracht 263-I\n1016 GV Amsterdam"),
        ("ul. Długa 12 m. 4\n80-827 Gdańsk", "ul. Długa 12 m. 4\n80-827 Gdańsk"),
        ("Mr. Paul Ruiz\nUnit 2\n140 W 57th St\nNew York, NY 10019", "Unit 2\n140 W 57th St\nNew York, NY 10019"),
    ],
)
def test_address_block(text: str, address: str) -> None:
    assert address in values(text, "ADDRESS")


@pytest.mark.parametrize(
    "text",
    [
        "Im Jahr 2019 kamen 300 Besucher, 2020 Berlin als Ausrichter.",
        "We met on 12 May, 10117 people had signed by then.",
        "The 2022 season ended 4-2, attendance 62,303.",
    ],
)
def test_numbers_in_prose_are_not_addresses(text: str) -> None:
    assert values(text, "ADDRESS") == []


def test_private_address_in_a_log_line_is_an_ip_while_a_version_is_not() -> None:
    log = "sshd[311]: Accepted publickey for deploy from 10.0.4.21 port 40122 ssh2; agent 2.0.0.16 loaded"
    assert values(log, "IP_ADDRESS") == ["10.0.4.21"]
    assert values("Firefox 2.0.0.16 and Stinger 12.2.0.79 released", "IP_ADDRESS") == []


def test_us_ssn_with_spaces_after_cue() -> None:
    assert values("Applicant SSN: 521 44 8730, DOB on file.", "US_SSN") == ["521 44 8730"]


# --- names by layout, per language ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("lang", "text", "names"),
    [
        ("en", "Let me know.\n\nWarm regards,\nEleanor Price\nHead of Finance", ["Eleanor Price"]),
        # the name recurs in the firm's name and goes there too
        ("en", "Fine by me.\n\n--\nGavin Mercer\nGavin's Garage Ltd", ["Gavin Mercer", "Gavin"]),
        ("en", "On Fri, Feb 3, 2023 at 8:05 AM Nadia Khan <nadia.khan@outlook.com> wrote:\n> ok",
         ["Nadia Khan"]),
        ("en", "By Victoria Lam and Ben Osei\nPublished 5 June 2023", ["Victoria Lam", "Ben Osei"]),
        ("en", "Text and pictures: Harriet Doyle; additional reporting by Sam Keller", ["Harriet Doyle", "Sam Keller"]),
        ("de", "Bis bald.\n\nHerzliche Grüße\nMonika Albers", ["Monika Albers"]),
        ("de", "-----Original-----\nVon: Günter Roth <g.roth@t-online.de>\nGesendet: Montag", ["Günter Roth"]),
        ("de", "Geschäftsführer: Ralf Zimmermann, Ute Lorenz\nRegistergericht: Amtsgericht Essen",
         ["Ralf Zimmermann", "Ute Lorenz"]),
        ("de", "Herrn\nKlaus Weber\nBirkenweg 14c\n22041 Hamburg", ["Herrn\nKlaus Weber"]),
        ("fr", "Merci d'avance.\n\nBien à vous,\nAurélie Lambert", ["Aurélie Lambert"]),
        ("fr", "De : Pascal Renaud <pascal.renaud@free.fr>\nEnvoyé : lundi", ["Pascal Renaud"]),
        ("fr", "Par Amandine Roux, envoyée spéciale à Marseille", ["Amandine Roux"]),
        ("es", "Quedo atento.\n\nUn cordial saludo,\nRaúl Domínguez", ["Raúl Domínguez"]),
        ("it", "Grazie mille.\n\nUn caro saluto,\nSilvia Bruno", ["Silvia Bruno"]),
        ("nl", "Tot snel!\n\nHartelijke groet,\nMaarten Kok", ["Maarten Kok"]),
        ("pl", "Dziękuję.\n\nZ wyrazami szacunku\nJoanna Mazur", ["Joanna Mazur"]),
    ],
)
def test_name_in_layout(lang: str, text: str, names: list[str]) -> None:
    assert values(text, "PERSON") == names, lang


def test_name_from_signature_is_removed_where_it_recurs() -> None:
    text = ("Hi Eleanor,\n\nthanks, Eleanor Price will present the budget.\n\nBest regards,\nEleanor Price")
    assert values(text, "PERSON") == ["Eleanor", "Eleanor Price", "Eleanor Price"]


@pytest.mark.parametrize(
    "text",
    [
        # public figures in news prose stay
        "Chancellor Olaf Scholz met Emmanuel Macron in Paris on Tuesday to discuss energy prices.",
        "La présidente de la Commission Ursula von der Leyen a rencontré Giorgia Meloni à Rome.",
        # closings with no name after them, headers with no person in them
        "Kind regards to everyone who came!\nBest of all, tickets were free.",
        "From: the release team\nTo: all users\nFixes: memory leak",
        "Mit freundlichen Grüßen an alle Mitglieder: die Versammlung ist am 12.04.",
    ],
)
def test_no_name_outside_contact_layouts(text: str) -> None:
    assert values(text, "PERSON") == []


def test_scrubbed_letter_keeps_no_value() -> None:
    letter = (
        "Frau\nDr. Ines Baumann\nGoethestraße 21b\n60313 Frankfurt am Main\n\n"
        "Sehr geehrte Frau Dr. Baumann,\n\nanbei die Rechnung über 1.240,00 € vom 03.03.2023.\n\n"
        "Mit freundlichen Grüßen\n\nJörg Schreiber\nTel. 069 9130 4455 · joerg.schreiber(at)kanzlei-main.de"
    )
    record = Record(id="letter", text=letter, metadata={"language": "de"})
    (out,) = list(PiiScrub(mode="replace")([record]))
    for value in ("Ines", "Baumann", "Goethestraße", "60313", "Schreiber", "9130", "kanzlei-main"):
        assert value not in out.text
    assert "1.240,00 €" in out.text and "03.03.2023" in out.text
