"""Read glyphs whose font gives no usable Unicode by their shapes.

Publishers' math fonts often carry Unicode maps that lie, or none, with glyph
names that say nothing ("C12") or lie too ("z" for a plus sign, "eth" for a
parenthesis): MuPDF then reports "W x,y,z ð Þ~ U0" for "Φ(x,y,z) = U0". The
shapes are still right. Each glyph an embedded font draws (by glyph id, from
the font program) is rendered once per document and compared with an atlas of
candidate characters rendered from the fonts inside the PyMuPDF wheel (Nimbus
Roman upright and italic, Nimbus Sans, Standard Symbols): blurred ink fitted
into a small square (cosine distance) plus its box in em. A glyph fits its
claim unless another character fits clearly better and well in itself.

A font is miscoded when some claim is far off its glyph's shape and misfits
are at least as many as fits; only then are its glyphs read as their shapes
show (a lone near misfit in a sound font, italic a for alpha, is the
matcher's). A font whose first glyphs show nothing far off is trusted and not
looked at again, so a TeX document pays a few renders per font; a page pays a
glyph trace only while a font on it is still being judged or was miscoded.
Type3 fonts and the standard fonts MuPDF draws itself are not judged.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pymupdf

_M = pymupdf.mupdf
# Side of the square a glyph's ink is drawn into for comparison (pixels).
_CELL = 24
_FIT = 20
# Side of the coarse render that finds a glyph's ink inside its font's box.
_PROBE = 96
# A claim is replaced only by a character that fits this much better ...
_MARGIN = 0.08
# ... and fits well in itself (1 - cosine similarity of blurred ink, plus box term).
_GOOD_FIT = 0.30
# A claim this far from the glyph's shape is wrong beyond doubt ("z" on a plus sign); nearer
# misfits may be the matcher's (italic a and alpha).
_BAD_FIT = 0.50
# The same for a piece of a big delimiter (compared with whole stand-ins, so less alike).
_GOOD_TALL_FIT = 0.50
# Weight of the glyph's box (top, bottom, width in em) against its shape.
_BOX_WEIGHT = 0.25
# A font with this many glyphs compared with their claims and none far off is trusted (nearer
# misfits are the matcher's: the reference fonts' shapes differ from a font's own).
_TRUST_AFTER = 4
# A font program with more glyphs than this is a text font, not judged: the symbol fonts whose maps
# lie are small subsets, and a text font whose map lies (a shifted cipher) is the OCR route's.
_MAX_GLYPHS = 32
# Reference fonts shipped in the PyMuPDF wheel; Symbol only for non-ASCII
# characters (its ASCII codes hold Greek letters).
_REFERENCE_FONTS = ("tiro", "tiit", "helv", "symb")
_CANDIDATES = (
    "".join(chr(c) for c in range(0x21, 0x7F))
    + "αβγδεζηθικλμνξπρστυφχψωϕϑϵϖςΓΔΘΛΞΠΣΥΦΨΩ"
    + "±×÷·−≤≥≠≈≡∼≃≅∝→←↔⇒⇐⇔↑↓∈∉∋⊂⊃⊆⊇∪∩∧∨¬∀∃∅∞∂∇′″∑∏∫√⟨⟩〈〉†‡∗∘•⊗⊕…°§¶‖⊥∠ℵ℘ℑℜ"
    + "–—‘’“”«»¡¿¢£¥©®™ﬁﬂßæœÆŒØø"
)
# Claims that are checked but never given: the Latin-1 letters and signs a wrong map favours.
_CLAIMS_ONLY = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿðþÐÞ½¼¾¹²³ªº¬¦¨¯´¸"
# Delimiters and operators TeX and office suites also set big: stand-ins drawn taller.
_STRETCH = {**{c: (1.0, 2.0, 3.0) for c in "()[]{}|‖⟨⟩〈〉"}, **{c: (1.0, 1.5) for c in "∑∏∫√"}}
_UNMAPPED = "\ufffd"
# Spellings of one sign that fonts draw alike (a claim of one is no misfit for a glyph of another).
_VARIANT = {c: group[0] for group in ("~∼˜", "-−–‐", "*∗", "'’′", "\"”″", "·•∙⋅", "|∣", "^ˆ", "°∘")
            for c in group}
# Span key marking text in a font whose map had to be read by shape: a symbol font.
SYMBOLIC = "symbolic"
# Font programs MuPDF can draw a glyph of by its id (not Type3, not the standard fonts it substitutes).
_EMBEDDED = frozenset(("cff", "pfa", "pfb", "ttf", "otf", "cid", "t1"))
_COUNTED = frozenset(("cff", "pfa", "pfb", "t1"))


@dataclass(slots=True)
class _Font:
    handle: object | None  # MuPDF font from the embedded program; None when it cannot be loaded
    glyphs: int = 0  # glyphs in the font program (0: not known, a TrueType subset keeps empty slots)
    verdicts: dict[int, str | None] = field(default_factory=dict)  # glyph id -> the character it shows
    far: int = 0  # misfits beyond doubt
    claims: int = 0  # glyphs with a character claimed (not U+FFFD or private use)
    fits: int = 0
    misfits: int = 0
    seen: set[str] = field(default_factory=lambda: {" "})  # characters whose glyphs have a verdict

    @property
    def trusted(self) -> bool:
        if self.glyphs > _MAX_GLYPHS:
            return True  # a text font's many glyphs: not judged (symbol fonts in disguise are small)
        if self.glyphs and not self.miscoded and len(self.verdicts) >= self.glyphs - 1:
            return True  # every glyph judged (.notdef aside)
        return self.far == 0 and self.claims >= _TRUST_AFTER

    @property
    def miscoded(self) -> bool:
        """Some glyph is far off its claim and misfits are at least as many as fits: the map is wrong.
        (Near misfits in a font whose other glyphs fit are the matcher's, not the font's.)"""
        return self.far > 0 and self.misfits >= self.fits

    @property
    def applies(self) -> bool:
        """Some glyph of the font reads as another character than MuPDF's."""
        return self.miscoded and any(new is not None for new in self.verdicts.values())


@dataclass(slots=True)
class _DocState:
    doc: pymupdf.Document
    fonts: dict[int, _Font] = field(default_factory=dict)  # font xref -> its verdicts
    cleared: set[str] = field(default_factory=set)  # font names with nothing (left) to check
    kinds: dict[int, str] = field(default_factory=dict)  # font xref -> its program's kind (cff, ttf, ...)


# The documents being read (one, or two while a turned page's scratch copy is read).
_STATES: list[_DocState] = []


@dataclass(slots=True)
class Fixes:
    """Characters the shapes show where MuPDF's differ, by (font name, origin x, origin y), and the
    names of the miscoded fonts (symbol fonts in disguise)."""

    chars: dict[tuple, str]
    symbolic: set[str]

    def apply(self, raw: dict) -> None:
        """Give `raw` (rawdict of the page, its spans carrying their "text") the characters the shapes
        show, in place; spans set in a miscoded font are marked `SYMBOLIC`."""
        for block in raw["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    for c in span["chars"]:
                        new = self.chars.get((span["font"], round(c["origin"][0], 1), round(c["origin"][1], 1)))
                        if new is not None:
                            c["c"] = new
                    span["text"] = "".join(c["c"] for c in span["chars"])
                    span[SYMBOLIC] = span["font"] in self.symbolic


def find_fixes(page: pymupdf.Page, data: dict) -> Fixes | None:
    """The glyphs of `page` to read by their shapes, judged on `data` (its `dict` text); None when
    nothing changes (almost always: a font once trusted is not looked at again)."""
    state = _state(page.parent)
    names = {s["font"] for b in data["blocks"] for ln in b.get("lines", ()) for s in ln["spans"]}
    if names <= state.cleared:
        return None
    suspects = _suspect_fonts(state, page, names)
    if not suspects or not _needs_trace(state, suspects, data):
        return None
    symbolic: set[str] = set()
    try:
        fixes = _page_fixes(state, page, suspects, symbolic)
    except Exception:  # a font program MuPDF cannot draw from: the text stands as MuPDF read it
        return None
    state.cleared.update(n for n, x in suspects.items() if x in state.fonts and state.fonts[x].trusted)
    return Fixes(fixes, symbolic) if fixes else None


def _state(doc: pymupdf.Document) -> _DocState:
    for s in _STATES:
        if s.doc is doc:
            # Most recently used first: a page turned upright is a scratch document, and must
            # not push out the document whose fonts were judged already.
            _STATES.remove(s)
            _STATES.insert(0, s)
            return s
    s = _DocState(doc)
    _STATES.insert(0, s)
    del _STATES[2:]
    return s


def _suspect_fonts(state: _DocState, page: pymupdf.Page, names: set[str]) -> dict[str, int]:
    """{font name as spans carry it: xref} for the page's embedded fonts not yet trusted.

    Spans carry the font program's own name ("DejaVuSerif"), the page its BaseFont
    ("ABCDEF+DejaVu Serif Book"): they are matched with case, spacing and subset tag
    dropped, one a prefix of the other, where that picks one font.
    """
    embedded = []
    for xref, ext, _t, basefont, *_ in page.get_fonts():
        if ext in _EMBEDDED:
            embedded.append((_key(basefont.split("+", 1)[-1]), xref))
            state.kinds[xref] = ext
    out: dict[str, int] = {}
    for name in names - state.cleared:
        key = _key(name)
        exact = {x for k, x in embedded if k == key}
        near = exact or {x for k, x in embedded if k and key and (k.startswith(key) or key.startswith(k))}
        if len(near) != 1:
            state.cleared.add(name)  # a standard font drawn by MuPDF, or no telling which program it is
            continue
        xref = near.pop()
        if not (xref in state.fonts and state.fonts[xref].trusted):
            out[name] = xref
    return out


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _needs_trace(state: _DocState, suspects: dict[str, int], data: dict) -> bool:
    """Whether the page shows glyphs of a suspect font not yet checked, or ones read differently."""
    for b in data["blocks"]:
        for ln in b.get("lines", ()):
            for s in ln["spans"]:
                if s["font"] not in suspects:
                    continue
                font = state.fonts.get(suspects[s["font"]])
                if font is None or font.applies or not font.seen.issuperset(s["text"]):
                    return True
    return False


def _page_fixes(state: _DocState, page: pymupdf.Page, suspects: dict[str, int],
                symbolic: set[str]) -> dict[tuple, str]:
    """{(font name, origin x, origin y): character} for the page's glyphs read differently by shape;
    the names of miscoded fonts go into `symbolic`. All the page's glyphs are judged before any
    is changed, so a font's first glyphs follow the verdict its others give."""
    placed: list[tuple[str, _Font, int, tuple]] = []
    for span in page.get_texttrace():
        xref = suspects.get(span["font"])
        if xref is None:
            continue
        font = state.fonts.get(xref)
        if font is None:
            handle = _load(state.doc, xref)
            # Type 1 and CFF subsets hold only the glyphs used; TrueType subsets keep every glyph slot.
            counted = handle is not None and state.kinds.get(xref) in _COUNTED
            font = state.fonts[xref] = _Font(handle, handle.m_internal.glyph_count if counted else 0)
        if font.handle is None:
            continue
        for ucs, gid, origin, _bbox in span["chars"]:
            if gid < 0 or ucs == 32:
                continue
            if gid not in font.verdicts:
                if font.trusted:
                    continue
                claim = chr(ucs) if 32 < ucs < 0x110000 else _UNMAPPED
                verdict, fit = _read(font.handle, gid, claim)
                font.verdicts[gid] = verdict
                font.claims += claim != _UNMAPPED and not "\ue000" <= claim <= "\uf8ff"
                font.fits += fit > 0
                font.misfits += fit < 0
                font.far += fit < -1
                font.seen.update(claim + unicodedata.normalize("NFKC", claim))
            placed.append((span["font"], font, gid, origin))
    fixes: dict[tuple, str] = {}
    for name, font, gid, origin in placed:
        if not font.miscoded:
            continue
        symbolic.add(name)
        new = font.verdicts[gid]
        if new is not None:
            fixes[(name, round(origin[0], 1), round(origin[1], 1))] = new
    return fixes


def _load(doc: pymupdf.Document, xref: int):
    try:
        _name, _ext, _type, buf = doc.extract_font(xref)
        if not buf:
            return None
        return _M.fz_new_font_from_buffer(None, _M.fz_new_buffer_from_copied_data(buf), 0, 0)
    except Exception:  # a damaged font program: its glyphs stay as MuPDF reads them
        return None


def _read(handle, gid: int, claim: str) -> tuple[str | None, int]:
    """(the character the glyph's shape shows best, if well enough; whether the claim fits:
    1 it does, -1 it does not, -2 it is far off, 0 nothing to compare it with)."""
    shape = _shape(handle, gid)
    if shape is None:  # no ink: a space, whatever a wrong map says
        return (" " if claim == _UNMAPPED else None), 0
    vec, box = shape
    atlas = _atlas()
    # einsum, not BLAS: a product this small is slower through a thread pool on a busy machine.
    sim = np.einsum("ij,j->i", atlas.vectors, vec)
    if box[0] > -0.2 and box[1] > 0.8:
        # Hanging from its origin: a big delimiter or operator of an extension font, compared by shape
        # with the tall stand-ins only (its box says nothing about which).
        dist = np.where(atlas.tall, 1.0 - sim - (_GOOD_TALL_FIT - _GOOD_FIT), np.inf)
    else:
        dist = 1.0 - sim + _BOX_WEIGHT * np.minimum(np.abs(atlas.boxes - box), 1.0).sum(axis=1)
    best = int(np.argmin(np.where(atlas.given, dist, np.inf)))
    best_char = atlas.chars[best] if dist[best] <= _GOOD_FIT else None
    if claim not in atlas.index:
        return best_char, 0
    own = min(dist[i] for i in atlas.index[claim])
    if best_char is None or _same(best_char, claim) or own <= dist[best] + _MARGIN:
        return None, 1
    return best_char, -2 if own >= _BAD_FIT else -1


def _same(a: str, b: str) -> bool:
    """One sign in two spellings: a letter in either case (small capitals), variants of a sign."""
    return a.lower() == b.lower() or _VARIANT.get(a, a) == _VARIANT.get(b, b)


@dataclass(slots=True)
class _Atlas:
    chars: list[str]
    vectors: np.ndarray  # one unit vector per rendered reference glyph
    boxes: np.ndarray
    index: dict[str, list[int]]
    tall: np.ndarray  # stand-ins for big delimiters and operators
    given: np.ndarray  # characters a glyph may be read as (the others are only claims to check)


@lru_cache(maxsize=1)
def _atlas() -> _Atlas:
    chars: list[str] = []
    vecs: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    tall: list[bool] = []
    given: list[bool] = []
    for name in _REFERENCE_FONTS:
        font = pymupdf.Font(name)
        handle = _M.fz_new_font_from_buffer(None, _M.fz_new_buffer_from_copied_data(font.buffer), 0, 0)
        for ch in _CANDIDATES + _CLAIMS_ONLY:
            if name == "symb" and ord(ch) < 0x80:
                continue
            gid = font.has_glyph(ord(ch))
            if not gid:
                continue
            for stretch in _STRETCH.get(ch, (1.0,)):
                shape = _shape(handle, gid, stretch)
                if shape is None:
                    continue
                chars.append(ch)
                vecs.append(shape[0])
                boxes.append(shape[1])
                tall.append(ch in _STRETCH)
                given.append(ch not in _CLAIMS_ONLY)
    index: dict[str, list[int]] = {}
    for i, ch in enumerate(chars):
        index.setdefault(ch, []).append(i)
    return _Atlas(chars, np.array(vecs, dtype=np.float32), np.array(boxes, dtype=np.float32), index, np.array(tall),
                  np.array(given))


def _shape(handle, gid: int, stretch: float = 1.0) -> tuple[np.ndarray, np.ndarray] | None:
    """(unit vector of the glyph's blurred ink fitted into a square, its ink box in em) or None if blank.
    `stretch` draws it that many times taller (an atlas stand-in for a big delimiter)."""
    # MuPDF bounds a glyph by its font's box: find the ink on a coarse render first.
    bound = _M.fz_bound_glyph(handle, gid, _M.FzMatrix(1, 0, 0, -stretch, 0, 0))
    x0, y0, w, h = bound.x0, bound.y0, bound.x1 - bound.x0, bound.y1 - bound.y0
    if not (0 < w < 20 and 0 < h < 20):
        return None
    scale = _PROBE / max(w, h)
    ink = _render(handle, gid, scale, stretch, -x0 * scale, -y0 * scale, _PROBE)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if not len(rows):
        return None
    x0, x1 = x0 + cols[0] / scale, x0 + (cols[-1] + 1) / scale
    y0, y1 = y0 + rows[0] / scale, y0 + (rows[-1] + 1) / scale
    w, h = x1 - x0, y1 - y0
    scale = _FIT / max(w, h)
    # Centre the ink in the cell.
    ink = _render(handle, gid, scale, stretch, (_CELL - w * scale) / 2 - x0 * scale, (_CELL - h * scale) / 2 - y0 * scale, _CELL)
    # A little blur so strokes a pixel apart still meet.
    ink = ink + 0.5 * (np.roll(ink, 1, 0) + np.roll(ink, -1, 0) + np.roll(ink, 1, 1) + np.roll(ink, -1, 1))
    norm = float(np.linalg.norm(ink))
    if norm == 0:
        return None
    return (ink / norm).ravel().astype(np.float32), np.array([y0, y1, w], dtype=np.float32)


def _render(handle, gid: int, scale: float, stretch: float, ex: float, ey: float, side: int) -> np.ndarray:
    """Ink (0-255) of one glyph drawn at `scale` px/em (`stretch` times that upright) with its origin
    at (ex, ey) in a side x side square."""
    text = _M.fz_new_text()
    _M.fz_show_glyph(text, handle, _M.FzMatrix(scale, 0, 0, -scale * stretch, ex, ey), gid, 0, 0, 0,
                     _M.FZ_BIDI_LTR, _M.FZ_LANG_UNSET)
    pix = _M.fz_new_pixmap_with_bbox(_M.fz_device_gray(), _M.FzIrect(0, 0, side, side), _M.FzSeparations(), 0)
    _M.fz_clear_pixmap_with_value(pix, 255)
    dev = _M.fz_new_draw_device(_M.FzMatrix(), pix)
    _M.fz_fill_text(dev, text, _M.FzMatrix(), _M.fz_device_gray(), [0.0], 1.0, _M.FzColorParams())
    _M.fz_close_device(dev)
    samples = np.frombuffer(_M.fz_pixmap_samples_memoryview(pix), dtype=np.uint8)
    return 255.0 - samples.reshape(side, side, -1)[:, :, 0].astype(np.float32)
