"""Displayed formulas of a born-digital page as LaTeX, from glyph positions.

A TeX or office PDF keeps no formula structure, only glyphs: a fraction is a
numerator and a denominator set over a rule (a vector line), a script is a
smaller glyph on a raised or lowered baseline, a big operator's limits sit
above and below it. This module finds the lines of a page that are formulas
(most glyphs in math fonts or math symbols, few prose words), gathers their
glyphs (`rawdict`) and the page's horizontal rules, and rebuilds the layout:
radicals and fractions over their rules, limits of big operators, accents,
then scripts by baseline, row by row. Each row becomes one `$$…$$` line.

Only pages whose text layer has math-font glyphs or math symbols pay for this
(`formula_blocks.has_math`). A region the converter cannot read (unmapped glyphs, nothing
on a main baseline) keeps its text and is still typed `formula`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pymupdf


# Fonts TeX and office suites use for mathematics (CM/LM math italic,
# symbols and extensions, AMS fonts, STIX/XITS/Cambria Math, tx/px fonts).
MATH_FONT = re.compile(
    r"cmmi|cmsy|cmex|cmbsy|cmmib|lmmi|lmsy|lmex|msam|msbm|eufm|eusm|rsfs|stmary|wasy|"
    r"math|stix|xits|symbol|txmi|txsy|txex|pxmi|pxsy|pxex|txsys|esint|mnsymbol|euex|eurm",
    re.I,
)
# Extension fonts: big operators and delimiters whose glyphs hang from the
# origin; TeX's often lack a Unicode map (U+FFFD) or map codes to ASCII.
_EX_FONT = re.compile(r"cmex|lmex|txex|pxex|euex|mathext|esint", re.I)
# cmex10 code points that arrive as ASCII when the font has no ToUnicode map.
_EX_ASCII = {
    "P": r"\sum", "X": r"\sum", "Q": r"\prod", "Y": r"\prod", "R": r"\int", "Z": r"\int",
    "H": r"\oint", "I": r"\oint", "S": r"\bigcup", "[": r"\bigcup", "T": r"\bigcap", "\\": r"\bigcap",
    "(": "(", ")": ")", "\"": "[", "#": "]", "p": r"\sqrt", "q": r"\sqrt", "r": r"\sqrt", "s": r"\sqrt",
}
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ϵ": "epsilon", "ε": "varepsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ϖ": "varpi", "ρ": "rho", "ϱ": "varrho", "σ": "sigma", "ς": "varsigma", "τ": "tau",
    "υ": "upsilon", "ϕ": "phi", "φ": "varphi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma",
    "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "∆": "Delta", "Ω": "Omega", "µ": "mu", "ǫ": "epsilon",
}
_SYMBOLS = {
    "−": "-", "–": "-", "·": r"\cdot", "⋅": r"\cdot", "×": r"\times", "÷": r"\div", "±": r"\pm", "∓": r"\mp",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim", "≃": r"\simeq",
    "≅": r"\cong", "∝": r"\propto", "≪": r"\ll", "≫": r"\gg", "→": r"\rightarrow", "←": r"\leftarrow",
    "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow",
    "↦": r"\mapsto", "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset",
    "⊆": r"\subseteq", "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∧": r"\wedge", "∨": r"\vee",
    "¬": r"\neg", "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "∞": r"\infty", "∂": r"\partial",
    "∇": r"\nabla", "ℏ": r"\hbar", "ℓ": r"\ell", "†": r"\dagger", "‡": r"\ddagger", "∗": "*", "⋆": r"\star",
    "∘": r"\circ", "•": r"\bullet", "⊗": r"\otimes", "⊕": r"\oplus", "⟨": r"\langle", "⟩": r"\rangle",
    "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "‖": r"\|", "…": r"\ldots",
    "⋯": r"\cdots", "′": "'", "″": "''", "%": r"\%", "\\": r"\backslash", "{": r"\{", "}": r"\}", "#": r"\#", "&": r"\&",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap", "√": r"\sqrt",
    "∠": r"\angle", "⊥": r"\perp", "∥": r"\parallel", "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}",
    "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}", "ℜ": r"\Re", "ℑ": r"\Im", "ℵ": r"\aleph",
}
_BIG_OPS = {r"\sum", r"\prod", r"\int", r"\oint", r"\bigcup", r"\bigcap"}
# Operators TeX sets with limits above/below in display style (integrals take them as scripts).
_LIMIT_OPS = {r"\sum", r"\prod", r"\bigcup", r"\bigcap", r"\lim"}
_ACCENTS = {"¯": "bar", "ˉ": "bar", "ˆ": "hat", "^": "hat", "˜": "tilde", "~": "tilde", "˙": "dot",
            "¨": "ddot", "ˇ": "check", "⃗": "vec", "→": "vec"}
_FUNCTIONS = ("arccos", "arcsin", "arctan", "cosh", "sinh", "tanh", "coth", "cos", "sin", "tan", "cot",
              "sec", "csc", "exp", "log", "ln", "lim", "min", "max", "sup", "inf", "det", "arg", "deg",
              "dim", "ker", "gcd", "Pr")
_FUNCTION = re.compile("|".join(_FUNCTIONS))
# Characters that mark text as mathematics when they are not in a math font.
MATH_SYMBOLS = frozenset("∑∏∫∮√∂∇∞≤≥≠≈≡∼≃≅∝≪≫→←↔⇒⇔∈∉⊂⊃⊆⊇∪∩∀∃±∓×÷·⋅−′ℏ†") | frozenset(_GREEK)
# Relations and big operators; a minus sign alone is no evidence (negative numbers in tables).
_RELATIONS = frozenset("=<>≤≥≠≈≡∼≃≅∝≪≫→←↔⇒⇔∈⊂⊆×·∑∫√")
# Prose: runs of four letters of any script (function names aside), CJK characters.
_OPEN_END = frozenset("+-−=×·")
_WORD = re.compile(r"[^\W\d_]{4,}")
_SHORT_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_BULLET = re.compile(r"[•●○◦■□▪▫‣∙·➢►▶✓\uf000-\uf0ff]")
_TEX_SOURCE = re.compile(r"\\[A-Za-z]")
_LEADER = re.compile(r"[.·⋅…]{4,}|(?:\.\s?){4,}")
# Signs of a misread layout: a script holding only punctuation, an empty pair.
_IMPLAUSIBLE = re.compile(r"[_^]\{[()\[\]|.,;:=^_]*\}|[_^]{2}|\(\s*\)|\[\]|\|{3,}|^\W*$")
_EQ_NUMBER = re.compile(r"^\(\d{1,3}[a-z]?\)$")
# A rule is a horizontal line or thin filled rectangle.
_RULE_THICKNESS = 1.6


@dataclass(slots=True)
class Atom:
    latex: str
    x0: float
    x1: float
    top: float
    bottom: float
    base: float
    size: float
    neutral: bool = False  # sits on any baseline (fractions, big operators, big delimiters)
    op: str = ""  # big operator taking limits
    char: str = ""

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


def words(text: str) -> list[str]:
    """Prose words of the text (four letters or more, function names aside)."""
    return [w for w in _WORD.findall(text) if not _FUNCTION.fullmatch(w)]


def has_words(text: str) -> bool:
    """Prose words (four letters or more, any script) in the text."""
    return bool(_WORD.search(text))


def is_formula_text(text: str, math_chars: int) -> bool:
    """A line that reads as mathematics: math glyphs or symbols, few prose words."""
    compact = text.replace(" ", "")
    n = len(compact)
    # Dot leaders (tables of contents) and TeX source (code next to its output) are no formulas.
    # List bullets (often from Symbol-like fonts) start items, not formulas.
    if not n or _LEADER.search(compact) or _TEX_SOURCE.search(text) or _BULLET.match(compact):
        return False
    words = sum(len(w) for w in _WORD.findall(text) if not _FUNCTION.fullmatch(w)) + len(_CJK.findall(text))
    symbols = sum(1 for c in compact if c in MATH_SYMBOLS)
    # An equation broken off at an operator (the rest, a fraction, stands beside it): no prose line
    # ends so. Its one "word" may be a letter glued to its subscript ("Nzero").
    if (compact[-1] in _OPEN_END and any(c in _RELATIONS for c in compact) and math_chars + symbols >= 3
            and words <= 0.5 * n):
        return True
    if words > 0.3 * n:
        return False
    if math_chars + symbols >= 0.5 * n:
        return True
    relation = any(c in _RELATIONS for c in compact)
    if relation and math_chars + symbols >= 0.25 * n:
        return True
    # An equation set mostly in the text font (digits, "=", "+"): some math-font glyph, no word at all.
    return (relation or "+" in compact or "−" in compact) and math_chars > 0 and not any(
        not _FUNCTION.fullmatch(w) for w in _SHORT_WORD.findall(text))


def page_rules(page: pymupdf.Page) -> list[tuple[float, float, float]]:
    """Horizontal rules (x0, x1, y): fraction bars and radical overbars."""
    rules = []
    for path in page.get_cdrawings():
        r = path.get("rect")
        if r is None:
            continue
        x0, y0, x1, y1 = r
        width = path.get("width") or 0
        if x1 - x0 >= 2 and y1 - y0 <= _RULE_THICKNESS and (width or 0) <= _RULE_THICKNESS:
            rules.append((x0, x1, (y0 + y1) / 2))
    return rules


def glyphs_in(chars_by_line: list[dict], box: tuple[float, float, float, float]) -> list[dict]:
    x0, y0, x1, y1 = box
    return [c for c in chars_by_line
            if x0 - 1 <= (c["bbox"][0] + c["bbox"][2]) / 2 <= x1 + 1 and y0 - 1 <= c["origin"][1] <= y1 + 1]


def page_chars(raw: dict) -> list[dict]:
    """All glyphs of a page's rawdict (`text_layer.page_raw`) with font and size, in content order."""
    out = []
    for b in raw["blocks"]:
        if b.get("type") != 0:
            continue
        for line in b["lines"]:
            if line["dir"][0] < 0.99:
                continue
            for s in line["spans"]:
                for c in s["chars"]:
                    if c["c"].strip() and not "\ufe00" <= c["c"] <= "\ufe0f" and c["c"] != "\u200b":
                        out.append({"c": c["c"], "bbox": c["bbox"], "origin": c["origin"],
                                    "size": s["size"], "font": s["font"], "flags": s["flags"]})
    return out


def to_latex(chars: list[dict], rules: list[tuple[float, float, float]]) -> list[str] | None:
    """LaTeX rows for the glyphs of one formula region, or None when it cannot be read."""
    atoms = [_atom(c) for c in chars]
    if not atoms or any(a is None for a in atoms):
        return None
    _pair_delimiters(atoms)
    atoms = [a for a in atoms if a.latex]
    atoms = _accents(atoms)
    atoms = _functions(atoms)
    size = max(a.size for a in atoms)
    x0, x1 = min(a.x0 for a in atoms), max(a.x1 for a in atoms)
    top, bottom = min(a.top for a in atoms), max(a.bottom for a in atoms)
    mine = [r for r in rules if r[0] >= x0 - size and r[1] <= x1 + size and top - 2 <= r[2] <= bottom + 2]
    atoms = _radicals(atoms, mine)
    atoms = _limits(atoms, mine)
    atoms = _fractions(atoms, mine)
    atoms = _matrices(atoms)
    rows: list[str] = []
    for row in _rows(atoms):
        row, tag = _split_tag(row)
        latex = _layout(row).strip() if row else ""
        if tag and not latex and rows:
            rows[-1] += f" \\tag{{{tag}}}"
        elif latex:
            rows.append(latex + (f" \\tag{{{tag}}}" if tag else ""))
    return rows if any(readable(r) for r in rows) else None


def readable(latex: str) -> bool:
    """No sign of a misread layout (scripts of bare punctuation, empty pairs)."""
    return not _IMPLAUSIBLE.search(latex)


def _atom(c: dict) -> Atom | None:
    ch, size, font = c["c"], c["size"], c["font"]
    x0, _, x1, _ = c["bbox"]
    ox, base = c["origin"]
    if _EX_FONT.search(font):
        w = (x1 - x0) / max(size, 1)
        latex = _EX_ASCII.get(ch) or _SYMBOLS.get(ch) or (ch if ch in "()[]|/" else None)
        if latex is None and (ch == "\ufffd" or ch.isalpha() or "\ue000" <= ch <= "\uf8ff" or ord(ch) < 32):
            latex = r"\sum" if w >= 0.9 else "?bar" if w < 0.4 else "?delim"
        if latex is None:
            latex = ch
        # An extension glyph hangs from its origin; its height follows its kind (delimiters: their width).
        height = (1.4 if w >= 1.2 else 1.0) * size if latex in _BIG_OPS else _delimiter_height(w) * size
        if latex == r"\int":
            height = 2.2 * size if w > 0 else size
        return Atom(latex, x0, x1, base, base + height, base + 0.7 * height, size, neutral=True,
                    op=latex if latex in _LIMIT_OPS else "", char=ch)
    if ch == "\ufffd" or ord(ch) < 32 or "\ue000" <= ch <= "\uf8ff":
        _, y0, _, y1 = c["bbox"]
        if y1 - y0 > _TALL * size:  # an unmapped glyph taller than its font: a big delimiter
            return Atom("?delim", x0, x1, y0, y1, base, size, neutral=True, char=ch)
        return None
    nf = unicodedata.normalize("NFKC", ch)
    greek = _GREEK.get(ch) or _GREEK.get(nf)
    latex = _SYMBOLS.get(ch) or ("\\" + greek if greek else None) or _SYMBOLS.get(nf) or nf
    if latex in _BIG_OPS:
        _, y0, _, y1 = c["bbox"]
        return Atom(latex, x0, x1, y0, y1, base, size, neutral=True,
                    op=latex if latex in _LIMIT_OPS else "", char=ch)
    _, y0, _, y1 = c["bbox"]
    if latex in _PIECES and y1 - y0 > _TALL * size:
        # A big delimiter set from a text or symbol font (not an extension font): its box is its own.
        return Atom(latex, x0, x1, y0, y1, base, size, neutral=True, char=ch)
    return Atom(latex, x0, x1, base - 0.7 * size, base + 0.2 * size, base, size, char=ch)


def _delimiter_height(width: float) -> float:
    """cmex delimiters, big to Bigg, grow wider as they grow taller (in em)."""
    for w, h in ((0.5, 1.2), (0.65, 1.8), (0.75, 2.4)):
        if width < w:
            return h
    return 3.0


_MATRIX_ENV = {"(": "pmatrix", "[": "bmatrix", "|": "vmatrix"}
_CLOSING = {"(": ")", "[": "]", "|": "|"}


def _matrices(atoms: list[Atom]) -> list[Atom]:
    """Rows and columns between a pair of tall delimiters become a matrix environment."""
    for left in [a for a in atoms if a.neutral and a.latex in _MATRIX_ENV]:
        if left not in atoms or left.bottom - left.top < 1.8 * left.size:
            continue
        right = next((a for a in atoms if a.x0 > left.x1 and a.latex == _CLOSING[left.latex] and a.neutral
                      and abs(a.top - left.top) < 0.4 * a.size and abs(a.bottom - left.bottom) < 0.4 * a.size), None)
        if right is None:
            continue
        inner = [a for a in atoms if left.x1 - 1 <= a.x0 and a.x1 <= right.x0 + 1 and a is not right
                 and left.top <= (a.top + a.bottom) / 2 <= left.bottom]
        rows = _rows(inner) if inner else []
        if len(rows) < 2:
            continue
        cols = _columns(inner)
        body = " \\\\ ".join(" & ".join(_layout([a for a in row if lo <= a.cx <= hi]) for lo, hi in cols)
                               for row in rows)
        env = _MATRIX_ENV[left.latex]
        node = Atom(f"\\begin{{{env}}}{body}\\end{{{env}}}", left.x0, right.x1, left.top, left.bottom,
                    left.base, left.size, neutral=True)
        gone = {id(a) for a in inner} | {id(left), id(right)}
        atoms = sorted([a for a in atoms if id(a) not in gone] + [node], key=lambda a: a.x0)
    return atoms


def _columns(atoms: list[Atom]) -> list[tuple[float, float]]:
    """Column spans: runs of the x axis covered by glyphs, split at gaps wider than a quad."""
    spans: list[list[float]] = []
    size = max(a.size for a in atoms)
    for a in sorted(atoms, key=lambda a: a.x0):
        if spans and a.x0 - spans[-1][1] < 0.8 * size:
            spans[-1][1] = max(spans[-1][1], a.x1)
        else:
            spans.append([a.x0, a.x1])
    return [(lo - 0.1, hi + 0.1) for lo, hi in spans]


def _pair_delimiters(atoms: list[Atom]) -> None:
    """Big delimiters of an extension font: pieces of one tall delimiter joined (top, middle and
    bottom glyphs stacked at one x), unmapped ones alternately opening and closing."""
    delims = sorted((a for a in atoms if a.latex in ("?delim", "?bar") or a.neutral and a.latex in _PIECES),
                    key=lambda a: a.x0)
    depth = 0
    prev: Atom | None = None
    for a in delims:
        if prev is not None and a.x0 < prev.x1 and (a.latex == prev.latex or a.latex in ("?delim", "?bar")):
            a.latex = ""  # another piece of the same tall delimiter
            prev.top, prev.bottom = min(prev.top, a.top), max(prev.bottom, a.bottom)
            continue
        if a.latex == "?bar":
            a.latex = "|"
        elif a.latex == "?delim":
            a.latex = "(" if depth == 0 else ")"
            depth = 1 - depth
        prev = a


# A delimiter glyph whose box is this many times its font size is a big one.
_TALL = 1.3
_PIECES = frozenset(("(", ")", "[", "]", "|", r"\{", r"\}", r"\|"))


def _accents(atoms: list[Atom]) -> list[Atom]:
    """An accent glyph over its letter ("¯" + "p" -> \\bar{p})."""
    out: list[Atom] = []
    skip = set()
    for i, a in enumerate(atoms):
        if i in skip:
            continue
        kind = _ACCENTS.get(a.char)
        if kind:
            for j in (i + 1, i - 1):
                if 0 <= j < len(atoms) and j not in skip and (j > i or out and out[-1] is atoms[j]):
                    b = atoms[j]
                    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
                    # An arrow is a vector accent when raised, smaller, or set over its letter
                    # (a relation arrow stands beside its neighbours, never over one).
                    raised = (a.char != "→" or a.base < b.base - 0.3 * b.size or a.size < 0.8 * b.size
                              or overlap > 0.6 * min(a.x1 - a.x0, b.x1 - b.x0))
                    if overlap > 0.3 * min(a.x1 - a.x0, b.x1 - b.x0) and raised and not b.neutral:
                        acc = Atom(f"\\{kind}{{{b.latex}}}", min(a.x0, b.x0), max(a.x1, b.x1), b.top, b.bottom,
                                   b.base, b.size, char=b.char)
                        if j > i:
                            skip.add(j)
                            out.append(acc)
                        else:
                            out[-1] = acc
                        break
            else:
                out.append(a)
            continue
        out.append(a)
    return out


def _functions(atoms: list[Atom]) -> list[Atom]:
    """Runs of letters on one baseline that spell a function name become \\sin, \\lim, ..."""
    atoms = sorted(atoms, key=lambda a: (round(a.base), a.x0))
    out: list[Atom] = []
    i = 0
    while i < len(atoms):
        j = i
        while (j < len(atoms) and len(atoms[j].latex) == 1 and atoms[j].latex.isalpha()
               and (j == i or (abs(atoms[j].base - atoms[i].base) < 0.1 * atoms[i].size
                               and atoms[j].x0 - atoms[j - 1].x1 < 0.15 * atoms[i].size))):
            j += 1
        word = "".join(a.latex for a in atoms[i:j])
        m = _FUNCTION.fullmatch(word) if j - i >= 2 else None
        if m:
            a, b = atoms[i], atoms[j - 1]
            latex = "\\" + word
            out.append(Atom(latex, a.x0, b.x1, a.top, a.bottom, a.base, a.size,
                            op=latex if latex in _LIMIT_OPS else ""))
            i = j
            continue
        out.append(atoms[i])
        i += 1
    return sorted(out, key=lambda a: a.x0)


def _radicals(atoms: list[Atom], rules: list) -> list[Atom]:
    """√ with its overbar rule: the glyphs under the bar are the radicand."""
    for r in [a for a in atoms if a.latex == r"\sqrt"]:
        bars = [rule for rule in rules if abs(rule[0] - r.x1) <= 0.4 * r.size and r.top - 0.5 * r.size
                <= rule[2] <= r.base]
        if not bars:
            continue
        bar = max(bars, key=lambda rule: rule[1] - rule[0])
        rules.remove(bar)
        inside = [a for a in atoms if a is not r and a.x0 >= bar[0] - 1 and a.x1 <= bar[1] + 1
                  and a.top >= bar[2] - 0.3 * a.size and a.base <= bar[2] + 1.6 * r.size]
        if not inside:
            continue
        body = _layout(inside)
        node = Atom(f"\\sqrt{{{body}}}", r.x0, bar[1], bar[2], max(a.bottom for a in inside),
                    _main_base(inside), max(a.size for a in inside))
        atoms = [a for a in atoms if a is not r and all(a is not b for b in inside)] + [node]
    return sorted(atoms, key=lambda a: a.x0)


def _fractions(atoms: list[Atom], rules: list) -> list[Atom]:
    """Glyphs stacked over and under a rule: innermost (narrowest) fractions first."""
    for x0, x1, y in sorted(rules, key=lambda r: r[1] - r[0]):
        over = [a for a in atoms if _within(a, x0, x1) and a.base < y]
        under = [a for a in atoms if _within(a, x0, x1) and a.base > y]
        others = [r for r in rules if r != (x0, x1, y) and abs(r[2] - y) < 1]
        num = _own_line(_stack(sorted(over, key=lambda a: -a.bottom), y, up=True), atoms, x0, x1, others)
        below = _stack(sorted(under, key=lambda a: a.top), y, up=False)
        den = _own_line(below, atoms, x0, x1, others)
        if below and not num and all(a.base - y < 1.15 * a.size for a in below):
            den = below  # a bar over its glyphs: \overline
            node = Atom(f"\\overline{{{_layout(den)}}}", x0, x1, y, max(a.bottom for a in den), _main_base(den),
                        max(a.size for a in den))
            gone = {id(a) for a in den}
            atoms = sorted([a for a in atoms if id(a) not in gone] + [node], key=lambda a: a.x0)
            continue
        if not num or not den:
            continue
        size = max(a.size for a in num + den)
        node = Atom(f"\\frac{{{_layout(num)}}}{{{_layout(den)}}}", x0, x1, min(a.top for a in num),
                    max(a.bottom for a in den), y + 0.25 * size, size, neutral=True)
        gone = {id(a) for a in num + den}
        atoms = sorted([a for a in atoms if id(a) not in gone] + [node], key=lambda a: a.x0)
    return atoms


def _own_line(stack: list[Atom], atoms: list[Atom], x0: float, x1: float, others: list) -> list[Atom]:
    """A numerator or denominator is a line of its own: one that runs on past the rule is not
    (glyphs over the next fraction's rule on the same axis belong to that fraction)."""
    if not stack:
        return stack
    # Its baseline is its glyphs' (a big delimiter's origin may sit on the formula's axis).
    base, size = _main_base(stack), max(a.size for a in stack)
    for a in atoms:
        if a.neutral or any(a is b for b in stack) or abs(a.base - base) > 0.2 * size:
            continue
        if any(r[0] - 1 <= a.cx <= r[1] + 1 for r in others):
            continue
        if x0 - 0.5 * size < a.x1 <= x0 + 1 or x1 - 1 <= a.x0 < x1 + 0.5 * size:
            return []
    return stack


def _within(a: Atom, x0: float, x1: float) -> bool:
    """Mostly inside the rule's span (an operator's wide limits may stick out a little)."""
    slack = 0.3 * a.size
    return x0 - slack <= a.x0 and a.x1 <= x1 + slack or x0 - 1 <= a.cx <= x1 + 1 and not a.op


def _stack(cands: list[Atom], y: float, up: bool) -> list[Atom]:
    """The contiguous stack of atoms next to a rule, nearest first."""
    if not cands:
        return []
    first = cands[0]
    if first.bottom < y - 0.6 * first.size if up else first.top > y + 0.75 * first.size:
        return []
    # One line over (under) the rule: what overlaps the nearest atom's band.
    top, bottom = first.top, first.bottom
    out = [first]
    for a in cands[1:]:
        pad = 0.1 * a.size
        if a.top < bottom - pad and a.bottom > top + pad:
            out.append(a)
            top, bottom = min(top, a.top), max(bottom, a.bottom)
    return out


def _limits(atoms: list[Atom], rules: list) -> list[Atom]:
    """Limits above/below \\sum, \\prod, \\lim: stacked glyphs, widened along their baseline."""
    for op in [a for a in atoms if a.op]:
        if op not in atoms:
            continue
        rest = [a for a in atoms if a is not op and not _ruled_off(a, op, rules)]
        lower = _limit(rest, op, below=True)
        upper = _limit([a for a in rest if all(a is not b for b in lower)], op, below=False)
        if not lower and not upper:
            continue
        latex = op.latex
        if lower:
            latex += f"_{{{_layout(lower)}}}"
        if upper:
            latex += f"^{{{_layout(upper)}}}"
        group = [op] + lower + upper
        node = Atom(latex, min(a.x0 for a in group), max(a.x1 for a in group), min(a.top for a in group),
                    max(a.bottom for a in group), op.base, op.size, neutral=op.neutral)
        gone = {id(a) for a in group}
        atoms = sorted([a for a in atoms if id(a) not in gone] + [node], key=lambda a: a.x0)
    return atoms


def _ruled_off(a: Atom, op: Atom, rules: list) -> bool:
    """A rule between the operator and the atom (it belongs to the other side of a fraction)."""
    lo, hi = (op.bottom, a.top) if a.top >= op.bottom - 0.3 * a.size else (a.bottom, op.top)
    return any(min(r[1], op.x1) > max(r[0], op.x0) and min(lo, hi) - 1 <= r[2] <= max(lo, hi) + 1 for r in rules)


def _limit(atoms: list[Atom], op: Atom, below: bool) -> list[Atom]:
    seed = [a for a in atoms if min(a.x1, op.x1) - max(a.x0, op.x0) > 0 and a.size <= op.size * 0.95 + 0.01
            and (0 <= a.top - op.bottom + 0.3 * a.size <= 1.0 * op.size if below
                 else 0 <= op.top - a.bottom + 0.3 * a.size <= 1.0 * op.size)]
    if op.latex == r"\lim":
        seed = [a for a in atoms if min(a.x1, op.x1) - max(a.x0, op.x0) > 0 and below
                and 0.3 * op.size < a.base - op.base <= 1.3 * op.size]
    if not seed:
        return []
    base = seed[0].base
    group = [a for a in seed if abs(a.base - base) < 0.3 * a.size]
    grew = True
    while grew:
        grew = False
        lo, hi = min(a.x0 for a in group), max(a.x1 for a in group)
        for a in atoms:
            if a in group or abs(a.base - base) > 0.45 * a.size or a.size > 0.95 * op.size + 0.01:
                continue
            if lo - 0.5 * a.size <= a.x1 and a.x0 <= hi + 0.5 * a.size:
                group.append(a)
                grew = True
    return sorted(group, key=lambda a: a.x0)


def _rows(atoms: list[Atom]) -> list[list[Atom]]:
    """Split a region into rows: full-size glyphs overlapping vertically, scripts to the nearest row."""
    size = max(a.size for a in atoms)
    big = [a for a in atoms if a.size >= 0.85 * size or a.neutral]
    bands: list[list[float]] = []
    for a in sorted(big, key=lambda a: a.top):
        lo, hi = (a.top, a.bottom) if a.neutral else (a.base - 0.6 * a.size, a.base + 0.1 * a.size)
        if bands and lo < bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], hi)
        else:
            bands.append([lo, hi])
    rows: list[list[Atom]] = [[] for _ in bands]
    for a in atoms:
        mid = a.base - 0.3 * a.size if not a.neutral else (a.top + a.bottom) / 2
        k = min(range(len(bands)), key=lambda i: max(bands[i][0] - mid, mid - bands[i][1], 0))
        rows[k].append(a)
    return [sorted(r, key=lambda a: a.x0) for r in rows if r]


def _split_tag(row: list[Atom]) -> tuple[list[Atom], str]:
    """An equation number "(3)" set apart at the right end of a row (or alone in its row)."""
    for k in range(3, min(7, len(row) + 1)):
        tail = row[-k:]
        text = "".join(a.latex for a in tail)
        if _EQ_NUMBER.match(text) and (k == len(row) or tail[0].x0 - row[-k - 1].x1 > 1.0 * tail[0].size):
            return row[:-k], text[1:-1]
    return row, ""


def _main_base(atoms: list[Atom]) -> float:
    plain = [a for a in atoms if not a.neutral] or atoms
    size = max(a.size for a in plain)
    votes: dict[float, int] = {}
    for a in plain:
        if a.size >= 0.9 * size:
            key = round(a.base * 2) / 2
            votes[key] = votes.get(key, 0) + 1
    return max(votes, key=lambda k: (votes[k], -k))


def _layout(atoms: list[Atom]) -> str:
    """One line of atoms (left to right): nuclei on the main baseline, scripts above/below it."""
    if not atoms:
        return ""
    atoms = sorted(atoms, key=lambda a: a.x0)
    main = _main_base(atoms)
    out: list[str] = []
    i = 0
    prev: Atom | None = None
    while i < len(atoms):
        a = atoms[i]
        if prev is not None and a.x0 - prev.x1 > 0.25 * a.size:
            out.append(" ")  # a word gap: no meaning in math, kept for the reader
        out.append(a.latex)
        prev = a
        i += 1
        ref = a.size
        sub: list[Atom] = []
        sup: list[Atom] = []
        while i < len(atoms):
            b = atoms[i]
            if b.neutral:
                break
            shift = b.base - main
            smaller = b.size < 0.85 * ref
            if abs(shift) < (0.08 if smaller else 0.25) * ref:
                break
            (sup if shift < 0 else sub).append(b)
            i += 1
        if sub:
            out.append("_{" + _layout(sub) + "}")
        if sup:
            out.append("^{" + _layout(sup) + "}")
        if sub or sup:
            prev = Atom("", prev.x0, max(b.x1 for b in sub + sup), 0, 0, 0, prev.size)
    return _join(out)


def _join(tokens: list[str]) -> str:
    """Concatenate, with a space where a control word meets a letter."""
    s = ""
    for t in tokens:
        if t == " " and (not s or s.endswith(" ")):
            continue
        if s and re.search(r"\\[A-Za-z]+$", s) and t[:1].isalpha():
            s += " "
        s += t
    return s.replace(r"\cdot\cdot\cdot", r"\cdots").replace("...", r"\ldots")


_COMMAND_TEXT: dict[str, str] = {}
for _ch, _cmd in [(k, v) for k, v in _SYMBOLS.items() if v.startswith("\\")] + [(k, "\\" + v) for k, v in _GREEK.items()]:
    _COMMAND_TEXT.setdefault(_cmd, _ch)  # the first spelling: Greek mu, not the micro sign
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")
_MARKUP = re.compile(r"\\(?:begin|end)\{[a-z]*\}|&|\\\\|\\(?:frac|sqrt|tag|overline|bar|hat|tilde|dot|ddot|check|vec|mathrm|mathbb)(?![A-Za-z])|\}\{")


_OP_LIMITS = re.compile(r"(\\(?:sum|prod|int|oint|lim|bigcup|bigcap|min|max|sup|inf))(?![A-Za-z])"
                        r"(?:_\{([^{}]*)\})?(?:\^\{([^{}]*)\})?")


def latex_to_text(latex: str) -> str:
    """The glyphs a LaTeX formula shows, as plain text (for comparing with a text layer)."""
    # Scripts stay glued to their base, as a text layer has them ("x_{i}" -> "xi").
    # Limits sit on lines of their own in a text layer: set them apart.
    latex = _OP_LIMITS.sub(lambda m: " ".join(g or "" for g in m.groups()) + " ", latex)
    text = _COMMAND.sub(lambda m: _COMMAND_TEXT.get(m.group(0), m.group(0)[1:]), _MARKUP.sub(" ", latex))
    return re.sub(r"[{}^_]", "", text)

