"""HTML main-text extraction on html-dev: quality and speed of corpusmill vs its peers.

One run, one process pinned to one core: every engine gets the same raw page bytes and
URL through `html_to_text` (so charset decoding is timed for all of them alike), is scored
with trafilatura's own rule (corpusmill.extract.scoring) and timed in pages/s. Metadata
(title, author, date, sitename) is compared with the `metadata` of expectations.json.

    .venv/bin/python bench/html_extraction.py [--engines corpusmill,trafilatura,...]
        [--set html-dev|warc-dev] [--dump DIR]

`--set warc-dev` scores the second dev set (bench/html_warc_dev.json: Python documentation,
forum and shop pages from the dev WARC, with `with`/`without` snippets written from the
pages), so that tuning on html-dev alone shows when it does not carry over.

Besides the corpus figures it reports the tail: pages where corpusmill's per-page F1 is
below 0.2 while a peer's is above 0.8 (a wrong container, not a missed sentence), and
pages with empty output, per engine. `--dump DIR` writes every page's text and per-page
F1 per engine as JSON lines, for looking at the tail.

Writes bench/results/html_extraction.md (html-dev) or html_extraction_warc_dev.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpusmill.extract import html_to_text  # noqa: E402
from corpusmill.extract.scoring import SnippetScore  # noqa: E402

CORPORA = ROOT / ".." / "shared" / "corpora"
CORPUS = CORPORA / "html-dev"
WARC_DEV = ROOT / "bench" / "html_warc_dev.json"
RESULTS = {"html-dev": ROOT / "bench" / "results" / "html_extraction.md",
           "warc-dev": ROOT / "bench" / "results" / "html_extraction_warc_dev.md"}
# The tail: pages where we fail (F1 below TAIL_OURS) while a peer succeeds (above TAIL_PEER).
TAIL_OURS = 0.2
TAIL_PEER = 0.8
ENGINES = ("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse")
METADATA_FIELDS = ("title", "author", "date", "sitename")


def _norm_meta(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def load_pages() -> list[tuple[str, bytes, dict]]:
    expectations = json.loads((CORPUS / "expectations.json").read_text(encoding="utf-8"))
    return [(name, gzip.decompress((CORPUS / "pages" / f"{name}.gz").read_bytes()), exp)
            for name, exp in sorted(expectations.items())]


def load_warc_dev() -> list[tuple[str, bytes, dict]]:
    """The second dev set: payloads read from the dev WARC at the offsets the expectations
    name (the HTTP layer, Content-Encoding included, undone by corpusmill's WARC reader)."""
    from corpusmill.acquire.warc_reader import WarcReader  # noqa: PLC0415 - only this set needs it

    expectations = json.loads(WARC_DEV.read_text(encoding="utf-8"))["pages"]
    wanted = {exp["url"]: name for name, exp in expectations.items()}
    payloads: dict[str, bytes] = {}
    for record in WarcReader().read(CORPORA / "warc" / "dev.warc.gz"):
        name = wanted.get(record.source.get("uri"))
        if name and isinstance(record.content, bytes) and name not in payloads:
            payloads[name] = record.content
    missing = sorted(set(expectations) - set(payloads))
    if missing:
        sys.exit(f"{len(missing)} pages of {WARC_DEV.name} not in the dev WARC: {missing[:3]}")
    return [(name, payloads[name], exp) for name, exp in sorted(expectations.items())]


def page_f1(text: str, exp: dict) -> float:
    one = SnippetScore()
    one.add(text, exp["with"], exp["without"])
    return one.f1


def run_engine(engine: str, pages: list[tuple[str, bytes, dict]]) -> dict:
    score = SnippetScore()
    per_page: dict[str, float] = {}
    texts: dict[str, str] = {}
    meta_hits = {f: 0 for f in METADATA_FIELDS}
    meta_total = {f: 0 for f in METADATA_FIELDS}
    seconds = 0.0
    for _name, content, exp in pages:
        # CPU time, not wall time: the machine is shared, and every engine is single-threaded.
        url = exp["url"] if exp["url"].startswith(("http://", "https://")) else None
        t0 = time.process_time()
        try:
            result = html_to_text(content, url=url, engine=engine)
            text, metadata = result.text, result.metadata
        except Exception:  # the scoring rule: a crash counts as empty output
            text, metadata = "", {}
        seconds += time.process_time() - t0
        score.add(text, exp["with"], exp["without"])
        per_page[_name] = page_f1(text, exp)
        texts[_name] = text
        for f in METADATA_FIELDS:
            expected = (exp.get("metadata") or {}).get(f)
            if expected:
                meta_total[f] += 1
                if metadata.get(f) and _norm_meta(metadata[f]) == _norm_meta(expected):
                    meta_hits[f] += 1
    return {
        "engine": engine, "precision": score.precision, "recall": score.recall, "f1": score.f1,
        "accuracy": score.accuracy, "pages_per_s": len(pages) / seconds, "seconds": seconds,
        "metadata": {f: (meta_hits[f] / meta_total[f] if meta_total[f] else 0.0, meta_total[f])
                     for f in METADATA_FIELDS},
        "per_page": per_page, "texts": texts,
        "empty": sorted(n for n, t in texts.items() if not t.strip()),
    }


def tail(results: list[dict], engine: str = "corpusmill") -> list[tuple[str, float, dict]]:
    """Pages where `engine` scores below TAIL_OURS and some peer above TAIL_PEER."""
    ours = next((r for r in results if r["engine"] == engine), None)
    peers = [r for r in results if r["engine"] in ("trafilatura", "resiliparse")]
    if ours is None or not peers:
        return []
    rows = []
    for name, f1 in sorted(ours["per_page"].items()):
        best = {p["engine"]: p["per_page"][name] for p in peers}
        if f1 < TAIL_OURS and max(best.values()) > TAIL_PEER:
            rows.append((name, f1, best))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--set", dest="dev_set", choices=tuple(RESULTS), default="html-dev")
    parser.add_argument("--dump", type=Path, help="write per-page texts and F1 here (JSON lines)")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"html-dev not found at {CORPUS}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    pages = load_pages() if args.dev_set == "html-dev" else load_warc_dev()
    engines = [e for e in args.engines.split(",") if e]
    for engine in engines:  # warm-up: imports and first-call costs stay out of the timing
        html_to_text(pages[0][1], engine=engine)
    results = [run_engine(e, pages) for e in engines]
    ref = next((r for r in results if r["engine"] == "trafilatura"), None)

    header = ("| engine | precision | recall | F1 | accuracy | pages/s | speed vs trafilatura "
              "| F1 vs trafilatura |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for r in results:
        speed = f"{r['pages_per_s'] / ref['pages_per_s']:.2f}x" if ref else "-"
        df1 = f"{r['f1'] - ref['f1']:+.4f}" if ref else "-"
        lines.append(f"| {r['engine']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} "
                     f"| {r['accuracy']:.4f} | {r['pages_per_s']:.1f} | {speed} | {df1} |")
    meta_lines = ["| engine | " + " | ".join(
        f"{f} (n={results[0]['metadata'][f][1]})" for f in METADATA_FIELDS) + " |",
        "|---|" + "---|" * len(METADATA_FIELDS)]
    for r in results:
        meta_lines.append(f"| {r['engine']} | " + " | ".join(
            f"{r['metadata'][f][0]:.3f}" for f in METADATA_FIELDS) + " |")

    tail_rows = tail(results)
    tail_lines = [f"Tail: {len(tail_rows)} pages where corpusmill's F1 < {TAIL_OURS} while "
                  f"trafilatura's or resiliparse's is > {TAIL_PEER}"
                  + (": " + ", ".join(f"{n} ({f:.2f} vs " + "/".join(f"{v:.2f}" for v in b.values())
                                       + ")" for n, f, b in tail_rows) if tail_rows else ".")]
    tail_lines.append("Empty outputs: " + "; ".join(
        f"{r['engine']} {len(r['empty'])}" + (f" ({', '.join(r['empty'][:10])})" if r["empty"] else "")
        for r in results) + ".")
    kinds = sorted({exp.get("kind") for _n, _c, exp in pages} - {None})
    for kind in kinds:
        per_kind = []
        for r in results:
            score = SnippetScore()
            for name, _content, exp in pages:
                if exp.get("kind") == kind:
                    score.add(r["texts"][name], exp["with"], exp["without"])
            per_kind.append(f"{r['engine']} {score.f1:.4f}")
        n = sum(1 for _n, _c, exp in pages if exp.get("kind") == kind)
        tail_lines.append(f"F1 on {kind} pages ({n}): " + "; ".join(per_kind) + ".")
    tail_lines.append("Pages with F1 < 0.5: " + "; ".join(
        f"{r['engine']} {sum(f < 0.5 for f in r['per_page'].values())}" for r in results) + ".")
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for r in results:
            with (args.dump / f"{args.dev_set}.{r['engine']}.jsonl").open("w", encoding="utf-8") as f:
                for name, text in r["texts"].items():
                    f.write(json.dumps({"page": name, "f1": r["per_page"][name], "text": text},
                                       ensure_ascii=False) + "\n")

    table = "\n".join(lines)
    has_metadata = any(results[0]["metadata"][f][1] for f in METADATA_FIELDS)
    meta_table = "\n".join(meta_lines) if has_metadata else ""
    tail_text = "\n\n".join(tail_lines)
    print(table)
    print()
    if meta_table:
        print(meta_table)
    print()
    print(tail_text)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores {platform.machine()}, shared with other jobs; bench pinned to 1 core"
    out = RESULTS[args.dev_set]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"## HTML extraction ({args.dev_set}, {len(pages)} pages)\n\n"
        f"Date: {now}. Machine: {machine}. Python {platform.python_version()}.\n"
        "Scoring: trafilatura's tests/eval_common.py rule (whitespace-normalised snippet "
        "matching, corpus-level counts; a crash counts as empty output). Timing: "
        "`html_to_text(bytes, url, engine)` per page, charset decoding included, one process "
        "pinned to one core, all engines in the same run; pages/s from the process's CPU time "
        "(`time.process_time`), since other jobs share the machine's cores.\n\n"
        f"{table}\n\n"
        + ("Metadata accuracy (exact match after whitespace/case normalisation, over the pages "
           "whose expectations name the field; resiliparse has no author/date/sitename "
           f"extractor):\n\n{meta_table}\n\n" if meta_table else "")
        + f"{tail_text}\n",
        encoding="utf-8",
    )
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
