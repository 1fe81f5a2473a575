"""Real-world PDFs to Markdown, scored with olmOCR-bench style facts: corpusmill vs its peers.

Run: .venv/bin/python bench/pdf_facts.py [--pdf SUBSTR ...] [--skip PEER ...] [--save DIR]

Data: ../shared/corpora/pdf-real (58 real-world PDFs: reports, forms, financial
tables, scans, slides, multi-column articles, math papers, non-English) with
facts in olmOCR-bench's schema (present / absent / order / table / math) and
the corpus's own scorer, score.py, which this script imports and calls, so the
figures are the ones `python score.py facts.jsonl OUT` prints.

Systems, each over the same PDFs in the same run:
- corpusmill: the PDF stage (`PdfParse`, as `corpusmill pdf` runs it: child
  process, text layer, tables, OCR with the bundled RapidOCR), page texts as
  the record's text.
- pymupdf4llm: `to_markdown` with its 2.0 defaults (PyMuPDF-Layout model,
  OCR for pages without usable text), pages joined.
- pymupdf: raw `page.get_text()` per page, pages joined.

pages/s is the system's own wall time over all pages of the PDFs run (one
process; imports and start-up excluded). With `--pdf` only the PDFs whose file
name contains one of the given strings run, and the table is printed but not
written; the full run writes bench/results/pdf_facts.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pdf_text  # noqa: E402  (runs corpusmill and the peers, each peer in its own process)

CORPUS = pdf_text.ROOT.parent / "shared" / "corpora" / "pdf-real"
RESULTS = pdf_text.ROOT / "bench" / "results" / "pdf_facts.md"
# Our name -> pdf_text's system name.
SYSTEMS = {"corpusmill": "corpusmill", "pymupdf4llm": "pymupdf4llm-layout", "pymupdf": "pymupdf-text"}


def load_scorer():
    """The corpus's score.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("pdf_real_score", CORPUS / "score.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def run(name: str, files: list[Path]) -> tuple[dict[str, str], float, Counter[str]]:
    """({pdf basename: markdown}, seconds, corpusmill page routes) of one system."""
    result = pdf_text.run_system(SYSTEMS[name], files)
    texts = {Path(f).stem: "\n\n".join(p for p in r["pages"] if p.strip()) for f, r in result.items()}
    seconds = sum(r["seconds"] for r in result.values())
    routes: Counter[str] = Counter()
    for r in result.values():
        routes.update(r.get("routes", {}))
    return texts, seconds, routes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdf", nargs="*", default=[], help="only PDFs whose file name contains one of these")
    ap.add_argument("--skip", nargs="*", default=[], choices=list(SYSTEMS), help="systems to leave out")
    ap.add_argument("--save", type=Path, help="write each system's {pdf: markdown} JSON into this folder")
    ap.add_argument("--fails", action="store_true", help="list corpusmill's failing facts")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    scorer = load_scorer()
    manifest = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    if args.pdf:
        manifest = [m for m in manifest if any(s in Path(m["file"]).name for s in args.pdf)]
        if not manifest:
            raise SystemExit(f"no PDF in {CORPUS} matches {args.pdf}")
    names = {Path(m["file"]).stem for m in manifest}
    facts = [f for f in scorer.load_facts(CORPUS / "facts.jsonl") if Path(f["pdf"]).stem in names]
    files = [CORPUS / m["file"] for m in manifest]
    n_pages = sum(m["pages"] for m in manifest)
    systems = [s for s in SYSTEMS if s not in args.skip]

    passed: dict[str, dict[str, list[int]]] = {}
    speed: dict[str, float] = {}
    routes: Counter[str] = Counter()
    fails: list[str] = []
    for name in systems:
        t0 = time.perf_counter()
        texts, seconds, got_routes = run(name, files)
        print(f"{name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{name}.json").write_text(json.dumps(texts, ensure_ascii=False, indent=0))
        by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for fact, ok, why in scorer.score(facts, texts):
            for t in (fact["type"], "all"):
                by_type[t][0] += int(ok)
                by_type[t][1] += 1
            if name == "corpusmill" and not ok:
                fails.append(f"{fact['id']} [{fact['type']}] {why}".rstrip())
        passed[name] = by_type
        speed[name] = n_pages / max(1e-9, seconds)
        if name == "corpusmill":
            routes = got_routes
    report = _report(manifest, facts, systems, passed, speed, routes, n_pages, subset=bool(args.pdf))
    print(report)
    if args.fails:
        print("corpusmill fails:\n" + "\n".join(fails), file=sys.stderr)
    if not args.pdf:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)


def _report(manifest, facts, systems, passed, speed, routes, n_pages, subset: bool) -> str:
    types = [t for t in ("present", "absent", "order", "table", "math") if any(f["type"] == t for f in facts)]
    lines = [
        "# Real-world PDFs: olmOCR-bench style facts (bench/pdf_facts.py)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: 2 cores {platform.machine()} (shared), "
        f"Python {platform.python_version()}",
        f"- data: {'subset of ' if subset else ''}../shared/corpora/pdf-real dev: {len(manifest)} PDFs, "
        f"{n_pages} pages, {len(facts)} facts; scored by the corpus's score.py (pass rate per fact type, n)",
        "- systems: corpusmill = the PDF stage (text layer, tables, RapidOCR); pymupdf4llm = to_markdown 2.0 "
        "defaults (PyMuPDF-Layout model + OCR); pymupdf = raw page.get_text()",
        f"- corpusmill page routes: {dict(sorted(routes.items()))}",
        "",
        "| type | n | " + " | ".join(systems) + " |",
        "|---|---|" + "---|" * len(systems),
    ]
    for t in types + ["all"]:
        n = passed[systems[0]][t][1]
        lines.append(f"| {t} | {n} | " + " | ".join(f"{passed[s][t][0] / max(1, n):.3f}" for s in systems) + " |")
    lines += ["", "| system | pages/s | vs corpusmill |", "|---|---|---|"]
    for s in systems:
        ratio = speed[s] / speed["corpusmill"] if "corpusmill" in speed else float("nan")
        lines.append(f"| {s} | {speed[s]:.2f} | {ratio:.2f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
