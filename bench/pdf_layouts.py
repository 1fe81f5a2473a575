"""Synthetic page layouts from real text: furniture, columns and reading order beyond the dev PDFs.

Run: .venv/bin/python bench/pdf_layouts.py [--docs N]

The pdf-real dev set has a few dozen layouts; held-out PDFs have others. This
bench writes pages with PyMuPDF in layouts the dev set barely covers (one,
two and three columns; one- and two-page documents; running heads with and
without folios, "Page n of m", download and DOI stamps, vertical margin
stamps, side folios) and fills them with real sentences in many languages:
the `with` snippets of ../shared/corpora/html-dev (German, English, French,
Polish, Spanish, ...), set in DejaVu Sans where installed (Latin-1 text in
Helvetica otherwise). corpusmill's PDF parser reads them back and is scored
like the facts bench:

- present: every paragraph is in the text whole, those wrapping from one
  column or page into the next included, and every sidebar, caption and
  footnote;
- absent: every furniture line is not;
- order: each paragraph's end comes before the next paragraph's start.

Documents 0-71 are plain columns. From 72 on, magazine-style variants in
turn (each in 1-3 columns, 1-2 pages): `figure`, a picture with a caption
in the first column of the first page that the text flows around (a
sentence broken by the figure must come out whole, the caption apart);
`sidebar`, a framed box of text at the outer edge beside narrowed columns;
`footnotes`, numbered notes set small above the footer (content, not
furniture).

Prints pass rates per fact kind and per layout, and the worst documents.
Writes bench/results/pdf_layouts.md.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections import defaultdict
from datetime import datetime, timezone
from html import escape as html_escape
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from corpusmill.parsers.page_ocr import PageReader  # noqa: E402
from corpusmill.parsers.pdf_document import ParseConfig, parse_document  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html-dev" / "expectations.json"
RESULTS = ROOT / "bench" / "results" / "pdf_layouts.md"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_SPACE = re.compile(r"\s+")
_JOURNALS = ["Journal of Applied Studies", "Revue des sciences sociales", "Zeitschrift für Verwaltung",
             "Przegląd Historyczny", "Boletín de Economía", "Annals of Public Health"]
_MONTHS = ["January", "March", "May", "July", "September", "November"]


def sentences(latin1_only: bool) -> list[str]:
    """Real sentences: the html-dev set's expected snippets that read as prose."""
    pages = json.loads(CORPUS.read_text())
    out = []
    for key in sorted(pages):
        for s in pages[key].get("with", []):
            s = _SPACE.sub(" ", s).strip()
            if len(s) >= 60 and len(s.split()) >= 8 and "http" not in s and not s.isupper():
                if latin1_only and not all(ord(c) < 256 for c in s):
                    continue
                out.append(s)
    return out


def furniture(i: int, page: int, pages: int) -> dict[str, str]:
    """Running head, footer and stamps of document i, page `page` (1-based)."""
    journal = _JOURNALS[i % len(_JOURNALS)]
    year = 2000 + i % 24
    kinds = {
        "head": [f"{journal}, Vol. {i % 40 + 1}, No. {i % 4 + 1} ({year})",
                 f"{100 + 2 * i + page} {journal.upper()}",
                 f"{journal.upper()} {100 + 2 * i + page}"][i % 3],
        "foot": [f"Page {page} of {pages}", str(page + i % 200), f"doi:10.{1000 + i}/j.{year}.{i:05d}"][i // 3 % 3],
        "stamp": f"Downloaded from https://example.org/article/{i} on {i % 28 + 1} {_MONTHS[i % 6]} {year}",
    }
    return kinds


VARIANTS = ("figure", "sidebar", "footnotes")
_PLAIN_DOCS = 72


def variant(i: int) -> str:
    """The layout variant of document i: plain columns for the first 72, then the magazine variants in turn."""
    return "columns" if i < _PLAIN_DOCS else VARIANTS[(i - _PLAIN_DOCS) // 6 % len(VARIANTS)]


def build(i: int, layout: int, pages: int, texts: list[str], fontfile: Path | None,
          kind: str = "columns") -> tuple[bytes, dict]:
    """A document in `layout` columns (and `kind`'s figure, sidebar or footnotes), its text and furniture.

    The body is one run of paragraphs poured through the columns and pages
    (PyMuPDF's Story), so sentences wrap from one column into the next, and
    around a figure.
    """
    w, h = 595, 842
    margin, gutter = 56, 18
    # A sidebar takes the outer edge of every page; the columns share what is left.
    side_w = 150 if kind == "sidebar" else 0
    body_w = w - 2 * margin - (side_w + gutter if side_w else 0)
    col_w = (body_w - (layout - 1) * gutter) / layout
    bottom = h - (130 if kind == "footnotes" else 60)
    n_paras = {1: 6, 2: 9, 3: 12}[layout] * pages
    paras = [texts[(i * 37 + j) % len(texts)] for j in range(n_paras)]
    html = "".join(f"<p>{html_escape(t)}</p>" for t in paras)
    css = f"@font-face {{font-family: body; src: url({fontfile.name});}} * {{font-family: body;}}" if fontfile else ""
    archive = pymupdf.Archive(str(fontfile.parent)) if fontfile else None
    story = pymupdf.Story(html, user_css=css + " p {font-size: 10pt; margin-bottom: 6pt;}", archive=archive)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more = True
    figure: pymupdf.Rect | None = None
    for p in range(pages):
        device = writer.begin_page(pymupdf.Rect(0, 0, w, h))
        for c in range(layout):
            x0 = margin + c * (col_w + gutter)
            rects = [pymupdf.Rect(x0, 70, x0 + col_w, bottom)]
            if kind == "figure" and p == 0 and c == 0:
                # The picture sits a third of the way down; the text flows above and below it.
                figure = pymupdf.Rect(x0, 250, x0 + col_w, 250 + min(180, col_w * 0.7))
                rects = [pymupdf.Rect(x0, 70, x0 + col_w, figure.y0 - 8),
                         pymupdf.Rect(x0, figure.y1 + 40, x0 + col_w, bottom)]
            for rect in rects:
                if more:
                    more, _ = story.place(rect)
                    story.draw(device)
        writer.end_page()
    writer.close()
    doc = pymupdf.open("pdf", buffer.getvalue())
    font = {"fontname": "dejavu", "fontfile": str(fontfile)} if fontfile else {"fontname": "helv"}
    furn: list[str] = []
    extras: list[str] = []  # sidebar, caption and footnote texts: present, apart from the paragraphs
    extra_texts = [t for t in texts if len(t) <= 220]
    for p, page in enumerate(doc, start=1):
        extra = extra_texts[(i * 11 + p) % len(extra_texts)]
        if kind == "figure" and p == 1 and figure is not None:
            page.draw_rect(figure, color=(0.3, 0.3, 0.3), fill=(0.85, 0.88, 0.9))
            words = extra.split()
            caption = f"Figure {p}. " + " ".join(words[:next((k for k in range(len(words), 0, -1)
                                                            if len(" ".join(words[:k])) <= 60), 1)])
            cap = pymupdf.Rect(figure.x0, figure.y1 + 4, figure.x1, figure.y1 + 200)
            if page.insert_textbox(cap, caption, fontsize=7, **font) < 0:
                raise RuntimeError("caption does not fit")
            # The box is taller than the caption: the story below the figure must start under the caption.
            extras.append(caption)
        elif kind == "sidebar":
            box = pymupdf.Rect(w - margin - side_w, 90, w - margin, 90 + 260)
            page.draw_rect(box, color=(0.2, 0.3, 0.5), fill=(0.93, 0.95, 0.98))
            if page.insert_textbox(box + (8, 8, -8, -8), extra, fontsize=9, **font) < 0:
                raise RuntimeError("sidebar does not fit")
            extras.append(extra)
        elif kind == "footnotes":
            note = f"{p} {extra}"
            if page.insert_textbox(pymupdf.Rect(margin, bottom + 12, w - margin, h - 40), note, fontsize=7, **font) < 0:
                raise RuntimeError("footnote does not fit")
            extras.append(note)
        f = furniture(i, p, pages)
        page.insert_text((margin, 40), f["head"], fontsize=8, **font)
        page.insert_text((w / 2 - 20, h - 30), f["foot"], fontsize=8, **font)
        if i % 2 == 0:
            page.insert_text((margin, h - 16), f["stamp"], fontsize=6, **font)
            furn.append(f["stamp"])
        if i % 4 == 1:
            page.insert_text((w - 30, h - 120), f["stamp"], fontsize=6, rotate=90, **font)
            furn.append(f["stamp"])
        furn += [f["head"], f["foot"]]
    # Paragraphs the pages hold whole (the story may run out of room in the middle of the last one).
    written = _norm(" ".join(page.get_text() for page in doc))
    placed = [t for t in paras if _norm(t[:30]) in written and _norm(t[-30:]) in written]
    return doc.tobytes(), {"paragraphs": placed, "furniture": furn, "extras": extras}


def score(text: str, truth: dict) -> dict[str, list[bool]]:
    flat = _SPACE.sub(" ", text)
    out: dict[str, list[bool]] = defaultdict(list)
    paras = truth["paragraphs"]
    for para in paras + truth.get("extras", []):
        out["present"].append(_norm(para) in flat)
    for a, b in zip(paras, paras[1:]):
        ia, ib = flat.find(_norm(a[-40:])), flat.find(_norm(b[:40]))
        out["order"].append(0 <= ia < ib)
    for f in sorted(set(truth["furniture"])):
        # A line found as a whole: a folio "4" is not found in "2014".
        kept = re.search(rf"(?<!\w){re.escape(_norm(f))}(?!\w)", flat) is not None
        out["absent"].append(not kept)
        if kept:
            out["left in"].append(f)
    return out


def _norm(s: str) -> str:
    return _SPACE.sub(" ", s).strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=_PLAIN_DOCS + 6 * len(VARIANTS),
                    help="documents to write (72 plain, then 6 of each magazine variant)")
    ap.add_argument("--no-tables", action="store_true",
                    help="table finders off: furniture and reading order alone (a prose column read as a table "
                         "fails present and order)")
    args = ap.parse_args()
    if not CORPUS.is_file():
        raise SystemExit(f"corpus not found: {CORPUS}")
    fontfile = FONT if FONT.is_file() else None
    texts = sentences(latin1_only=fontfile is None)
    reader = PageReader()
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_layout: dict[str, list[bool]] = defaultdict(list)
    worst: list[tuple[float, str, list[str]]] = []
    for i in range(args.docs):
        layout, pages, kind = i % 3 + 1, i // 3 % 2 + 1, variant(i)
        data, truth = build(i, layout, pages, texts, fontfile, kind)
        text = parse_document(data, "application/pdf", ParseConfig(tables=not args.no_tables), reader).text
        got = score(text, truth)
        label = f"{layout}-col {pages}p" + ("" if kind == "columns" else f" {kind}")
        name = f"doc{i:03d} {label}"
        fails = []
        left_in = got.pop("left in", [])
        for kind, oks in got.items():
            by_kind[kind] += oks
            by_layout[label] += oks
            fails += [kind] * oks.count(False)
        all_oks = [ok for oks in got.values() for ok in oks]
        worst.append((sum(all_oks) / len(all_oks), name, fails + [f"furniture kept: {f!r}" for f in left_in]))
    lines = [
        "# Synthetic layouts from real text (bench/pdf_layouts.py)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {args.docs} documents, "
        f"{len(texts)} real sentences from html-dev, font {'DejaVu Sans' if fontfile else 'Helvetica (Latin-1)'}"
        + ("; table finders off" if args.no_tables else ""),
        "",
        "| fact | n | corpusmill |",
        "|---|---|---|",
    ]
    for kind in ("present", "absent", "order"):
        oks = by_kind[kind]
        lines.append(f"| {kind} | {len(oks)} | {sum(oks) / max(1, len(oks)):.3f} |")
    lines += ["", "| layout | facts | pass rate |", "|---|---|---|"]
    for layout, oks in sorted(by_layout.items()):
        lines.append(f"| {layout} | {len(oks)} | {sum(oks) / len(oks):.3f} |")
    lines += ["", "Worst documents:", ""]
    for rate, name, fails in sorted(worst)[:8]:
        lines.append(f"- {name}: {rate:.3f} (failed: {'; '.join(sorted(set(fails))) or 'none'})")
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
