"""PDF text-layer benchmark: corpusmill's PdfParse vs pymupdf4llm, pdfplumber, pypdfium2.

Run: .venv/bin/python bench/pdf_text.py [--limit N] [--skip PEER ...]

Data: /work/shared/corpora/pdf/dev (24 born-digital PDFs, 467 pages); ground
truth is poppler's pdftotext of each page. Per system and category:

- BoW F1 (raw): bag-of-words F1 of the document's text vs the gt, order-free.
  Tokens are lower-cased \\w+ runs, each CJK character one token, Markdown
  syntax gone with the punctuation. Both sides are de-hyphenated the same way.
- BoW F1 (no furniture): the same after removing from the gt what is running
  furniture by the gt alone (lines at a page's top/bottom that repeat, digits
  ignored, on >= 30% of pages, and lone page numbers there). corpusmill
  removes those on purpose; peers that keep them lose nothing by it since
  only the gt side changes and we report precision-sensitive F1 for both.
- CER: character error rate per page (Levenshtein / gt length over
  whitespace-normalised text, Markdown markup stripped), summed over pages;
  it is sensitive to reading order. Scored against the no-furniture gt.
- pages/s: one process, wall time of the system's own work (imports and
  process start-up excluded for peers; corpusmill includes its child process
  and IPC), and pages per CPU-second: the CPU time (user + system, all
  threads) the system spent on the documents, for corpusmill its parent and
  its parser child together. CPU time is what a shared or loaded machine
  does not inflate, and what "pages/s on one core" means.

Every peer runs in its own subprocess (pymupdf4llm switches global PyMuPDF
state). Writes bench/results/pdf_text.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "pdf"
RESULTS = ROOT / "bench" / "results" / "pdf_text.md"
sys.path.insert(0, str(ROOT))
from corpusmill.parsers.math_latex import latex_to_text  # noqa: E402
PEERS = ("corpusmill", "pymupdf4llm", "pymupdf4llm-layout", "pdfplumber", "pypdfium2")

_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:(?:page|p\.)\s*)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|/)\s*\d{1,5})?[\W_]*$", re.I)
_MD_LINE = re.compile(r"^(#{1,6}\s+|[-*+]\s+|>\s+)", re.M)
_MD_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*\|?$", re.M)
_MD_MARKS = re.compile(r"```\w*|\*\*|__|\|")
_SPACE = re.compile(r"\s+")
_DISPLAY_MATH = re.compile(r"\$\$\n?(.*?)\n?\$\$", re.S)
# HTML table markup (tables with spanning cells are written as <table>), not words.
_HTML_TAG = re.compile(r"</?(?:table|tr|th|td)\b[^>]*>")


# ---------------------------------------------------------------- metrics
def tokens(text: str) -> Counter[str]:
    # Displayed formulas compare by the glyphs they show, as Markdown by its text.
    text = _DISPLAY_MATH.sub(lambda m: latex_to_text(m.group(1)), _HTML_TAG.sub(" ", text))
    return Counter(_WORD.findall(_HYPHEN_BREAK.sub(r"\1\2", text).lower()))


def bow_f1(pred: str, gold: str) -> float:
    p, g = tokens(pred), tokens(gold)
    if not g and not p:
        return 1.0
    inter = sum((p & g).values())
    prec = inter / max(1, sum(p.values()))
    rec = inter / max(1, sum(g.values()))
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def plain(text: str) -> str:
    """Markdown markup and layout whitespace removed, for CER."""
    text = _DISPLAY_MATH.sub(lambda m: latex_to_text(m.group(1)), _HTML_TAG.sub(" ", text))
    text = _MD_TABLE_RULE.sub(" ", text)
    text = _MD_LINE.sub("", text)
    text = _MD_MARKS.sub(" ", text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    return _SPACE.sub(" ", text).strip()


def edit_distance(a: str, b: str) -> int:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b)


def strip_furniture(pages: list[str]) -> list[str]:
    """The gt without running headers/footers/page numbers, decided on the gt alone."""
    def key(line: str) -> str:
        return _SPACE.sub(" ", re.sub(r"\d+", "#", line.lower())).strip()

    edges: list[set[int]] = []
    counts: Counter[str] = Counter()
    split = [p.splitlines() for p in pages]
    for lines in split:
        idx = [i for i, line in enumerate(lines) if line.strip()]
        cand = set(idx[:2] + idx[-2:])
        edges.append(cand)
        counts.update({key(lines[i]) for i in cand})
    threshold = max(2, 0.3 * len(pages))
    out = []
    for lines, cand in zip(split, edges):
        keep = [
            line for i, line in enumerate(lines)
            if not (i in cand and (_PAGE_NUMBER.match(line.strip()) or (len(pages) >= 2 and counts[key(line)] >= threshold)))
        ]
        out.append("\n".join(keep))
    return out


# ---------------------------------------------------------------- systems
class PeerMissing(Exception):
    """A peer whose package is not installed here: left out of the run with one line."""


# Exit status of a peer subprocess whose package does not import.
_MISSING = 3


def run_system(name: str, files: list[Path]) -> dict[str, dict]:
    """{doc file name: {"pages": [page texts], "seconds": s}} for one system."""
    if name == "corpusmill":
        return _run_corpusmill(files)
    proc = subprocess.run(
        [sys.executable, __file__, "--peer", name, *map(str, files)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode == _MISSING:
        raise PeerMissing(proc.stderr.strip().splitlines()[-1])
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def _run_corpusmill(files: list[Path]) -> dict[str, dict]:
    sys.path.insert(0, str(ROOT))
    from corpusmill.parsers.pdf_stage import PdfParse
    from corpusmill.record import Record

    stage = PdfParse(timeout_s=300)
    # Warm the child process so start-up is not charged to the first document.
    warm = Record(id="warm", media_type="application/pdf", content=files[0].read_bytes())
    list(stage([warm]))
    out: dict[str, dict] = {}
    for f in files:
        rec = Record(id=f.name, media_type="application/pdf", content=f.read_bytes())
        t0, c0 = time.perf_counter(), _cpu_seconds(stage)
        list(stage([rec]))
        secs, cpu = time.perf_counter() - t0, _cpu_seconds(stage) - c0
        pages = [rec.text[p["text_span"][0]:p["text_span"][1]] for p in rec.pages] if rec.ok else []
        out[f.name] = {"pages": pages, "seconds": secs, "cpu": cpu,
                       "routes": Counter(p["route"] for p in rec.pages) if rec.ok else {}}
    stage.close()
    return out


def _cpu_seconds(stage) -> float:
    """CPU time of this process and of the stage's parser child so far (0 for a child not running)."""
    own = time.process_time()
    proc = stage._worker._proc
    if proc is None or proc.poll() is not None:
        return own
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return own
    # utime and stime, fields 14 and 15 of stat(5), in clock ticks.
    return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peer_main(name: str, files: list[str]) -> None:
    try:
        extract = _peer_extractor(name)
    except ImportError as e:
        print(f"{name} skipped: {e} (pip install it to compare)", file=sys.stderr)
        raise SystemExit(_MISSING) from None
    out: dict[str, dict] = {}
    for path in files:
        t0, c0 = time.perf_counter(), time.process_time()
        pages = extract(path)
        out[Path(path).name] = {"pages": pages, "seconds": time.perf_counter() - t0,
                                "cpu": time.process_time() - c0}
    print(json.dumps(out))


def _peer_extractor(name: str):
    """The peer's function from a PDF path to its page texts (ImportError: its package is missing)."""
    if name.startswith("pymupdf4llm"):
        import pymupdf4llm

        pymupdf4llm.use_layout(name.endswith("layout"))

        def extract(path: str) -> list[str]:
            chunks = pymupdf4llm.to_markdown(path, page_chunks=True, show_progress=False)
            return [c["text"] for c in chunks]
    elif name == "pymupdf-text":
        import pymupdf

        def extract(path: str) -> list[str]:
            with pymupdf.open(path) as doc:
                return [page.get_text() for page in doc]
    elif name == "pdfplumber":
        import pdfplumber

        def extract(path: str) -> list[str]:
            with pdfplumber.open(path) as pdf:
                return [page.extract_text() or "" for page in pdf.pages]
    elif name == "pypdfium2":
        import pypdfium2

        def extract(path: str) -> list[str]:
            doc = pypdfium2.PdfDocument(path)
            try:
                return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
            finally:
                doc.close()
    else:
        raise SystemExit(f"unknown peer {name}")
    return extract


# ---------------------------------------------------------------- report
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N PDFs")
    ap.add_argument("--skip", nargs="*", default=[], help="peers to leave out")
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        _peer_main(args.peer, args.files)
        return
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found: {CORPUS}")
    manifest = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    if args.limit:
        manifest = manifest[: args.limit]
    files = [CORPUS / m["file"] for m in manifest]
    gold_raw = {m["id"]: [p.read_text() for p in sorted((CORPUS / m["gt_dir"]).glob("page-*.txt"))] for m in manifest}
    gold_clean = {k: strip_furniture(v) for k, v in gold_raw.items()}
    systems = [s for s in PEERS if s not in args.skip]

    rows: dict[str, dict[str, dict[str, float]]] = {}
    speed: dict[str, float] = {}
    cpu_speed: dict[str, float] = {}
    routes: Counter[str] = Counter()
    for name in list(systems):
        t0 = time.perf_counter()
        try:
            result = run_system(name, files)
        except PeerMissing as e:
            print(e, file=sys.stderr)
            systems.remove(name)
            continue
        print(f"{name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        per_cat: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        total_pages = total_secs = total_cpu = 0.0
        for m in manifest:
            r = result[Path(m["file"]).name]
            pages = r["pages"]
            total_pages += m["pages"]
            total_secs += r["seconds"]
            total_cpu += r["cpu"]
            if name == "corpusmill":
                routes.update(r.get("routes", {}))
            text = "\n".join(pages)
            raw, clean = gold_raw[m["id"]], gold_clean[m["id"]]
            dist = glen = 0
            for i, g in enumerate(clean):
                gp = plain(g)
                pp = plain(pages[i]) if i < len(pages) else ""
                dist += edit_distance(pp, gp)
                glen += len(gp)
            for cat in (m["category"], "all"):
                per_cat[cat]["f1_raw"].append(bow_f1(text, "\n".join(raw)))
                per_cat[cat]["f1_clean"].append(bow_f1(text, "\n".join(clean)))
                per_cat[cat]["dist"].append(dist)
                per_cat[cat]["glen"].append(glen)
        rows[name] = {
            cat: {
                "f1_raw": sum(v["f1_raw"]) / len(v["f1_raw"]),
                "f1_clean": sum(v["f1_clean"]) / len(v["f1_clean"]),
                "cer": sum(v["dist"]) / max(1, sum(v["glen"])),
                "docs": len(v["f1_raw"]),
            }
            for cat, v in per_cat.items()
        }
        speed[name] = total_pages / max(1e-9, total_secs)
        cpu_speed[name] = total_pages / max(1e-9, total_cpu)
    report = _report(manifest, systems, rows, speed, cpu_speed, routes)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


def _report(manifest, systems, rows, speed, cpu_speed, routes) -> str:
    cats = sorted({m["category"] for m in manifest}) + ["all"]
    n_pages = sum(m["pages"] for m in manifest)
    lines = [
        "# PDF text-layer benchmark (bench/pdf_text.py)",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: 2 cores {platform.machine()} (shared), "
        f"Python {platform.python_version()}",
        f"- data: {len(manifest)} born-digital PDFs, {n_pages} pages (/work/shared/corpora/pdf/dev); "
        "gt = pdftotext per page",
        "- F1 raw = bag-of-words F1 vs the gt as is; F1 clean = vs the gt without running headers/footers/page "
        "numbers (removed from the gt by repetition, on the gt alone); CER vs the clean gt, per page, Markdown "
        "markup stripped; mean over documents per category",
        "- peers: pymupdf4llm = pymupdf4llm.to_markdown with use_layout(False) (its rule-based mode); "
        "pymupdf4llm-layout = its 2.0 default with the pymupdf-layout ONNX model; pdfplumber extract_text; "
        "pypdfium2 get_text_range",
        f"- corpusmill page routes: {dict(routes)}",
        "",
        "## Speed (one process: pages per wall second, pages per CPU-second)",
        "",
        "| system | pages/s (wall) | pages/CPU-s | CPU-s vs corpusmill |",
        "|---|---|---|---|",
    ]
    for s in systems:
        ratio = cpu_speed[s] / cpu_speed["corpusmill"] if "corpusmill" in cpu_speed else float("nan")
        lines.append(f"| {s} | {speed[s]:.1f} | {cpu_speed[s]:.1f} | {ratio:.2f}x |")
    for metric, label in (("f1_raw", "BoW F1, raw gt"), ("f1_clean", "BoW F1, gt without furniture"),
                          ("cer", "CER (lower is better), gt without furniture")):
        lines += ["", f"## {label}", "", "| category | docs | " + " | ".join(systems) + " |",
                  "|---|---|" + "---|" * len(systems)]
        for cat in cats:
            docs = rows[systems[0]][cat]["docs"]
            vals = " | ".join(f"{rows[s][cat][metric]:.4f}" for s in systems)
            lines.append(f"| {cat} | {docs} | {vals} |")
    return "\n".join(lines) + "\n" + _NOTES


_NOTES = """
## Notes

- The gt (pdftotext) keeps running headers, footers and page numbers; corpusmill removes them on purpose,
  so the raw-gt F1 charges it for that. The "without furniture" gt removes them by repetition among the
  first/last two lines of each gt page, judged on the gt alone. Beamer navigation bars and footlines span
  more lines than that: corpusmill removes them, the cleaned gt keeps them, which is most of the slides gap.
- pdfplumber's extract_text glues words on these TeX PDFs (they draw no space glyphs; default x_tolerance),
  hence its low BoW F1 and its "absent" passes in the facts table (a glued snippet is never found).
- The olmOCR-style facts were written by reading the pages; the "absent" facts are running headers and page
  numbers, which olmOCR-bench also expects to be removed.
"""


if __name__ == "__main__":
    main()
