"""Text the page paints over: drawn, then covered by an opaque box drawn after it.

Forms and exams blank out a field's label with a white box, redactions lay a
black bar over a name, templates cover placeholder text: the words are in the
text layer but nobody sees them, and they must not reach the corpus. MuPDF's
bbox log lists what the page paints in order, so a text run painted before a
filled path that covers it is hidden. Only when the log shows such a pair
(rare) are the paths read to check the fill is opaque (a translucent
highlight leaves the text readable) and the text runs matched to the spans
of the page's text dictionary.
"""
from __future__ import annotations

import weakref
from collections import Counter

import pymupdf

# A text run is covered when this share of its box lies inside the fill.
_COVERED = 0.9
# Fills at least this opaque hide what is under them.
_OPAQUE = 0.99
Box = tuple[float, float, float, float]
# The hidden glyphs found for a text page (a page's text page is read more than once: its blocks, its unmerged lines).
_FOUND: weakref.WeakKeyDictionary[pymupdf.TextPage, Counter[tuple]] = weakref.WeakKeyDictionary()


def hidden_chars(page: pymupdf.Page, textpage: pymupdf.TextPage) -> Counter[tuple]:
    """(character, origin) of the glyphs of `textpage` a later opaque fill covers, counted; empty for
    almost every page (one pass over the bbox log)."""
    if textpage not in _FOUND:
        _FOUND[textpage] = _hidden_chars(page)
    return _FOUND[textpage]


def drop_hidden(raw: dict, hidden: Counter[tuple]) -> int:
    """Leave the `hidden` glyphs out of `raw` (rawdict whose spans carry their "text"), in place: a span
    keeps its other characters, its text and box cut to them; lines and blocks left empty go.
    Returns how many characters were left out."""
    hidden = Counter(hidden)
    dropped = 0
    for block in raw["blocks"]:
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            before = dropped
            kept = []
            for span in line["spans"]:
                chars = []
                for c in span["chars"]:
                    key = _key(c["c"], c["origin"])
                    if hidden[key] > 0:
                        hidden[key] -= 1
                    else:
                        chars.append(c)
                dropped += len(span["chars"]) - len(chars)
                if len(chars) == len(span["chars"]):
                    kept.append(span)
                elif chars and "".join(c["c"] for c in chars).strip():
                    span["chars"] = chars
                    span["text"] = "".join(c["c"] for c in chars)
                    box = pymupdf.Rect(chars[0]["bbox"])
                    for c in chars[1:]:
                        box.include_rect(c["bbox"])
                    span["bbox"] = tuple(box)
                    kept.append(span)
            line["spans"] = kept
            if kept and dropped > before:
                # The line's box shrinks to what is left visible (formulas take their glyphs by it).
                box = pymupdf.Rect(kept[0]["bbox"])
                for span in kept[1:]:
                    box.include_rect(span["bbox"])
                line["bbox"] = tuple(box)
        block["lines"] = [line for line in block["lines"] if line["spans"]]
    raw["blocks"] = [b for b in raw["blocks"] if b.get("type") != 0 or b["lines"]]
    return dropped


def _hidden_chars(page: pymupdf.Page) -> Counter[tuple]:
    """(character, origin) of each glyph a later opaque fill covers, counted (a run drawn twice, once
    covered, stays once)."""
    texts: list[Box] = []
    suspect = False
    for kind, box in page.get_bboxlog():
        if kind.endswith("-text") and not kind.startswith("ignore"):
            texts.append(box)
        elif kind == "fill-path" and texts and any(_inside(t, box) for t in texts):
            suspect = True
            break
    if not suspect:
        return Counter()
    fills = _opaque_fills(page)
    out: Counter[tuple] = Counter()
    for span in page.get_texttrace():
        if span.get("type") == 3 or span.get("opacity", 1) == 0:
            continue  # invisible anyway: the router and OCR deal with those
        later = [box for seqno, box in fills if seqno > span["seqno"]]
        if not later:
            continue
        for unicode, _glyph, origin, bbox in span["chars"]:
            if any(_inside(bbox, box) for box in later):
                out[_key(chr(unicode), origin)] += 1
    return out


def _opaque_fills(page: pymupdf.Page) -> list[tuple[int, Box]]:
    """(paint order, box) of each opaque fill, its box cut to the clip it is painted under (a figure's
    white background reaches past its clip over the text around it, and covers none of it)."""
    out: list[tuple[int, Box]] = []
    clips: list[tuple[int, Box]] = []  # (nesting level, clip box) of the clips in force
    for d in page.get_drawings(extended=True):
        level = d.get("level", 0)
        while clips and clips[-1][0] >= level:
            clips.pop()
        if d.get("type") == "clip":
            box = tuple(d["scissor"])
            clips.append((level, _cut(box, clips[-1][1]) if clips else box))
        elif d.get("fill") is not None and (d.get("fill_opacity") or 1.0) >= _OPAQUE and "seqno" in d:
            box = tuple(d["rect"])
            out.append((d["seqno"], _cut(box, clips[-1][1]) if clips else box))
    return out


def _key(char: str, origin) -> tuple:
    """A glyph's identity in both of MuPDF's views: its character and where it starts."""
    return char, round(origin[0], 1), round(origin[1], 1)


def _cut(a: Box, b: Box) -> Box:
    """The part of box `a` inside box `b` (empty: x0 >= x1 or y0 >= y1)."""
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _inside(inner: Box, outer: Box) -> bool:
    """At least _COVERED of `inner`'s area lies inside `outer` (plain tuples: called per glyph and fill)."""
    w, h = inner[2] - inner[0], inner[3] - inner[1]
    if w <= 0 or h <= 0:
        return False
    ow = min(inner[2], outer[2]) - max(inner[0], outer[0])
    oh = min(inner[3], outer[3]) - max(inner[1], outer[1])
    return ow > 0 and oh > 0 and ow * oh >= _COVERED * w * h
