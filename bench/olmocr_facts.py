"""olmOCR-bench style fact checks on the dev PDFs, for corpusmill and its peers.

Run: .venv/bin/python bench/olmocr_facts.py [--skip PEER ...]

Re-implemented from the public description of allenai's olmOCR-Bench: each
fact is a small, machine-checkable property of one page's text:

- present: a snippet appears in the page text (exact after normalisation, or
  fuzzy: best partial match ratio >= `threshold`); optional `first_n`/`last_n`
  characters window.
- absent: a snippet (a running header, a page number line) does not appear.
- order: snippet `before` appears, and before snippet `after`.
- table: a cell with text `cell` exists in a Markdown or HTML table of the
  page and its neighbour `right`/`left`/`up`/`down` has the given text.
- math: a formula's glyph run appears, compared with all whitespace removed
  (our PDFs carry formulas as flat text, not LaTeX, so this checks that the
  formula was kept, not how it was typeset).

Normalisation (as olmOCR-bench): Markdown emphasis/heading markers ignored,
whitespace collapsed, typographic quotes and dashes unified; case-sensitive
unless `case_sensitive` is false.

Facts are hand-written in bench/facts/*.jsonl (one file per PDF) from reading
the PDFs. Writes its figures as a section of bench/results/pdf_text.md.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from rapidfuzz import fuzz

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pdf_text  # noqa: E402  (the systems and the corpus location are shared)

FACTS = Path(__file__).resolve().parent / "facts"
RESULTS = pdf_text.RESULTS
_SECTION = "## olmOCR-bench style facts"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
                         "−": "-", "\u00a0": " ", "ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"})
_MD = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|^#{1,6}\s+|^[-*+]\s+|`", re.M)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", _MD.sub("", text.translate(_QUOTES))).strip()


def _find(needle: str, hay: str, threshold: float) -> int | None:
    """Start of `needle` in `hay` (exact, else fuzzy with ratio >= threshold), or None."""
    pos = hay.find(needle)
    if pos >= 0:
        return pos
    if threshold >= 1.0 or not needle:
        return None
    m = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=threshold * 100)
    return m.dest_start if m is not None else None


def check(fact: dict, page_text: str) -> bool:
    case = fact.get("case_sensitive", True)
    threshold = fact.get("threshold", 1.0)
    hay = normalize(page_text)
    prep = (lambda s: normalize(s)) if case else (lambda s: normalize(s).lower())
    if not case:
        hay = hay.lower()
    kind = fact["type"]
    if kind in ("present", "absent"):
        window = hay
        if fact.get("first_n"):
            window = hay[: fact["first_n"]]
        elif fact.get("last_n"):
            window = hay[-fact["last_n"]:]
        found = _find(prep(fact["text"]), window, threshold) is not None
        return found if kind == "present" else not found
    if kind == "order":
        a = _find(prep(fact["before"]), hay, threshold)
        b = _find(prep(fact["after"]), hay, threshold)
        return a is not None and b is not None and a < b
    if kind == "math":
        squash = re.compile(r"\s+")
        return squash.sub("", prep(fact["text"])) in squash.sub("", hay)
    if kind == "table":
        return _check_table(fact, page_text, case)
    raise ValueError(f"unknown fact type {kind!r}")


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown pipe tables and HTML tables in `text` as grids of cell texts."""
    grids: list[list[list[str]]] = []
    rows: list[list[str]] = []
    for line in text.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", s[1:-1])]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                rows.append(cells)
        elif rows:
            grids.append(rows)
            rows = []
    for table in re.findall(r"<table.*?</table>", text, re.S | re.I):
        grid = []
        for tr in re.findall(r"<tr.*?</tr>", table, re.S | re.I):
            grid.append([re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh].*?</t[dh]>", tr, re.S | re.I)])
        grids.append(grid)
    return grids


def _check_table(fact: dict, text: str, case: bool) -> bool:
    def norm(s: str) -> str:
        s = normalize(s)
        return s if case else s.lower()

    target = norm(fact["cell"])
    for grid in _tables(text):
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if norm(cell) != target:
                    continue
                ok = True
                for rel, (dr, dc) in (("right", (0, 1)), ("left", (0, -1)), ("up", (-1, 0)), ("down", (1, 0))):
                    if rel in fact:
                        rr, cc = r + dr, c + dc
                        inside = 0 <= rr < len(grid) and 0 <= cc < len(grid[rr])
                        ok = ok and inside and norm(grid[rr][cc]) == norm(fact[rel])
                if ok:
                    return True
    return False


def load_facts() -> list[dict]:
    facts = []
    for path in sorted(FACTS.glob("*.jsonl")):
        for i, line in enumerate(path.read_text().splitlines()):
            if line.strip():
                fact = json.loads(line)
                fact.setdefault("id", f"{path.stem}:{i + 1}")
                facts.append(fact)
    return facts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip", nargs="*", default=[], help="peers to leave out")
    args = ap.parse_args()
    facts = load_facts()
    pdfs = sorted({f["pdf"] for f in facts})
    files = [pdf_text.CORPUS / "dev" / "files" / f"{p}.pdf" for p in pdfs]
    systems = [s for s in pdf_text.PEERS if s not in args.skip]
    passed: dict[str, dict[str, list[bool]]] = {}
    failures: dict[str, list[str]] = defaultdict(list)
    for name in systems:
        out = pdf_text.run_system(name, files)
        per_type: dict[str, list[bool]] = defaultdict(list)
        for fact in facts:
            pages = out[f"{fact['pdf']}.pdf"]["pages"]
            page = pages[fact["page"] - 1] if fact["page"] <= len(pages) else ""
            ok = check(fact, page)
            per_type[fact["type"]].append(ok)
            per_type["all"].append(ok)
            if not ok:
                failures[name].append(fact["id"])
        passed[name] = per_type
        print(f"{name}: {sum(per_type['all'])}/{len(per_type['all'])}", file=sys.stderr)
    types = [t for t in ("present", "absent", "order", "table", "math") if any(f["type"] == t for f in facts)]
    lines = [
        _SECTION,
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; bench/olmocr_facts.py; {len(facts)} hand-written "
        f"facts on {len(pdfs)} dev PDFs (bench/facts/*.jsonl); pass rate per fact type (n)",
        "",
        "| type | n | " + " | ".join(systems) + " |",
        "|---|---|" + "---|" * len(systems),
    ]
    for t in types + ["all"]:
        n = len(passed[systems[0]][t])
        lines.append(f"| {t} | {n} | " + " | ".join(f"{sum(passed[s][t]) / n:.2f}" for s in systems) + " |")
    lines += ["", "corpusmill fails: " + (", ".join(failures["corpusmill"]) or "none"), ""]
    section = "\n".join(lines)
    print(section)
    previous = RESULTS.read_text() if RESULTS.exists() else ""
    head = previous.split(_SECTION)[0].rstrip()
    RESULTS.write_text((head + "\n\n" if head else "") + section)


if __name__ == "__main__":
    main()
