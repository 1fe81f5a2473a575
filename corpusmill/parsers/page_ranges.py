"""Long scans across workers: a PDF's pages read in ranges on all workers, joined in order.

A 300-page scan is hours of OCR; as one record it would run on one worker
while the others idle. So before the first segment of a PDF job, the job calls
`prepare` (the `pdf_parse` stage's hook), which runs two passes:

1. `pdf_pages.plan`: each task probes a group of input files in the parser's
   child process (under a time limit): page count, and how many pages have no
   text layer. A PDF of more than `RANGE_PAGES` pages, most of them without
   text, is a long scan, split into ranges of `RANGE_PAGES` pages. The plan
   depends on the file alone, never on the worker count, so neither does the
   output.
2. `pdf_pages.read`: one task per range, run on all workers. A range is parsed
   exactly as a whole document is (page budgets, failed pages; running headers
   and heading sizes judged across the range's pages) and its pages are
   written to `_work/pdf_pages/<sha1>/<start>.json.gz`. The executor's marker
   for a range is written once its file is, so after `kill -9` a rerun redoes
   only the ranges that had not finished. Progress counts pages, so it shows
   pages/s inside a long document.
3. The join: `PdfParse` meets the document's record in its shard, finds its
   ranges by the content's SHA-1, and assembles them in page order instead of
   parsing it again.

Memory: MuPDF reads the file lazily by path, so a range task holds one range's
pages; the document's text is assembled from the small per-range files.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path
from typing import Any, Callable

import orjson

from corpusmill.corpus_stage import RunContext
from corpusmill.tasks import Pass, Task
from corpusmill.parsers.pdf_document import ParseError, Part
from corpusmill.parsers.pdf_worker import Parsed, WorkerFailure
from corpusmill.acquire.media_type import PDF, sniff_media_type
from corpusmill.progress import worker_report

# Pages per range (the stage's `range_pages`): small enough that a 30-page scan spreads over every worker
# of a small machine, large enough that starting a range costs little against
# reading it (~8 x 7 s of OCR against ~2 s to start a parser child).
RANGE_PAGES = 8
# A PDF is a scan to split when at least this share of its pages has no text layer.
SCANNED_SHARE = 0.5
_FILES_PER_PLAN_TASK = 16
_DIR = "pdf_pages"


def prepare(ctx: RunContext, files: list[str], spec: dict[str, Any], reader: str,
            run_pass: Callable[[Pass], dict[str, dict[str, Any]]]) -> None:
    """Plan, then read every range of every long scan, on the executor's workers."""
    if reader != "pdf":
        return  # PDFs inside WARC records are not files a range task could open
    groups = [files[i:i + _FILES_PER_PLAN_TASK] for i in range(0, len(files), _FILES_PER_PLAN_TASK)]
    plan = run_pass(Pass("pdf_pages.plan", [Task(f"{k:05d}", plan_files, (spec, group))
                                            for k, group in enumerate(groups)]))
    ranges = read_pass(ctx, plan, spec)
    if ranges.tasks:
        run_pass(ranges)


def read_pass(ctx: RunContext, plan_results: dict[str, dict[str, Any]], spec: dict[str, Any]) -> Pass:
    """One task per range of each long scan found by the plan; writes each scan's list of ranges."""
    root = ctx.stage_dir(_DIR)
    tasks = []
    size = spec.get("range_pages", RANGE_PAGES)
    for task_id in sorted(plan_results):
        for doc in plan_results[task_id]["scans"]:
            ranges = [(start, min(start + size, doc["pages"])) for start in range(0, doc["pages"], size)]
            folder = root / doc["sha1"]
            folder.mkdir(parents=True, exist_ok=True)
            _write_json(folder / "plan.json", {"path": doc["path"], "pages": doc["pages"], "ranges": ranges})
            tasks += [Task(f"{doc['sha1'][:16]}-{start:07d}", read_range, (spec, str(folder), doc["path"], start, stop))
                      for start, stop in ranges]
    return Pass("pdf_pages.read", tasks)


def plan_files(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Task: which of `paths` are long scans (path, sha1, page count)."""
    stage = _stage(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS))
    scans = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                if sniff_media_type(f.read(4096)) != PDF:
                    continue
            pages, textless = stage.probe(path)
        except (OSError, ParseError, WorkerFailure):
            continue  # the document's own parse reports what is wrong with it
        if pages > stage.range_pages and textless >= SCANNED_SHARE * pages:
            scans.append({"path": path, "sha1": _sha1(path), "pages": pages})
    return {"scans": scans}


def read_range(spec: dict[str, Any], folder: str, path: str, start: int, stop: int) -> dict[str, Any]:
    """Task: parse pages [start, stop) of the PDF at `path` into `folder`/<start>.json.gz."""
    stage = _stage(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS))
    try:
        parsed = stage.parse_range(path, (start, stop))
        body: dict[str, Any] = {"parts": parsed.parts, "page_count": parsed.page_count,
                                "metadata": parsed.metadata, "repaired": parsed.repaired,
                                "seconds": parsed.seconds}
    except ParseError as e:
        body = {"error": e.kind, "message": str(e)}
    except WorkerFailure as e:
        body = {"error": "failed", "message": str(e)}
    _write_json(Path(folder) / f"{start:07d}.json.gz", body)
    worker_report.every = 1
    worker_report.tick(stop - start, 1.0)
    return {"pages": stop - start, "seconds": body.get("seconds", 0.0)}


def joined(folder: Path) -> Parsed | None:
    """The ranges of a planned scan in page order, or None when `folder` holds no plan.

    Raises `ParseError` with the first range's error when a range failed as a whole.
    """
    plan_path = folder / "plan.json"
    if not plan_path.is_file():
        return None
    plan = orjson.loads(plan_path.read_bytes())
    parts: list[Part] = []
    metadata: dict[str, Any] = {}
    repaired = False
    seconds = 0.0
    for start, _ in plan["ranges"]:
        body = orjson.loads(gzip.decompress((folder / f"{start:07d}.json.gz").read_bytes()))
        if "error" in body:
            raise ParseError(body["error"], body["message"])
        parts += [(text, info) for text, info in body["parts"]]
        metadata = metadata or body["metadata"]
        repaired = repaired or body["repaired"]
        seconds += body["seconds"]
    return Parsed(parts, plan["pages"], metadata, repaired, seconds)


def folder_for(ctx: RunContext, sha1: str) -> Path:
    return ctx.work_dir / _DIR / sha1


@functools.lru_cache(maxsize=2)
def _stage(spec_json: bytes) -> Any:
    """The `pdf_parse` stage of this worker process, kept across its tasks (its child keeps the models loaded)."""
    from corpusmill.registry import build_stage

    return build_stage(orjson.loads(spec_json))


def _sha1(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha1").hexdigest()


def _write_json(path: Path, body: dict[str, Any]) -> None:
    """Atomically: a killed task leaves a hidden temporary file (removed by the job), never half a file."""
    data = orjson.dumps(body)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=3, mtime=0)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
