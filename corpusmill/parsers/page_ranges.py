"""Long scans across workers: a PDF's pages read in ranges on all workers, joined in order.

A 300-page scan is hours of OCR; as one record it would run on one worker
while the others idle. So before the first segment of a PDF job, the job calls
`prepare` (the `pdf_parse` stage's hook), which runs two passes:

1. `pdf_pages.plan`: each task probes a group of input files in the parser's
   child process (under a time limit): page count, and how many pages have no
   text layer. A document of more than `RANGE_PAGES` pages, most of them
   without text, is a long scan, split into ranges of `RANGE_PAGES` pages: a
   PDF, or a multi-page TIFF (every frame a page without text). The plan
   depends on the document alone, never on the worker count, so neither does
   the output. A PDF file is probed where it lies. Documents inside a file
   (zip/tar members, WARC responses) are read with the job's own reader,
   options and `--limit`, so the plan meets exactly the records the segment
   will; each one the stage would parse is spilled to
   `_work/pdf_pages/<sha1>/document` (one member in memory at a time, as the
   reader holds it anyway), probed there, and kept only if it is a long scan.
2. `pdf_pages.read`: one task per range, run on all workers. A range is parsed
   exactly as a whole document is (page budgets, failed pages; running headers
   and heading sizes judged across the range's pages) and its pages are
   written to `_work/pdf_pages/<sha1>/<start>.json.gz`. The executor's marker
   for a range is written once its file is, so after `kill -9` a rerun redoes
   only the ranges that had not finished. Progress counts pages, so it shows
   pages/s inside a long document. Once every range is read, the spilled
   documents are removed (a killed run keeps them for its resume; a finished
   run removes `_work` whole, and a half-written spill is a `.tmp` file that
   the next start removes).
3. The join: `PdfParse` meets the document's record in its shard, finds its
   ranges by the content's SHA-1, and assembles them in page order instead of
   parsing it again.

Memory: MuPDF (and PIL, for a TIFF) reads the file lazily by path, so a range
task holds one range's pages; the document's text is assembled from the small
per-range files.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from corpusmill.corpus_stage import RunContext
from corpusmill.record import Record
from corpusmill.tasks import Pass, Task
from corpusmill.parsers.page_model import ReadPage
from corpusmill.parsers.pdf_document import ParseError
from corpusmill.parsers.pdf_worker import Parsed, WorkerFailure
from corpusmill.acquire.media_type import PDF, is_pdf_or_raster_image, sniff_media_type
from corpusmill.progress import worker_report

# Pages per range (the stage's `range_pages`): small enough that a 30-page scan spreads over every worker
# of a small machine, large enough that starting a range costs little against
# reading it (~8 x 7 s of OCR against ~2 s to start a parser child).
RANGE_PAGES = 8
# A document is a scan to split when at least this share of its pages has no text layer.
SCANNED_SHARE = 0.5
# Media types that can hold many pages; single images are never split.
_MULTI_PAGE = (PDF, "image/tiff")
_FILES_PER_PLAN_TASK = 16
_DIR = "pdf_pages"
# A document found inside an input file, spilled for its range tasks to open by path.
_SPILL = "document"


def prepare(ctx: RunContext, files: list[str], spec: dict[str, Any], source: dict[str, Any],
            run_pass: Callable[[Pass], dict[str, dict[str, Any]]]) -> None:
    """Plan, then read every range of every long scan, on the executor's workers.

    `source` is how the job reads `files`: {"reader", "options", "limit"}.
    """
    root = str(ctx.stage_dir(_DIR))
    # Document files are probed 16 to a task; a file read through the reader (an archive, a WARC:
    # minutes of reading) is a task of its own, so that big inputs spread over the workers.
    is_document = {f: _is_document(source, _media_type(f)) for f in files}
    documents = [f for f in files if is_document[f]]
    others = [f for f in files if not is_document[f]]
    groups = [documents[i:i + _FILES_PER_PLAN_TASK] for i in range(0, len(documents), _FILES_PER_PLAN_TASK)]
    tasks = [Task(f"d{k:05d}", plan_files, (spec, source, root, group)) for k, group in enumerate(groups)]
    tasks += [Task(f"r{k:05d}", plan_files, (spec, source, root, [f])) for k, f in enumerate(others)]
    plan = run_pass(Pass("pdf_pages.plan", tasks))
    ranges = read_pass(ctx, plan, spec)
    if ranges.tasks:
        run_pass(ranges)
    for result in plan.values():
        for scan in result["scans"]:
            spill = Path(scan["path"])
            if spill.name == _SPILL and spill.parent.parent == Path(root):
                spill.unlink(missing_ok=True)  # every range is read: the spill has served


def read_pass(ctx: RunContext, plan_results: dict[str, dict[str, Any]], spec: dict[str, Any]) -> Pass:
    """One task per range of each long scan found by the plan; writes each scan's list of ranges."""
    root = ctx.stage_dir(_DIR)
    tasks = []
    size = spec.get("range_pages", RANGE_PAGES)
    for doc in _scans(plan_results):
        ranges = [(start, min(start + size, doc["pages"])) for start in range(0, doc["pages"], size)]
        folder = root / doc["sha1"]
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / "plan.json", {"path": doc["path"], "pages": doc["pages"], "ranges": ranges})
        media_type = doc.get("media_type", PDF)
        tasks += [Task(f"{doc['sha1'][:16]}-{start:07d}", read_range,
                       (spec, str(folder), doc["path"], media_type, start, stop))
                  for start, stop in ranges]
    return Pass("pdf_pages.read", tasks)


def _scans(plan_results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The planned scans in task order, each content once (the same document in two inputs is read once)."""
    seen: set[str] = set()
    out = []
    for task_id in sorted(plan_results):
        for doc in plan_results[task_id]["scans"]:
            if doc["sha1"] not in seen:
                seen.add(doc["sha1"])
                out.append(doc)
    return out


def plan_files(spec: dict[str, Any], source: dict[str, Any], root: str, paths: list[str]) -> dict[str, Any]:
    """Task: the long scans among `paths` and the documents inside them (path, sha1, pages, media type)."""
    stage = _stage(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS))
    scans = []
    for path in paths:
        media_type = _media_type(path)
        if media_type is None:
            continue  # the segment's reader reports it
        if not _is_document(source, media_type):
            scans += _inner_scans(stage, source, Path(root), path)
        elif media_type in _MULTI_PAGE:
            # A document file: probed where it lies, never read into memory here.
            pages = _long_scan_pages(stage, path)
            if pages:
                scans.append({"path": path, "sha1": _sha1(path), "pages": pages, "media_type": media_type})
    return {"scans": scans}


def _media_type(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return sniff_media_type(f.read(4096))
    except OSError:
        return None


def _is_document(source: dict[str, Any], media_type: str | None) -> bool:
    """A file the PDF reader makes one document of (a PDF, an image), rather than one holding documents."""
    return source["reader"] == "pdf" and media_type is not None and is_pdf_or_raster_image(media_type)


def _inner_scans(stage: Any, source: dict[str, Any], root: Path, path: str) -> Iterator[dict[str, Any]]:
    """The long scans among the records the job's reader makes of `path` (archive members, WARC responses)."""
    from corpusmill.job import limited
    from corpusmill.registry import build_reader

    reader = build_reader(source["reader"], source.get("options") or {})
    for rec in limited(reader.read(path), source.get("limit")):
        if not rec.ok or rec.media_type not in _MULTI_PAGE or not stage.handles(rec):
            continue
        sha1 = content_sha1(rec)
        spill = root / sha1 / _SPILL
        # The same bytes met in another input may be spilled already (the name is their SHA-1).
        spilled_here = not spill.is_file()
        if spilled_here:
            spill.parent.mkdir(parents=True, exist_ok=True)
            tmp = spill.with_name(f".{_SPILL}.{os.getpid()}.tmp")
            tmp.write_bytes(rec.content or b"")
            os.replace(tmp, spill)
        rec.content = None
        pages = _long_scan_pages(stage, str(spill))
        if pages:
            yield {"path": str(spill), "sha1": sha1, "pages": pages, "media_type": rec.media_type}
        elif spilled_here:
            spill.unlink(missing_ok=True)


def _long_scan_pages(stage: Any, path: str) -> int:
    """The page count of the document at `path` if it is a long scan to split, else 0."""
    try:
        pages, textless = stage.probe(path)
    except (OSError, ParseError, WorkerFailure):
        return 0  # the document's own parse reports what is wrong with it
    return pages if pages > stage.range_pages and textless >= SCANNED_SHARE * pages else 0


def content_sha1(record: Record) -> str:
    """The key of a document's ranges: the SHA-1 of its bytes (readers record it as `payload_sha1`)."""
    return record.source.get("payload_sha1") or hashlib.sha1(record.content or b"").hexdigest()


def read_range(spec: dict[str, Any], folder: str, path: str, media_type: str, start: int,
               stop: int) -> dict[str, Any]:
    """Task: parse pages [start, stop) of the document at `path` into `folder`/<start>.json.gz."""
    stage = _stage(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS))
    try:
        parsed = stage.parse_range(path, media_type, (start, stop))
        body: dict[str, Any] = {"parts": [part.as_json() for part in parsed.parts], "page_count": parsed.page_count,
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
    parts: list[ReadPage] = []
    metadata: dict[str, Any] = {}
    repaired = False
    seconds = 0.0
    for start, _ in plan["ranges"]:
        body = orjson.loads(gzip.decompress((folder / f"{start:07d}.json.gz").read_bytes()))
        if "error" in body:
            raise ParseError(body["error"], body["message"])
        parts += [ReadPage.from_json(part) for part in body["parts"]]
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
