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
  column or page into the next included;
- absent: every furniture line is not;
- order: each paragraph's end comes before the next paragraph's start.

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


def build(i: int, layout: int, pages: int, texts: list[str], fontfile: Path | None) -> tuple[bytes, dict]:
    """A document in `layout` columns, its paragraphs and its furniture lines.

    The body is one run of paragraphs poured through the columns and pages
    (PyMuPDF's Story), so sentences wrap from one column into the next.
    """
    w, h = 595, 842
    margin, gutter = 56, 18
    col_w = (w - 2 * margin - (layout - 1) * gutter) / layout
    n_paras = {1: 6, 2: 9, 3: 12}[layout] * pages
    paras = [texts[(i * 37 + j) % len(texts)] for j in range(n_paras)]
    html = "".join(f"<p>{html_escape(t)}</p>" for t in paras)
    css = f"@font-face {{font-family: body; src: url({fontfile.name});}} * {{font-family: body;}}" if fontfile else ""
    archive = pymupdf.Archive(str(fontfile.parent)) if fontfile else None
    story = pymupdf.Story(html, user_css=css + " p {font-size: 10pt; margin-bottom: 6pt;}", archive=archive)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more = True
    for _ in range(pages):
        device = writer.begin_page(pymupdf.Rect(0, 0, w, h))
        for c in range(layout):
            x0 = margin + c * (col_w + gutter)
            if more:
                more, _ = story.place(pymupdf.Rect(x0, 70, x0 + col_w, h - 60))
                story.draw(device)
        writer.end_page()
    writer.close()
    doc = pymupdf.open("pdf", buffer.getvalue())
    font = {"fontname": "dejavu", "fontfile": str(fontfile)} if fontfile else {"fontname": "helv"}
    furn: list[str] = []
    for p, page in enumerate(doc, start=1):
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
    return doc.tobytes(), {"paragraphs": placed, "furniture": furn}


def score(text: str, truth: dict) -> dict[str, list[bool]]:
    flat = _SPACE.sub(" ", text)
    out: dict[str, list[bool]] = defaultdict(list)
    paras = truth["paragraphs"]
    for para in paras:
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
    ap.add_argument("--docs", type=int, default=72, help="documents to write (a multiple of 6 covers every layout)")
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
        layout, pages = i % 3 + 1, i // 3 % 2 + 1
        data, truth = build(i, layout, pages, texts, fontfile)
        text = parse_document(data, "application/pdf", ParseConfig(), reader).text
        got = score(text, truth)
        name = f"doc{i:03d} {layout}-col {pages}p"
        fails = []
        left_in = got.pop("left in", [])
        for kind, oks in got.items():
            by_kind[kind] += oks
            by_layout[f"{layout}-col {pages}p"] += oks
            fails += [kind] * oks.count(False)
        all_oks = [ok for oks in got.values() for ok in oks]
        worst.append((sum(all_oks) / len(all_oks), name, fails + [f"furniture kept: {f!r}" for f in left_in]))
    lines = [
        "# Synthetic layouts from real text (bench/pdf_layouts.py)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {args.docs} documents, "
        f"{len(texts)} real sentences from html-dev, font {'DejaVu Sans' if fontfile else 'Helvetica (Latin-1)'}",
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
