"""Synthetic tables from real text, of the kinds real documents have: corpusmill vs pymupdf4llm.

Run: .venv/bin/python bench/pdf_tables.py [--docs N] [--kinds KIND ...] [--skip pymupdf4llm]

The pdf-real dev set has two dozen PDFs with tables; held-out documents have
other tables. This bench writes one-page (or two-page) PDFs with PyMuPDF, each
holding a table of one kind, its cells taken from real text (short phrases of
the `with` snippets of ../shared/corpora/html-dev, in their languages) and
numbers in the forms tables print them, with prose around it:

- ruled: a full grid; booktabs: top, mid and bottom rules only; ruleless:
  columns only from white space;
- wrapped: a ruled grid whose last column's cells wrap over two lines;
- spanning: a two-row header, group headings over pairs of columns;
- sideways: the table turned 90 degrees inside an upright page of prose;
- keyvalue: a label/value box beside a column of prose;
- split: a rule-less table continued on the next page;
- scan: a ruled table as an image (OCR route).

Each table gives facts in olmOCR-bench's schema (a body cell with its left,
right, up and down neighbours and its column heading), scored by the
pdf-real corpus's own score.py. Both systems read the same files in the same
run (bench/pdf_text.py runs them); prints pass rates per kind, the worst
documents and each system's seconds. Writes bench/results/pdf_tables.md.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pdf_facts  # noqa: E402  (the corpus's scorer)
import pdf_text  # noqa: E402  (runs corpusmill and the peers)
from pdf_layouts import FONT, sentences  # noqa: E402

RESULTS = pdf_text.ROOT / "bench" / "results" / "pdf_tables.md"
KINDS = ["ruled", "booktabs", "ruleless", "wrapped", "spanning", "sideways", "keyvalue", "split", "scan"]
W, H = 595, 842


class Writer:
    """Draws text in the bench font (DejaVu Sans where installed, else Helvetica)."""

    def __init__(self, fontfile: Path | None) -> None:
        self.font = {"fontname": "dejavu", "fontfile": str(fontfile)} if fontfile else {"fontname": "helv"}
        self.measure = pymupdf.Font(fontfile=str(fontfile)) if fontfile else pymupdf.Font("helv")

    def text(self, page, x: float, y: float, s: str, size: float = 8, rotate: int = 0) -> None:
        page.insert_text((x, y), s, fontsize=size, rotate=rotate, **self.font)

    def width(self, s: str, size: float = 8) -> float:
        return self.measure.text_length(s, fontsize=size)

    def prose(self, page, rect: tuple[float, float, float, float], s: str) -> None:
        page.insert_textbox(rect, s, fontsize=9, **self.font)


class Phrases:
    """Short cell texts (one to three words) from the real sentences, handed out in turn
    (again from the start when all are used: a table's cells stay distinct)."""

    def __init__(self, texts: list[str]) -> None:
        self.items = _phrases(texts)
        random.Random(0).shuffle(self.items)
        self.i = 0

    def pop(self) -> str:
        self.i += 1
        return self.items[self.i % len(self.items)]


def _phrases(texts: list[str]) -> list[str]:
    out, seen = [], set()
    for t in texts:
        words = [w.strip(".,;:()\"'«»„“”") for w in t.split()]
        words = [w for w in words if w and len(w) <= 14 and "|" not in w]
        for i in range(0, len(words) - 3, 3):
            p = " ".join(words[i:i + 1 + i % 3])
            if p.lower() not in seen:
                seen.add(p.lower())
                out.append(p)
    return out


def number(rng: random.Random) -> str:
    kind = rng.randrange(4)
    v = rng.uniform(0, 99999)
    return [f"{v:,.0f}", f"{v / 1000:.1f}", f"{v / 1000:.2f}%", f"({v / 100:.1f})"][kind]


def table(rng: random.Random, words: Phrases, n_rows: int, n_cols: int) -> list[list[str]]:
    """Header + body: a label column of phrases, then columns of numbers or phrases."""
    numeric = [rng.random() < 0.6 for _ in range(n_cols)]
    head = [words.pop() for _ in range(n_cols)]
    body = [[words.pop()] + [number(rng) if numeric[c] else words.pop() for c in range(1, n_cols)]
            for _ in range(n_rows)]
    return [head] + body


def facts_of(name: str, grid: list[list[str]], rng: random.Random, heads: list[str] | None = None,
             n: int = 5, rows: range | None = None) -> list[dict]:
    """Facts for random body cells: their neighbours and their column heading."""
    out = []
    body = list(rows or range(1, len(grid)))
    for k in range(n):
        r, c = rng.choice(body), rng.randrange(len(grid[0]))
        f = {"pdf": f"{name}.pdf", "id": f"{name}_table_{k:02d}", "type": "table", "cell": grid[r][c],
             "max_diffs": 0, "top_heading": (heads or grid[0])[c]}
        if c > 0:
            f["left"] = grid[r][c - 1]
        if c + 1 < len(grid[r]):
            f["right"] = grid[r][c + 1]
        if r + 1 < len(grid):
            f["down"] = grid[r + 1][c]
        out.append(f)
    return out


def _widths(w: Writer, grid: list[list[str]], size: float, cap: float = 1e9) -> list[float]:
    return [min(cap, max(w.width(row[c], size) for row in grid)) + 14 for c in range(len(grid[0]))]


def _draw_grid(w: Writer, page, grid: list[list[str]], x0: float, y0: float, rules: str,
               size: float = 8, pitch: float = 14) -> float:
    """The table at (x0, y0) with rules 'grid', 'booktabs' or 'none'; returns its bottom."""
    widths = _widths(w, grid, size)
    xs = [x0]
    for wd in widths:
        xs.append(xs[-1] + wd)
    ys = [y0 + pitch * r for r in range(len(grid) + 1)]
    for r, row in enumerate(grid):
        for c, s in enumerate(row):
            w.text(page, xs[c] + 4, ys[r] + pitch - 4, s, size)
    if rules == "grid":
        for y in ys:
            page.draw_line((xs[0], y), (xs[-1], y), width=0.5)
        for x in xs:
            page.draw_line((x, ys[0]), (x, ys[-1]), width=0.5)
    elif rules == "booktabs":
        for y, width in ((ys[0], 1.0), (ys[1], 0.5), (ys[-1], 1.0)):
            page.draw_line((xs[0], y), (xs[-1], y), width=width)
    return ys[-1]


def build(kind: str, i: int, texts: list[str], words: Phrases, w: Writer, out: Path) -> list[dict]:
    """Writes `out`, a PDF with one table of `kind`; returns its facts."""
    rng = random.Random(f"{kind}-{i}")
    name = out.stem
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    prose = " ".join(texts[(i * 7 + j) % len(texts)] for j in range(3))
    w.prose(page, (60, 60, 535, 170), prose)
    facts: list[dict] = []
    if kind in ("ruled", "booktabs", "ruleless"):
        grid = table(rng, words, rng.randint(4, 9), rng.randint(3, 5))
        bottom = _draw_grid(w, page, grid, 60, 190, {"ruled": "grid", "booktabs": "booktabs", "ruleless": "none"}[kind])
        w.prose(page, (60, bottom + 20, 535, bottom + 120), texts[(i * 7 + 3) % len(texts)])
        facts = facts_of(name, grid, rng)
    elif kind == "wrapped":
        grid = table(rng, words, rng.randint(4, 7), 3)
        long = [" ".join(words.pop() for _ in range(4)) for _ in grid]
        x = [60, 60 + _widths(w, grid, 8)[0], 0, 0]
        x[2] = x[1] + _widths(w, grid, 8)[1]
        x[3] = x[2] + _widths(w, grid, 8)[2]
        col_w = min(140.0, max(w.width(s) for s in long) / 2 + 20)
        y = 190.0
        page.draw_line((x[0], y), (x[3] + col_w, y), width=0.5)
        for r, row in enumerate(grid):
            first, rest = long[r].split(" ", 2)[:2], long[r].split(" ", 2)[2:]
            lines = [" ".join(first), " ".join(rest)] if rest else [" ".join(first)]
            for c, s in enumerate(row):
                w.text(page, x[c] + 4, y + 11, s)
            for k, s in enumerate(lines):
                w.text(page, x[3] + 4, y + 11 + 10 * k, s)
            y += 26
            page.draw_line((x[0], y), (x[3] + col_w, y), width=0.5)
        for xx in x + [x[3] + col_w]:
            page.draw_line((xx, 190), (xx, y), width=0.5)
        full = [row + [long[r]] for r, row in enumerate(grid)]
        facts = facts_of(name, full, rng)
    elif kind == "spanning":
        grid = table(rng, words, rng.randint(4, 8), 5)
        groups = [words.pop(), words.pop()]
        xs = [60.0]
        for wd in _widths(w, grid, 8):
            xs.append(xs[-1] + max(wd, 60))
        page.draw_line((xs[0], 190), (xs[-1], 190), width=1)
        for g, (a, b) in enumerate(((1, 3), (3, 5))):
            w.text(page, (xs[a] + xs[b]) / 2 - w.width(groups[g]) / 2, 201, groups[g])
            page.draw_line((xs[a] + 2, 205), (xs[b] - 2, 205), width=0.4)
        for r, row in enumerate(grid):
            for c, s in enumerate(row):
                w.text(page, xs[c] + 4, 216 + 14 * r, s)
            if r == 0:
                page.draw_line((xs[0], 220), (xs[-1], 220), width=0.5)
        page.draw_line((xs[0], 220 + 14 * len(grid) - 10), (xs[-1], 220 + 14 * len(grid) - 10), width=1)
        heads = [grid[0][0], groups[0], groups[0], groups[1], groups[1]]
        facts = facts_of(name, grid, rng, heads=heads)
    elif kind == "sideways":
        grid = table(rng, words, rng.randint(4, 7), rng.randint(3, 4))
        widths = _widths(w, grid, 8)
        for r, row in enumerate(grid):
            y = 780.0
            for c, s in enumerate(row):
                w.text(page, 200 + 14 * r, y, s, rotate=90)
                y -= widths[c]
        w.prose(page, (200 + 14 * len(grid) + 30, 200, 535, 780), texts[(i * 7 + 3) % len(texts)])
        facts = facts_of(name, grid, rng)
    elif kind == "keyvalue":
        pairs = [[words.pop(), words.pop() if rng.random() < 0.5 else number(rng)] for _ in range(rng.randint(5, 9))]
        w.prose(page, (60, 190, 330, 780), " ".join(texts[(i * 7 + j) % len(texts)] for j in range(3, 8)))
        for r, (k, v) in enumerate(pairs):
            w.text(page, 350, 200 + 16 * r, k)
            w.text(page, 450, 200 + 16 * r, v)
        facts = [{"pdf": f"{name}.pdf", "id": f"{name}_table_{r:02d}", "type": "table", "cell": k, "right": v,
                  "max_diffs": 0} for r, (k, v) in enumerate(pairs[:5])]
    elif kind == "split":
        grid = table(rng, words, 30, rng.randint(3, 4))
        _draw_grid(w, page, grid[:21], 60, 560, "none")  # header + 20 rows to the foot of page 1
        page2 = doc.new_page(width=W, height=H)
        _draw_grid(w, page2, grid[21:], 60, 60, "none", pitch=14)
        w.prose(page2, (60, 60 + 14 * 10 + 20, 535, 400), texts[(i * 7 + 3) % len(texts)])
        # Facts on the continuation: its cells' neighbours, and the heading from page 1.
        facts = facts_of(name, grid, rng, rows=range(22, len(grid) - 1))
    elif kind == "scan":
        grid = table(rng, words, rng.randint(4, 8), rng.randint(3, 4))
        bottom = _draw_grid(w, page, grid, 60, 190, "grid", size=9, pitch=16)
        w.prose(page, (60, bottom + 20, 535, bottom + 120), texts[(i * 7 + 3) % len(texts)])
        pix = page.get_pixmap(dpi=200)
        doc = pymupdf.open()
        doc.new_page(width=W, height=H).insert_image(pymupdf.Rect(0, 0, W, H), pixmap=pix)
        facts = facts_of(name, grid, rng)
    doc.save(out)
    return facts


def oversized(tmp: Path) -> list[Path]:
    """Bad input: a table of 500 columns and one of 10,000 rows (numbers), one page each."""
    wide = pymupdf.open()
    page = wide.new_page(width=500 * 24 + 40, height=400)
    for c in range(500):
        page.insert_text((20 + 24 * c, 40), [str(r * 500 + c) for r in range(6)], fontsize=6, lineheight=2)
    tall = pymupdf.open()
    page = tall.new_page(width=400, height=14400)
    for c, x in enumerate((20, 120, 220)):
        page.insert_text((x, 2), [str(r * 3 + c) for r in range(10_000)], fontsize=1.2, lineheight=1.15)
    out = [tmp / "bad-500-columns.pdf", tmp / "bad-10000-rows.pdf"]
    wide.save(out[0])
    tall.save(out[1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=6, help="documents per kind")
    ap.add_argument("--kinds", nargs="*", default=KINDS, choices=KINDS)
    ap.add_argument("--skip", nargs="*", default=[], choices=["pymupdf4llm"])
    ap.add_argument("--show", action="store_true", help="print corpusmill's text of each failing document")
    args = ap.parse_args()
    if not pdf_facts.CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {pdf_facts.CORPUS} (its score.py scores the facts)")
    scorer = pdf_facts.load_scorer()
    fontfile = FONT if FONT.is_file() else None
    texts = sentences(latin1_only=fontfile is None)
    words = Phrases(texts)
    w = Writer(fontfile)
    systems = ["corpusmill"] + [s for s in ("pymupdf4llm",) if s not in args.skip]
    with tempfile.TemporaryDirectory() as tmp:
        files, facts, kind_of = [], [], {}
        for kind in args.kinds:
            for i in range(args.docs):
                out = Path(tmp) / f"{kind}-{i:02d}.pdf"
                facts += build(kind, i, texts, words, w, out)
                files.append(out)
                kind_of[out.stem] = kind
        rates: dict[str, dict[str, list[bool]]] = {}
        seconds: dict[str, float] = {}
        texts_of: dict[str, dict[str, str]] = {}
        for s in systems:
            got, secs, _ = pdf_facts.run(s, files)
            texts_of[s], seconds[s] = got, secs
            by: dict[str, list[bool]] = defaultdict(list)
            for fact, ok, _ in scorer.score(facts, got):
                by[kind_of[Path(fact["pdf"]).stem]].append(ok)
                by["all"].append(ok)
            rates[s] = by
        bad = oversized(Path(tmp))
        bad_seconds: dict[str, str] = {}
        for s in systems:
            try:
                bad_seconds[s] = f"{pdf_facts.run(s, bad)[1]:.1f}"
            except RuntimeError as e:  # a peer that fails on the bad input is reported, not fatal
                bad_seconds[s] = f"failed ({str(e)[:80]})"
    per_doc: dict[str, list[bool]] = defaultdict(list)
    for fact, ok, _ in scorer.score(facts, texts_of["corpusmill"]):
        per_doc[Path(fact["pdf"]).stem].append(ok)
    lines = [
        "# Synthetic tables from real text (bench/pdf_tables.py)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {len(files)} documents ({args.docs} per kind), "
        f"{len(facts)} table facts (a cell with its neighbours and column heading, scored by pdf-real's score.py); "
        f"cells from html-dev's real text, font {'DejaVu Sans' if fontfile else 'Helvetica'}",
        "",
        "| kind | facts | " + " | ".join(systems) + " |",
        "|---|---|" + "---|" * len(systems),
    ]
    for kind in args.kinds + ["all"]:
        n = len(rates["corpusmill"][kind])
        lines.append(f"| {kind} | {n} | " + " | ".join(f"{sum(rates[s][kind]) / max(1, n):.3f}" for s in systems) + " |")
    lines += ["", "| system | seconds (wall, one process) | vs corpusmill |", "|---|---|---|"]
    lines += [f"| {s} | {seconds[s]:.1f} | {seconds[s] / max(1e-9, seconds['corpusmill']):.2f}x |" for s in systems]
    lines += ["", "Bad input, seconds to read a one-page table of 500 columns plus one of 10,000 rows: "
              + ", ".join(f"{s} {bad_seconds[s]}" for s in systems)]
    worst = sorted((sum(oks) / len(oks), name) for name, oks in per_doc.items())[:8]
    lines += ["", "Worst corpusmill documents: " + ", ".join(f"{name} {rate:.2f}" for rate, name in worst)]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.show:
        for rate, name in worst:
            if rate < 1:
                print(f"===== {name}\n{texts_of['corpusmill'][name][:3000]}")
    if args.kinds == KINDS:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)


if __name__ == "__main__":
    main()
