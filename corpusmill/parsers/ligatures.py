"""Ligatures the text layer gets wrong: Latin ones whose map gives only their last letter, and
right-to-left ones whose expanded letters come out of order.

Latin ligature glyphs whose Unicode map gives only their last letter ("Oice" for "Office"):

Some producers (InDesign's CID fonts among them) map a ligature glyph in the
ToUnicode CMap to its last letter alone: "ffi" -> "i", "fi" -> "i",
"ff" -> "f", "Th" -> "h". The text layer then loses letters ("ive objectives",
"he primary") although the glyph is drawn right. The glyph's advance still
tells: it is as wide as its letters together, far wider than the letter it
claims. A character whose advance is well over the usual advance of its letter
in the same font and size is read as the ligature ending in that letter whose
letters' usual advances add up to it (ligatures are drawn a little tighter
than their letters), when exactly one such ligature fits.

Only Type0 (CID) fonts are looked at: their ToUnicode map is the only source
of Unicode (no glyph names), and a page without one pays nothing.

Right-to-left: a lam-alef ligature glyph maps to two characters; MuPDF gives
the first the glyph's width and the second none, placed at the glyph's far
edge, which in right-to-left order reads before the first: the alef comes out
ahead of its lam ("اإل" for "لإ"). The zero-width tail is put back after its head.
"""
from __future__ import annotations

import re
from collections import Counter

# Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, and their presentation forms).
RTL = re.compile("[\u0590-\u07ff\ufb1d-\ufdff\ufe70-\ufeff]+")

# Latin typographic ligatures, by the letter a lying map keeps (the last one).
_ENDING_IN: dict[str, tuple[str, ...]] = {"f": ("ff",), "i": ("fi", "ffi"), "l": ("fl", "ffl"), "h": ("Th",)}
# A claimed letter at least this much wider than its usual advance is a ligature candidate ...
_WIDER = 1.5
# ... and a ligature fits when its letters' usual advances add up to within this share of it.
_FIT = 0.15
# Usual advances are taken only from letters seen this often in the font at that size.
_MIN_SEEN = 2
# A span whose letters are not at their usual advances (letter-spaced, scaled, or a font with
# broken metrics giving every glyph one width) says nothing about ligatures: its median letter
# must be within this share of its usual advance.
_SPAN_SCALE = 0.1
# Advance (points) below which a character was drawn with no width of its own: MuPDF's expansion
# of a ligature whose map is right ("fi" -> "f" with the width, "i" with none).
ZERO_WIDTH = 0.05
# A zero-width tail this close to its head's far edge belongs to it (points).
_SAME_EDGE = 0.5


def has_cid_fonts(fonts: list[tuple]) -> bool:
    """Whether `page.get_fonts()` lists a Type0 font (the only kind looked at)."""
    return any(f[2] == "Type0" for f in fonts)


def split_ligatures(raw: dict) -> None:
    """Give lying ligature characters of `raw` (rawdict whose spans carry their "text") their letters,
    in the span texts; spans whose text no longer matches their characters are left alone."""
    raw_blocks = [b for b in raw["blocks"] if b.get("type") == 0]
    usual = _usual_advances(raw_blocks)
    for rb in raw_blocks:
        for raw_line in rb["lines"]:
            for span in raw_line["spans"]:
                chars = span["chars"]
                if "".join(c["c"] for c in chars) != span["text"]:
                    continue
                letters = usual.get((span["font"], round(span["size"], 1)))
                if not letters or not _usual_span(chars, letters):
                    continue
                parts = []
                for i, c in enumerate(chars):
                    expanded = any(0 <= j < len(chars) and _advance(chars[j]) < ZERO_WIDTH for j in (i - 1, i + 1))
                    parts.append(None if expanded else _ligature(c, letters))
                span["text"] = "".join(part or c["c"] for part, c in zip(parts, chars))


def order_rtl(raw: dict) -> None:
    """Put each expanded right-to-left ligature's tail back after its head in `raw` (rawdict whose
    spans carry their "text"), in place; spans without Arabic or Hebrew letters are left as they are."""
    for block in raw["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                if RTL.search(span["text"]):
                    span["chars"] = rtl_ordered(span["chars"])
                    span["text"] = "".join(c["c"] for c in span["chars"])


def rtl_ordered(chars: list[dict]) -> list[dict]:
    """rawdict characters with each expanded ligature's zero-width tail put after its head."""
    chars = list(chars)
    for i in range(len(chars) - 1):
        c, n = chars[i], chars[i + 1]
        if (_advance(c) < ZERO_WIDTH and _advance(n) >= ZERO_WIDTH
                and abs(c["origin"][0] - n["bbox"][2]) < _SAME_EDGE and RTL.fullmatch(c["c"] + n["c"])):
            chars[i], chars[i + 1] = n, c
    return chars


def _advance(c: dict) -> float:
    return c["bbox"][2] - c["bbox"][0]


def _usual_advances(raw_blocks: list[dict]) -> dict[tuple[str, float], dict[str, float]]:
    """(font, size) -> letter -> its most common advance (rounded to 0.1 pt)."""
    seen: dict[tuple[str, float], dict[str, Counter]] = {}
    for b in raw_blocks:
        for line in b["lines"]:
            for span in line["spans"]:
                by_letter = seen.setdefault((span["font"], round(span["size"], 1)), {})
                for c in span["chars"]:
                    if c["c"].isalpha():
                        by_letter.setdefault(c["c"], Counter())[round(_advance(c), 1)] += 1
    out: dict[tuple[str, float], dict[str, float]] = {}
    for key, by_letter in seen.items():
        # Most common advance; ties to the smaller, whatever the order of the page.
        out[key] = {letter: max(sorted(counts), key=counts.__getitem__) for letter, counts in by_letter.items()
                    if counts.most_common(1)[0][1] >= _MIN_SEEN}
    return out


def _usual_span(chars: list[dict], letters: dict[str, float]) -> bool:
    ratios = sorted(_advance(c) / letters[c["c"]] for c in chars if letters.get(c["c"]))
    return bool(ratios) and abs(ratios[len(ratios) // 2] - 1.0) <= _SPAN_SCALE


def _ligature(c: dict, letters: dict[str, float]) -> str | None:
    claim, width = c["c"], _advance(c)
    own = letters.get(claim)
    if claim not in _ENDING_IN or not own or width < _WIDER * own:
        return None
    fits = [lig for lig in _ENDING_IN[claim]
            if all(ch in letters for ch in lig)
            and abs(sum(letters[ch] for ch in lig) - width) <= _FIT * width]
    return fits[0] if len(fits) == 1 else None
