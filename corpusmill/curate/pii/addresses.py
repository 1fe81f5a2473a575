"""Street addresses in the formats of several countries.

An address is only taken when its parts are all there in a country's order:
a street (a street-type word such as "rue", "Via", "Calle", "-straße",
"-straat", "ul."; or, in the US and UK, a house number and street words), a
house number where the country writes one, and a postal code and town (or,
for Spain, the town). The postal code is what keeps "3 Euro" or
"Bundesstraße 7" in prose from being called an address; only English
streets with an unmistakable type ("10 Downing Street") stand alone.
"""
from __future__ import annotations

from collections.abc import Iterator

import regex

from corpusmill.curate.pii.span import PiiSpan

# A capitalised word of any Latin script, hyphenated parts and apostrophes included.
_W = r"\p{Lu}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*"
# Any word of a street name: "de", "la", "del", "Dolores", "Le", "d'Italia".
_SW = r"[\p{L}\p{M}'’][\p{L}\p{M}'’.\-]*"
_PARTICLE = r"(?:de|del|de la|di|da|della|dei|du|des|la|le|les|sur|sous|en|van|von|der|den|am|an|im|bei|ob|y|i|e|d'|l')"
# A town: one to four capitalised words, particles between them, an Italian province "(MI)".
_TOWN = (
    rf"(?:'s-|'t )?{_W}(?:(?:[ \-]| ?/ ?)(?:{_W}|{_PARTICLE}(?= \p{{Lu}}))){{0,3}}(?: \(\p{{Lu}}{{2}}\))?"
)
_NUM = r"\d{1,5}(?:\s?[a-zA-Z](?![\p{L}\d]))?(?:\s?[\-/]\s?\d{1,5}[a-zA-Z]?)?"
_SEP = r"\s?,\s?|\s"

_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
    "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AS|GU|MP|PR|VI|FM|MH|PW|AA|AE|AP"
)
_UK_POSTCODE = r"(?:GIR ?0AA|\p{Lu}{1,2}\d[\p{Lu}\d]? ?\d\p{Lu}{2})"

_DE_SUFFIX = (
    r"(?i:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|pfad|steig|stieg|"
    r"graben|markt|wall|zeile|promenade|kai|gässle|gässchen|"
    r"straat|laan|steeg|singel|plein|gracht|kade|kaai|dijk|dreef|hof|pad|wal|markt|baan|park|lei|vest|"
    r"boulevard|plaats|hoek|erf)"
)
# An adjective before a street name: "Frankfurter Straße", "Neustädtische Kirchstraße",
# "Alte Dorfstraße" (not a noun such as "Büro" or "Adresse" that merely precedes it).
_DE_ADJ = r"(?!Adresse |Anschrift |Postanschrift )\p{Lu}\p{L}*(?:er|e|es|en)"
_DE_STREET = (
    rf"(?:(?:{_DE_ADJ} ){{0,2}}\p{{Lu}}[\p{{L}}\-]*?{_DE_SUFFIX}"
    rf"|(?:{_DE_ADJ} ){{1,2}}(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer)"
    rf"|(?:Am|An der|An den|Auf dem|Auf der|Im|In der|In den|Zum|Zur|Unter den|Hinter der) {_W})"
)
# Germany, Austria, Switzerland, Netherlands, Belgium (Flemish): street number, postcode town.
# Capitalised words are everywhere in German, so this pattern is only tried
# near a postal code (see `_ANCHORED`).
_GERMANIC = regex.compile(
    rf"{_DE_STREET} {_NUM}(?:{_SEP})(?:(?:D|A|CH|NL|B)-)?"
    rf"(?:\d{{4}} ?\p{{Lu}}{{2}}(?!\p{{L}})|\d{{4,5}})(?:{_SEP}){_TOWN}"
)
_PATTERNS: list[regex.Pattern[str]] = [
    # France, Belgium, Switzerland (French): number, street type and name, postcode town.
    _FR := regex.compile(
        rf"(?:\d{{1,4}}(?: ?(?:bis|ter|quater|[A-D])\b)?,? )?(?=\p{{L}})"
        rf"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
        rf"impasse|quai|route|cours|square|passage|voie|rond-point|faubourg|sentier|villa|cité|résidence|hameau|"
        rf"esplanade|parvis|montée|ruelle|promenade|traverse|lieu-dit)(?: {_SW}){{1,6}}?"
        rf"\s?,?\s(?:\d{{5}}|\d{{2}} \d{{3}}|\d{{4}}) {_TOWN}(?: Cedex(?: \d{{1,2}})?)?"
    ),
    # Italy: street type and name, number (apartment), postcode, town (province).
    _IT := regex.compile(
        rf"(?:Via|Viale|V\.le|Piazza|P\.za|P\.zza|Piazzale|Corso|C\.so|Vicolo|Strada|Largo|Incrocio|Contrada|"
        rf"C\.da|Borgo|Rotonda|Canale|Stretto|Quartiere|Lungomare|Lungotevere|Vico|Salita|Traversa|Galleria|"
        rf"Località|Loc\.|Frazione|Fraz\.)(?: {_SW}){{1,5}}?,? (?:n\. ?)?{_NUM}"
        rf"(?: (?:Appartamento|Piano|Interno|Int\.|Scala|Sc\.) \w+){{0,2}},? \d{{5}},? {_TOWN}"
    ),
    # Spain, Portugal, Latin America, Catalonia: street type and name, number (flat), town and/or postcode.
    regex.compile(
        rf"(?:C\.|C/|Calle|Avenida|Avda\.|Av\.|Paseo|Pº|Plaza|Pza\.|Pasaje|Vial|Camino|Carrer|Ronda|Travesía|"
        rf"Callejón|Cañada|Glorieta|Rambla|Urbanización|Urb\.|Alameda|Cuesta|Carretera|Ctra\.|Acceso|Partida|"
        rf"Plazuela|Rúa|Praza|Avinguda|Passeig|Carrera|Calzada|Rua|Travessa)(?: {_SW}){{1,6}}?,? (?:n[º°o]\.? ?)?"
        rf"{_NUM}(?: (?:Apt\.|Apto\.|Piso|Puerta|Pta\.|Esc\.|Escalera|Bajo|Planta|Portal|Bloque)(?: \w+)?"
        rf"|,? \d{{1,2}}[º°ª] ?\p{{Lu}}?){{0,3}}\s?,\s?"
        rf"(?:\d{{5}}(?:-\d{{3}})?,? {_TOWN}|{_TOWN}(?:,\s?\d{{5}}(?:-\d{{3}})?)?)"
    ),
    # Poland: ul./al./pl. street number(/flat), postcode (NN-NNN) town.
    _PL := regex.compile(
        rf"(?:ul\.|al\.|pl\.|os\.|ulica|aleja|plac|osiedle) (?:{_W} ){{0,3}}{_W} {_NUM}(?: ?m\. ?\d{{1,4}})?"
        rf",? \d{{2}}-\d{{3}} {_TOWN}"
    ),
    # United States: number street (unit), town, state ZIP.
    _US := regex.compile(
        rf"\d{{1,6}} (?:[NSEW]\.? )?(?:{_W}\.? ){{0,4}}{_W}\.?(?: (?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Fl\.?|Floor|"
        rf"Rm\.?|Room|#) ?#?[\w\-]{{1,6}})?,? (?:{_W} ){{0,3}}{_W},? (?:{_US_STATES}) \d{{5}}(?:-\d{{4}})?(?!\d)"
    ),
    # US military and diplomatic post: ship/unit/PSC, FPO/APO/DPO, region, ZIP.
    _MIL := regex.compile(
        rf"(?:(?:USNS|USNV|USS|USCGC) {_W}|(?:PSC|Unit) \d{{4}},? Box \d{{4}}),? "
        rf"(?:APO|FPO|DPO) (?:AA|AE|AP) \d{{5}}(?!\d)"
    ),
    # United Kingdom: (flat,) number street, (locality,) town, postcode.
    _UK := regex.compile(
        rf"(?:(?:Flat|Studio|Apartment|Unit|Suite|Room) \w{{1,5}},? (?:\d{{1,4}}[A-Za-z]? )?|\d{{1,4}}[A-Za-z]?,? )"
        rf"(?:{_W} ){{0,4}}{_W},? (?:(?:{_W} ){{0,3}}{_W}, ){{0,2}}{_UK_POSTCODE}(?![\p{{L}}\d])"
    ),
    # English street without postcode, with an unmistakable street type: "10 Downing Street".
    regex.compile(
        rf"\b\d{{1,5}} (?:{_W} ){{1,3}}(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Lane|Drive|Court|"
        rf"Terrace|Crescent|Parkway)(?![\p{{L}}])"
    ),
]
# Patterns are slow to try at every word of a long text, and every one of
# them but the Spanish and the bare English street ends in a postal code: those
# are only tried in a window around a postal-code-like anchor.
_STATE_ZIP = regex.compile(r"\b\p{Lu}{2} \d{5}(?!\d)")
_ANCHORED: list[tuple[regex.Pattern[str], regex.Pattern[str]]] = [
    # house number, separator, postcode: "37, 5707 RN", "8, 94180"
    (_GERMANIC, regex.compile(r"\d[\s,]{1,3}(?:(?:D|A|CH|NL|B)-)?(?:\d{4} ?\p{Lu}{2}|\d{4,5})(?!\d)")),
    # postcode and the town's capital: "75008 Paris", "00186 Roma", "20855, Lesmo"
    (_FR, regex.compile(r"(?<!\d)(?:\d{4,5}|\d{2} \d{3}) \p{Lu}")),
    (_IT, regex.compile(r"(?<!\d)\d{5},? \p{Lu}")),
    (_PL, regex.compile(r"(?<!\d)\d{2}-\d{3}(?!\d)")),
    (_US, _STATE_ZIP),
    (_MIL, _STATE_ZIP),
    # the inward half of a UK postcode, "0PT" of "WR5 0PT"
    (_UK, regex.compile(r"\d\p{Lu}{2}(?![\p{L}\d])")),
]
_PLAIN = [p for p in _PATTERNS if all(p is not a for a, _ in _ANCHORED)]
# How far before its postal code an address may start, and after it end.
_BEFORE, _AFTER = 160, 80
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")
_SPACE_BEFORE = regex.compile(r"\s", regex.REVERSE)


# --- Address blocks: lines (or comma-separated parts) above a postcode-and-town line. ---
# Letters and envelopes write an address as a block, one part per line or per
# comma: "Flat 3 / 27B Cranbourne Road / Bristol BS7 8QY", "c/o Praxis am Markt /
# Marktplatz 3 / 97070 Würzburg". The postcode line anchors the block; the parts
# above it are taken while each has the shape of an address part.
_POSTCODE_PART = regex.compile(
    rf"(?:(?:(?:D|A|CH|F|B|NL|L|I|E|P|PL|DE|FR|AT|IT|ES)[\-–] ?)?"
    rf"(?:\d{{5}}|\d{{4}}(?: ?\p{{Lu}}{{2}}(?!\p{{L}}))?|\d{{2}}-\d{{3}}|\d{{2}} \d{{3}}) {_TOWN}"
    rf"(?: Cedex(?: \d{{1,2}})?)?"
    rf"|(?:{_TOWN},? )?(?:{_US_STATES}) \d{{5}}(?:-\d{{4}})?"
    rf"|(?:{_TOWN},? )?{_UK_POSTCODE})"
)
_PART = regex.compile(r"[^,\n]+")
# The digits every postcode form holds: found first, cheaply, before the part around them is read.
_POSTCODE_DIGITS = regex.compile(r"\d{4,5}|\d{2}[- ]\d{3}|\d\p{Lu}{2}(?!\p{L})")
_BLOCK_REACH = 400  # how far above its postcode part a block may start
# Lower-case words an address part may hold besides capitalised words and numbers.
_PART_WORDS = frozenset(
    "rue avenue av. allée chemin impasse quai route place bd boulevard bis ter quater des de du la le les "
    "d' l' sur ul. al. pl. os. lok. m. via viale piazza corso vicolo calle c/ avda. paseo plaza carrer "
    "di del della dei da am an im auf der den dem zum zur van het op straße weg gasse st. rd. ave. "
    "apt. apt no. nº n° n.".split()
)
_UNIT = regex.compile(
    r"^(?:(?i:c/o|c/o\.|Flat|Apartment|Apt\.?|Unit|Suite|Ste\.?|Studio|Appartement|Appart\.|Appartamento|"
    r"Wohnung|Whg\.|Piso|Bâtiment|Bât\.|Résidence|Etage|Stock|Stiege|Top|Postfach|P\.?O\.? Box|BP|Boîte|Casella|"
    r"Interno|Int\.|Scala|Sc\.|Piano|Escalera|Esc\.|Puerta)|lok\.|m\.)(?!\p{L})"  # Polish "m." lower case only
)
_NAMED_HOUSE = regex.compile(
    r"^(?:\p{Lu}\p{L}+ ){1,3}(?:Cottage|House|Farm|Lodge|Manor|Hall|Villa|Barn|Mill|Court|Mansions|Chambers|"
    r"Grange|Rectory|Vicarage)$"
)
_HOUSE_NUMBER = regex.compile(r"(?<![\p{L}\d])\d{1,5}(?:\s?[a-zA-Z](?!\p{L}))?(?:[\-/]\d{1,5}[a-zA-Z]?|-[IVX]+)?(?![\d])")
_FLOOR = regex.compile(r"^\d{1,2}\s?[º°ª](?: ?\d{0,2}\s?[º°ª]?\s?\p{Lu}?)*$")
_PART_START = regex.compile(
    r"(?<![\p{L}\d])(?:\d|(?i:c/o|flat|apartment|apt|unit|suite|appartement|wohnung|piso)\b|(?:rue|avenue|allée|"
    r"chemin|ul\.|via|viale|piazza|corso|calle|c/|avda\.|paseo|plaza)\s)"
)
_PART_END = regex.compile(r"[.;!?)]?(?:\s|$)")
_MAX_PART = 60
# "318 E 82nd St", "12 W 4th Ave": a numbered US street with abbreviated direction and type.
_US_SHORT_STREET = regex.compile(r"^\d{1,6} (?:[NSEW]\.? )?\d{1,3}(?:st|nd|rd|th) (?:St|Ave|Rd|Blvd|Pl|Dr|Ln|Ct|Ter|Pkwy)\.?$")
_BREAK = regex.compile(r"[,\n]")


def _part_kind(part: str) -> str | None:
    """"street", "unit", "place" (words only: a locality or a street name) or None (not an address part)."""
    if len(part) > _MAX_PART or "@" in part or ":" in part or "http" in part:
        return None
    if _UNIT.match(part):
        return "unit"
    if _FLOOR.match(part):
        return "unit"
    if _NAMED_HOUSE.match(part):
        return "street"
    words = part.split()
    if not words or not all(w[0].isupper() or w[0].isdigit() or w.lower() in _PART_WORDS
                            or w.lower().endswith(("straße", "strasse", "str.")) for w in words):
        return None
    digits = sum(ch.isdigit() for ch in part)
    if digits:
        if digits > 9 or not _HOUSE_NUMBER.search(part):
            return None
        if not any(sum(ch.isalpha() for ch in w) >= 3 for w in words) and len(words) > 1 \
                and not _US_SHORT_STREET.match(part):
            return None
        # Number first ("12 Mill Lane", "3 allée des Peupliers") takes a street name of two words
        # at least; "300 Besucher" is a count in prose.
        if part[0].isdigit() and sum(not any(ch.isdigit() for ch in w) for w in words) < 2:
            return None
        return "street"
    return "place" if len(words) <= 4 else None


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    seen = -1
    for digits in _POSTCODE_DIGITS.finditer(text):
        # The part (line or comma-separated piece) holding the digits must start with a postcode form.
        a = max(text.rfind("\n", 0, digits.start()), text.rfind(",", 0, digits.start())) + 1
        if a <= seen:
            continue
        seen = a
        while a < len(text) and text[a] in " \t":
            a += 1
        postcode = _POSTCODE_PART.match(text, a)
        if postcode is None or postcode.end() < digits.end():
            continue
        b = postcode.end()
        part_end = _PART.match(text, a)
        # The postcode part may end the sentence: "..., Bristol BS7 8QY. Call me".
        if part_end is not None and part_end.end() > b and not _PART_END.match(text, b, part_end.end()):
            continue
        lo = max(0, a - _BLOCK_REACH)
        parts = [(m.start() + len(m.group()) - len(m.group().lstrip()), m.start() + len(m.group().rstrip()))
                 for m in _PART.finditer(text, lo, a)]
        parts = [(pa, pb) for pa, pb in parts if pa < pb] + [(a, b)]
        first = _block_start(text, parts)
        if first is not None and (_HOUSE_NUMBER.search(text, first, b) or _UNIT.match(text[first:b])):
            yield first, b


def _block_start(text: str, parts: list[tuple[int, int]]) -> int | None:
    """Where the address parts above the last part (the postcode part) begin, if any."""
    first = None
    j = len(parts) - 2
    while j >= 0:
        pa, pb = parts[j]
        if text.count("\n", pb, parts[j + 1][0]) > 1:
            break  # a blank line ends the block
        part = text[pa:pb]
        kind = _part_kind(part)
        if kind is None:
            # The top part may begin with a label or prose: "Siège : 3 allée des Peupliers",
            # "Collection only from Flat 3": the address starts at its unit word or number.
            for start in _PART_START.finditer(part):
                if _part_kind(part[start.start():]) in ("street", "unit"):
                    return pa + start.start()
            break
        if kind == "place":
            # A words-only part is a locality ("Little Haddon") when an address part
            # stands above it; otherwise it is the addressee's name or a heading.
            above = _part_kind(text[parts[j - 1][0]:parts[j - 1][1]]) if j > 0 else None
            if above not in ("street", "unit") or text.count("\n", parts[j - 1][1], pa) > 1:
                break
        first = pa
        j -= 1
    return first


def find_addresses(text: str) -> Iterator[PiiSpan]:
    found: set[tuple[int, int]] = set()
    for pattern in _PLAIN:
        for m in pattern.finditer(text):
            found.add(m.span())
    for pattern, anchor in _ANCHORED:
        for lo, hi in _windows(text, anchor):
            for m in pattern.finditer(text, lo, hi):
                found.add(m.span())
    for start, end in _blocks(text):
        # A country pattern knows where a street name starts ("Büro Rheinweg 9": at
        # "Rheinweg"); where one ends with the block inside its first part, its start wins.
        later = [s for s, e in found if e == end and start < s and not _BREAK.search(text, start, s)]
        found.add((min(later), end) if later else (start, end))
    for start, end in sorted(found):
        if start > 0 and _LETTER_OR_DIGIT.match(text, start - 1):
            continue  # starts inside a word or number
        yield PiiSpan("ADDRESS", start, end)


def _windows(text: str, anchor: regex.Pattern[str]) -> Iterator[tuple[int, int]]:
    """Merged, non-overlapping windows around the anchors, each starting at a word boundary."""
    lo = hi = -1
    for a in anchor.finditer(text):
        a_lo, a_hi = max(0, a.start() - _BEFORE), min(len(text), a.end() + _AFTER)
        if a_lo <= hi:
            hi = max(hi, a_hi)
            continue
        if hi >= 0:
            yield lo, hi
        lo, hi = a_lo, a_hi
        if lo > 0:  # start at a word boundary, not mid-word
            space = _SPACE_BEFORE.search(text, max(0, lo - 100), lo)
            lo = space.end() if space else lo
    if hi >= 0:
        yield lo, hi
