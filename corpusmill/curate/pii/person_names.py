"""Names of private persons, found by the words around them (rule-based, no NER model).

A corpus keeps the names of public figures in news and history; what it should
not keep is the name of a person given as a contact or named as the author of
a text. So a name is taken only where the words around it say so:

- a contact or byline cue stands right before it ("Contact person:",
  "Reported by", "Ansprechpartnerin:", "Interlocuteur :", "Persona de
  contacto:", "Referente:", "Osoba kontaktowa:", "Dear", ...), or
- a cue follows it ("... contributed to this report", "..., Tel."),

and its first word is a known given name (`first_names`), or an honorific
("Mr", "Dr", "Frau", "Mme", "Dott.ssa", "pani") stands before it; the honorific
is part of the span. "Prof. Christian Drosten said" alone is not taken.

Why no NER model: see bench/results/pii.md (no multilingual spaCy pipeline is
published on PyPI, and an NER model also tags every public figure in the text).
"""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.first_names import fold, is_first_name
from corpusmill.curate.pii.span import PiiSpan

# A name word; double names may join a particle: "Hoogers-de Werd", "Dokkum-van den Assem".
_TOKEN = (
    r"(?!Ph\.D)\p{Lu}[\p{L}\p{M}'’]*\p{Ll}"
    r"(?:-(?:(?:van|von|de|der|den|di|da|du|del|le|la)[ \-])*\p{Lu}[\p{L}\p{M}'’]*\p{Ll})*"
)
_PARTICLE = (
    r"(?:van der|van den|van de|van|von der|von|de la|de los|de las|de|del|della|degli|di|da|dos|das|do|"
    r"du|des|le|la|ter|ten|zu|y|i|bin|al|el)"
)
_SUFFIX = (
    r"(?:,? (?:Jr\.|Sr\.|II|III|IV|PhD|Ph\.D\.|MD|M\.D\.|B\.A\.|B\.Sc\.|M\.A\.|M\.Sc\.|MBA|LL\.M\.|"
    r"MdB|MdL|MEP|Esq\.))"
)
# Two to four name words, lower-case particles between the last two allowed.
NAME = regex.compile(rf"{_TOKEN}(?: \p{{Lu}}\.)?(?: {_TOKEN}){{0,2}}(?: {_PARTICLE})* {_TOKEN}{_SUFFIX}?")
_NAME_TOKEN = regex.compile(_TOKEN)

# Honorifics and academic titles, which stand in the same place before a name.
_HONORIFICS = (
    r"Mr\.?|Mrs\.?|Ms\.?|Mx\.?|Dr\.?|Prof\.?|Herrn|Herr|Frau|dott\.(?:ssa)?|sig\.(?:ra)?|heer|mevrouw|Panie|Pani|Hr\.|Fr\.|Mme\.?|Mlle\.?|M\.|Me\.|Sra\.|Srta\.|Sr\.|"
    r"Dña\.|Dott\.(?:ssa)?|Dr\.ssa|Sig\.(?:ra|na)?|Ing\.|Avv\.|dhr\.|mevr\.|mw\.|Dipl\.-Ing\.|Mag\.|"
    r"Miss|Sir|Dame|Don|Doña|pan|pani|Pan|Pani|Señor|Señora|Signor|Signora|Madame|Monsieur|Professor"
)
HONORIFIC = regex.compile(rf"(?:(?:{_HONORIFICS}) )+")
_HONORIFIC_BEFORE = regex.compile(rf"(?<![\p{{L}}\p{{N}}.])(?:(?:{_HONORIFICS}) )+$")
_SUFFIX_AFTER = regex.compile(_SUFFIX)

# Contact and byline cues, lower case. Found with str.find on the lower-cased
# text (a big alternation regex costs ~1 s/MB; this is ~50x faster).
_CUES_BEFORE: tuple[str, ...] = (
    # English
    "contact person", "contact", "contacts", "press contact", "media contact", "reported by", "written by",
    "posted by", "edited by", "photo by", "photos by", "story by", "text by", "interview by", "compiled by",
    "author", "authors", "dear", "signed", "regards", "sincerely", "attn", "attention", "full name", "name",
    "spokesperson", "spokesman", "spokeswoman",
    # German
    "ansprechpartner", "ansprechpartnerin", "kontaktperson", "kontakt", "pressekontakt", "autor", "autorin",
    "verfasser", "verfasserin", "geschrieben von", "verfasst von", "sehr geehrte", "sehr geehrter",
    "liebe", "lieber", "gez.", "i. a.", "i.a.", "sachbearbeiter", "sachbearbeiterin",
    "mit freundlichen grüßen", "viele grüße",
    # French
    "interlocuteur", "interlocutrice", "auteur", "autrice", "rédigé par", "écrit par", "signé", "cher",
    "chère", "nom", "correspondant", "correspondante", "cordialement",
    # Spanish, Portuguese
    "persona de contacto", "contacto", "autora", "escrito por", "redactado por", "estimado", "estimada",
    "nombre", "atentamente", "firmado", "contato",
    # Italian
    "contatto", "referente", "autore", "scritto da", "a cura di", "gentile", "caro", "cara", "cordiali saluti",
    "firmato",
    # Dutch
    "contactpersoon", "geschreven door", "beste", "geachte", "naam", "met vriendelijke groet",
    "met vriendelijke groeten",
    # Polish
    "osoba kontaktowa", "autorka", "napisał", "napisała", "szanowny", "szanowna", "imię i nazwisko",
    "z poważaniem",
)
# What may stand between a cue and the name: a colon, comma or dash, spaces.
_AFTER_CUE = regex.compile(r"(?:\s?[:,\-–—]\s?|\s)\s*(?=\p{Lu}|(?:pan|pani|dhr\.|mevr\.|mw\.|heer|mevrouw|sig\.|sig\.ra|dott\.|dott\.ssa) )")
_LETTER = regex.compile(r"\p{L}")
# Cues after a name: a phrase ("Heather Willis contributed to this report"), or
# contact details ("Anna Weber, Tel. ...", "Anna Weber (E-Mail: ...").
_CUES_AFTER = (
    regex.compile(
        r"(?<=\s)(?:contributed (?:to this report|reporting)|(?:is|was) (?:a|the) (?:reporter|correspondent|writer)|"
        r"hat (?:zu diesem Bericht|mitgearbeitet)|a contribué|ha contribuido|ha contribuito)"
    ),
    regex.compile(r"[,(]\s?(?i:tel|phone|e-?mail|fax|mobil|handy|tél)\b"),
)
# Function words that are listed as given names somewhere but begin no name here.
_NOT_GIVEN = frozenset(
    fold(w)
    for w in (
        "The", "And", "For", "This", "That", "Our", "Your", "Das", "Der", "Die", "Des", "Den", "Dem", "Ein",
        "Eine", "Le", "La", "Les", "Un", "Une", "El", "Los", "Las", "Il", "Lo", "Gli", "Van", "Von", "De",
        "Del", "Di", "Da", "Du", "Sankt", "Saint", "San", "Santa", "St", "Alle", "All", "Mit", "Fine",
        # Words that open a reply header ("On Tue, …", "Am 12.01.", "Op wo 8 mrt"): weekdays, prepositions.
        "On", "Am", "Op", "Dnia", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
        # Greetings and thanks that open a line before a name ("Hi Eleanor,").
        "Hi", "Hey", "Hello", "Hallo", "Dear", "Liebe", "Lieber", "Ciao", "Hola", "Bonjour", "Salut", "Hoi",
        "Cześć", "Thanks", "Danke", "Merci", "Grazie", "Gracias", "Dank",
    )
)


def find_person_names(text: str) -> Iterator[PiiSpan]:
    for cue_end in _cue_ends(text):
        honorific = HONORIFIC.match(text, cue_end)
        if honorific is not None:
            # "Dear Mr Smith", "Sehr geehrte Frau Dr. Weber": the honorific vouches for a surname alone.
            name = NAME.match(text, honorific.end()) or _NAME_TOKEN.match(text, honorific.end())
            if name is not None:
                yield PiiSpan("PERSON", cue_end, with_suffix(text, name.end()))
            continue
        name = NAME.match(text, cue_end)
        if name is not None and is_given_name(name.group().split(" ", 1)[0]):
            yield PiiSpan("PERSON", name.start(), name.end())
    for cue in _CUES_AFTER:
        for m in cue.finditer(text):
            end = m.start()
            while end > 0 and text[end - 1] == " ":  # the name ends before the spaces
                end -= 1
            span = _name_ending_at(text, end)
            if span is not None:
                yield span


def _cue_ends(text: str) -> Iterator[int]:
    """Positions right after a whole-word cue and its separator, where a name may start."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters change length when lower-cased
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    for cue in _CUES_BEFORE:
        i = lower.find(cue)
        while i != -1:
            j = i + len(cue)
            if (i == 0 or not _LETTER.match(text, i - 1)) and (j == len(text) or not _LETTER.match(text, j)):
                sep = _AFTER_CUE.match(text, j)
                if sep is not None:
                    yield sep.end()
            i = lower.find(cue, j)


def with_suffix(text: str, end: int) -> int:
    m = _SUFFIX_AFTER.match(text, end)
    return m.end() if m else end


def is_given_name(token: str) -> bool:
    return fold(token) not in _NOT_GIVEN and is_first_name(token)


def _name_ending_at(text: str, end: int) -> PiiSpan | None:
    """The name right before `end` whose first word is a given name ("... and Heather Willis")."""
    window_start = max(0, end - 80)
    for m in NAME.finditer(text, window_start, end):
        if m.end() != end:
            continue
        # The capitalised run may start earlier than the name ("Kollegin Heather Willis"):
        # the name starts at the first given name that leaves two words.
        tokens = list(_NAME_TOKEN.finditer(text, m.start(), end))
        for tok in tokens[:-1]:
            if is_given_name(tok.group()):
                return PiiSpan("PERSON", honorific_start(text, tok.start()), end)
        # An unknown given name still counts when an honorific says it is one ("pani Tola ...").
        start = honorific_start(text, m.start())
        if start != m.start():
            return PiiSpan("PERSON", start, end)
    return None


def honorific_start(text: str, start: int) -> int:
    """Where the honorifics right before `start` begin (`start` itself if there are none)."""
    m = _HONORIFIC_BEFORE.search(text, max(0, start - 30), start)
    return m.start() if m else start
