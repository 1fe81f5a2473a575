"""Names of private persons found by the structure of the text around them.

Where `person_names` reads cue words, this module reads layout: places where
a line or field can only hold a person's name.

- a signature: the line after a letter's closing ("Kind regards,", "Mit
  freundlichen Grüßen", "Bien cordialement", "Un saludo", "Distinti saluti",
  "Met vriendelijke groet", "Z poważaniem", ...) or after a "--" delimiter;
- a reply or forward header: "Name <email>", "Name [mailto:email]" and the
  "From:", "Von:", "De :", "Da:", "Van:", "Od:" (and To/An/À/Para/Aan/Do) fields;
- a byline or credit: "By …", "Par …", "Von …", "Por …", "di …", "Door …" at the
  start of a line, "<words> by …" credits ("Additional reporting by", "Photos
  by") and "Label: Name" fields ("Photography: …", "Geschäftsführer: …");
- a contact or address block: a line holding only a name right above an
  address, an email or a phone number (a role line may stand between), or a
  name followed by a contact detail in the same sentence.

A candidate must look like a name (`NAME`: capitalised words) and, except
where an honorific vouches for it, start with a known given name. Names
found in any of these places are then removed wherever they recur in the same
text (`recurrences`), so a signature's "Megan Aldridge" also goes from "Megan,
thanks". Public figures in news prose stand in none of these places.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import regex

from corpusmill.curate.pii.person_names import HONORIFIC, NAME, honorific_start, is_given_name, with_suffix
from corpusmill.curate.pii.span import PiiSpan

# A letter's closing line, lower case, by language; a few words may follow ("Beste Grüße aus Köln").
_CLOSINGS = (
    "kind regards|best regards|warm regards|warmest regards|regards|best wishes|all the best|best|cheers|thanks|"
    "many thanks|thank you|sincerely|yours sincerely|sincerely yours|yours faithfully|yours truly|respectfully|"
    "take care|love|"
    "mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|freundliche grüsse|viele grüße|"
    "viele grüsse|beste grüße|beste grüsse|liebe grüße|liebe grüsse|herzliche grüße|herzliche grüsse|"
    "schöne grüße|gruß|grüße|mfg|lg|vg|"
    "cordialement|bien cordialement|très cordialement|bien à vous|amicalement|bien amicalement|bises|"
    "salutations|sincères salutations|meilleures salutations|"
    "un saludo|saludos|saludos cordiales|un cordial saludo|atentamente|cordialmente|un abrazo|"
    "cordiali saluti|distinti saluti|saluti|un saluto|un caro saluto|a presto|"
    "met vriendelijke groet|met vriendelijke groeten|vriendelijke groet|hartelijke groet|groeten|groet|mvg|"
    "pozdrawiam|pozdrawiam serdecznie|z poważaniem|z wyrazami szacunku|serdecznie pozdrawiam"
)
_CLOSING_LINE = regex.compile(
    rf"^[ \t]*(?:(?i:{_CLOSINGS})(?:[ \t]+[\p{{L}}\-]+){{0,3}}|.{{0,80}}(?i:salutations(?: distinguées)?|"
    rf"saluti|saludos))[ \t]*[,.!]?[ \t]*$|^[ \t]*--[ \t]*$",
    regex.M,
)
# A line that holds only a name (an honorific may lead, a comma may close it).
_NAME_LINE = regex.compile(rf"[ \t]*((?:{HONORIFIC.pattern})?(?:{NAME.pattern}|\p{{Lu}}\p{{Ll}}+))[ \t]*,?[ \t]*$")
# Header fields of forwarded and replied mails.
_HEADER_FIELD = regex.compile(
    r"[ \t>]*(?:From|To|Cc|Von|An|De|À|A|Para|Da|Van|Aan|Od|Do|Absender|Envoyé par)[ \t]?:[ \t]*"
)
# Bylines at the start of a line, and "<words> by" credits.
_BYLINE = regex.compile(
    r"[ \t]*(?:(?:\p{L}+[ \t]){0,3}(?i:by)|By|Par|Von|Por|Di|di|Door|Od|Da|Texte?|Text und Fotos?)[ \t]+"
)
# "Label: Name" fields at the start of a line; titles may stand before the name ("Direktor: OSR Dipl.-Päd. …").
_LABEL_FIELD = regex.compile(
    r"[ \t]*(?:[\p{L}\-/]+[ \t]){0,4}[\p{L}\-/]+[ \t]?:[ \t]*(?:(?:\p{Lu}{2,4}|[\p{L}\-]+\.(?:[\p{L}\-]+\.)?)[ \t]){0,3}"
)
_SEGMENT = regex.compile(r"[^\n;•|·]+")
_JOIN = regex.compile(r"(?:,| and| und| et| y| e| en| i| &)[ \t]+")
# What may follow a name in a field: its end, a separator, an email bracket.
_FIELD_END = regex.compile(
    r"[ \t]*(?:$|[,;(<\[|•·]|\.(?:\s|$)| - | – | in | im | à | and | und | et | y | e | en | i | & )", regex.M
)
_EMAIL_OPEN = regex.compile(r"[ \t]*(?:<|\(<?|\[mailto:|\")$")
_LETTER_BEFORE = regex.compile(r"\p{L}")
_WORD = regex.compile(r"\S+")
_CAPITALISED_AFTER = regex.compile(r" \p{Lu}\p{Ll}")
_CAPITALISED_BEFORE = regex.compile(r"(\p{Lu}\p{Ll}+) $")
_CONTACT_GAP = 40  # characters between a name and the contact detail that follows it in a sentence
_MAX_RECURRENCES = 6  # occurrences of one name in a text beyond which it is the text's subject


def find_names_in_layout(text: str, contacts: Iterable[PiiSpan]) -> Iterator[PiiSpan]:
    """Names in signature, header, byline, field and contact-block positions of `text`.

    `contacts`: the EMAIL, PHONE and ADDRESS spans already found in `text`.
    """
    contacts = sorted(contacts, key=lambda c: c.start)
    yield from _after_closings(text)
    yield from _in_fields(text)
    yield from _before_contacts(text, contacts)


def recurrences(text: str, names: list[PiiSpan]) -> Iterator[PiiSpan]:
    """Every other occurrence, in `text`, of the names found, whole or in part (given name, surname)."""
    forms: set[str] = set()
    for span in names:
        value = text[span.start:span.end]
        honorific = HONORIFIC.match(value)
        tokens = (value[honorific.end():] if honorific else value).split()
        forms.add(" ".join(tokens))
        if len(tokens) >= 2:
            forms.update(t for t in (tokens[0], tokens[-1]) if len(t) >= 3 and t[0].isupper() and not t.endswith("."))
    for form in forms:
        found = list(_occurrences(text, form))
        # A name that recurs all over a text is what the text is about (a character, a brand, a
        # public figure), not a contact signing it: only the places that named it are kept.
        if len(found) > _MAX_RECURRENCES:
            continue
        for start in found:
            end = start + len(form)
            # A given name or surname alone, not as part of another name ("David" of "David Perdue").
            before = _CAPITALISED_BEFORE.search(text, max(0, start - 40), start)
            if " " not in form and (_CAPITALISED_AFTER.match(text, end)
                                    or (before is not None and is_given_name(before.group(1)))):
                continue
            yield PiiSpan("PERSON", start, end)


def _occurrences(text: str, form: str) -> Iterator[int]:
    """Where `form` stands in `text` as whole words."""
    i = text.find(form)
    while i != -1:
        end = i + len(form)
        if not (i > 0 and text[i - 1].isalnum()) and not (end < len(text) and text[end].isalnum()):
            yield i
        i = text.find(form, end)


def _name_at(text: str, pos: int, end: int | None = None) -> regex.Match[str] | None:
    """A name starting at `pos` (an honorific may lead) that a given name or an honorific vouches for."""
    end = len(text) if end is None else end
    honorific = HONORIFIC.match(text, pos, end)
    start = honorific.end() if honorific else pos
    name = NAME.match(text, start, end)
    if name is None or honorific is not None:
        return name
    # "Rechtsanwalt Dennis Tölle", "Oberkirchenrätin Ingrid Bachler": a title word may lead;
    # the name starts at the first given name that leaves two words.
    for token in _WORD.finditer(text, start, name.end()):
        if is_given_name(token.group()):
            return NAME.match(text, token.start(), end)
    return None


def _span(text: str, start: int, name: regex.Match[str]) -> PiiSpan:
    return PiiSpan("PERSON", start, with_suffix(text, name.end()))


def _after_closings(text: str) -> Iterator[PiiSpan]:
    """The name line right after a closing or a "--" delimiter (one blank line may stand between)."""
    for closing in _CLOSING_LINE.finditer(text):
        pos = closing.end()
        for _ in range(3):  # the newline, maybe a blank line
            if pos < len(text) and text[pos] == "\n":
                pos += 1
            if pos < len(text) and text[pos] in " \t\r":
                while pos < len(text) and text[pos] in " \t\r":
                    pos += 1
            if pos < len(text) and text[pos] != "\n":
                break
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end == -1 else line_end
        line = _NAME_LINE.match(text, pos, line_end)
        if line is None:
            # "Tom Bradley | Head of Data": a name heads the signature line.
            name = _name_at(text, pos, line_end)
            if name is not None and _FIELD_END.match(text, name.end(), line_end):
                yield _span(text, pos, name)
            continue
        value = line.group(1)
        honorific = HONORIFIC.match(value)
        first = value[honorific.end() if honorific else 0:].split(" ", 1)[0]
        if honorific is not None or is_given_name(first):
            yield PiiSpan("PERSON", line.start(1), line.end(1))


def _in_fields(text: str) -> Iterator[PiiSpan]:
    """Names that fill a header field, a byline, a credit or a "Label: Name" field, lists included."""
    # Fields start a line, bylines and credits also follow a separator ("; editing by …").
    for segment in _SEGMENT.finditer(text):
        for cue in (_HEADER_FIELD, _BYLINE, _LABEL_FIELD):
            m = cue.match(text, segment.start(), segment.end())
            if m is None:
                continue
            if cue is _LABEL_FIELD and _label_is_name(m.group()):
                continue  # "Marcel Reich-Ranicki: Günter Kunert, Philip Roth": an author and the titles
            pos = m.end()
            while True:
                name = _name_at(text, pos)
                if name is None or not _FIELD_END.match(text, name.end()):
                    break
                end = with_suffix(text, name.end())
                yield PiiSpan("PERSON", honorific_start(text, name.start()), end)
                join = _JOIN.match(text, end)  # "By Rachel Whitford and Omar Siddiqui"
                if join is None:
                    break
                pos = join.end()


def _label_is_name(field_start: str) -> bool:
    label = field_start.split(":", 1)[0].strip()
    name = NAME.fullmatch(label)
    return name is not None and is_given_name(label.split(" ", 1)[0])


def _before_contacts(text: str, contacts: list[PiiSpan]) -> Iterator[PiiSpan]:
    """A name line above an address, email or phone line; a name right before "<email>" or a contact."""
    for c in contacts:
        # "Daniel Okafor <d.okafor@…>", "Angela Brooks [mailto:…]"
        if c.type == "EMAIL":
            bracket = _EMAIL_OPEN.search(text, max(0, c.start - 12), c.start)
            if bracket is not None:
                name = _name_ending_at(text, bracket.start())
                if name is not None:
                    yield name
        # The lines above: the name line, maybe a role or company line between ("Leiter des …").
        line_start = text.rfind("\n", 0, c.start) + 1
        if text[line_start:c.start].strip(" \t") and c.type == "ADDRESS":
            # "Thomas Stadler, Haydstr. 2, …": a name before the address on its line.
            name = _name_ending_at(text, c.start)
            if name is not None:
                yield name
        prev_end = line_start - 1
        for depth in range(2):
            if prev_end <= 0:
                break
            prev_start = text.rfind("\n", 0, prev_end) + 1
            line = _NAME_LINE.match(text, prev_start, prev_end)
            if line is None:
                # "Tom Bradley | Head of Data", "alla c.a. del Sig. Roberto Galli": a name that
                # heads the line, or ends it after an honorific.
                lead = len(text[prev_start:prev_end]) - len(text[prev_start:prev_end].lstrip())
                name = _name_at(text, prev_start + lead, prev_end)
                if name is not None and _FIELD_END.match(text, name.end(), prev_end):
                    yield PiiSpan("PERSON", honorific_start(text, name.start()), name.end())
                    break
                tail = _name_ending_at(text, prev_end)
                if tail is not None and honorific_start(text, tail.start) < tail.start:
                    yield PiiSpan("PERSON", honorific_start(text, tail.start), tail.end)
                    break
            elif line.end() == prev_end:
                value = line.group(1)
                honorific = HONORIFIC.match(value)
                first = value[honorific.end() if honorific else 0:].split(" ", 1)[0]
                if honorific is not None or is_given_name(first):
                    start = line.start(1)
                    # "Herrn\nWolfgang Meier": an honorific alone on the line above belongs to the name.
                    above = text.rfind("\n", 0, max(0, prev_start - 1)) + 1
                    if prev_start > 0 and HONORIFIC.fullmatch(text[above:prev_start - 1].strip() + " "):
                        start = above + len(text[above:prev_start - 1]) - len(text[above:prev_start - 1].lstrip())
                    if depth == 0 or c.type != "ADDRESS":
                        yield PiiSpan("PERSON", start, line.end(1))
                    break
            if text[prev_start:prev_end].strip() == "":
                break
            prev_end = prev_start - 1
        # "Neem contact op met Bram Visser via 010 …": a name shortly before a contact in the sentence.
        if c.type in ("EMAIL", "PHONE"):
            window = text[max(0, c.start - _CONTACT_GAP - 40):c.start]
            for m in NAME.finditer(window):
                gap = window[m.end():]
                if len(gap) <= _CONTACT_GAP and "\n" not in gap and not regex.search(r"[.!?]\s", gap) \
                        and is_given_name(m.group().split(" ", 1)[0]):
                    start = max(0, c.start - _CONTACT_GAP - 40) + m.start()
                    yield PiiSpan("PERSON", honorific_start(text, start), start + len(m.group()))


def _rstrip(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in ", \t":
        end -= 1
    return end


def _name_ending_at(text: str, end: int) -> PiiSpan | None:
    """The name (two words or more, a given name first) that ends right at `end`."""
    end = _rstrip(text, end)
    window = max(0, end - 80)
    for m in NAME.finditer(text, window, end, overlapped=True):
        if m.end() == end and not _LETTER_BEFORE.match(text, max(0, m.start() - 1)) \
                and is_given_name(m.group().split(" ", 1)[0]):
            return PiiSpan("PERSON", m.start(), end)
    return None
