"""A job: inputs -> shards -> segments of stages -> data/, rejects/, stats.json.

The pipeline is a list of stage specs. Corpus stages (dedup) split it into
segments (see corpus_stage.py); each segment is one pass of the executor over
the shards, and a corpus stage's global passes run between two segments.
Everything a worker needs travels as plain data (the job spec), so the same
job runs on local processes or on Ray.
"""
from __future__ import annotations

import glob
import os
import resource
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from corpusmill import executors
from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.executors.base import Executor
from corpusmill.executors.markers import MarkerStore
from corpusmill.output_folder import MARKER, OutputFolder, OutputInUse, claim, is_within
from corpusmill.progress import Progress, worker_report
from corpusmill.readers import iter_rows
from corpusmill.record import Record
from corpusmill.registry import build_reader, build_stage, reader_class, stage_class
from corpusmill.stage import Stage, StageStats, chain
from corpusmill.stats import RunStats, StatsError
from corpusmill.tasks import Pass, Task
from corpusmill.writers import ShardWriter, suffix


@dataclass
class JobSpec:
    reader: str
    inputs: list[str]
    out_dir: str
    pipeline: list[dict[str, Any]]
    format: str = "jsonl"
    reader_options: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    executor: str = "local"
    executor_options: dict[str, Any] = field(default_factory=dict)
    files_per_shard: int = 1
    limit: int | None = None  # documents read from each input file (None: all)
    keep_work: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "JobSpec":
        return cls(**d)

    def fingerprint(self, files: list[str]) -> dict[str, Any]:
        """What must match for a rerun to resume instead of mixing two different runs.

        `files` is the expanded input list: shard `k` is its `k`-th slice, so each file's identity
        (path, size, mtime) is part of the run's identity. A file added to an input folder would
        otherwise shift every later shard, and a resumed run would skip one file and write another twice.
        """
        return {"reader": self.reader, "files": [file_identity(f) for f in files], "pipeline": self.pipeline,
                "format": self.format, "reader_options": self.reader_options, "limit": self.limit}


def file_identity(path: str) -> list[Any]:
    """[path, size, mtime in ns]: a file replaced or rewritten in place is another input."""
    st = os.stat(path)
    return [path, st.st_size, st.st_mtime_ns]


# ---------------------------------------------------------------- shards

class InputError(ValueError):
    """An input the job cannot read at all; raised before any work starts."""


def expand_inputs(inputs: list[str], reader: str, out: str | Path | None = None) -> list[str]:
    """Globs and folders -> a sorted, de-duplicated list of files.

    In a folder, the WARC and corpus readers take the files they can read (the corpus
    reader, given a corpusmill run's output folder, its `data/` only); the
    PDF job takes every file, so whatever is not a document is accounted for
    as a named drop (`no_parser:<type>`) rather than passed over. A URL, a path
    that does not exist or a glob that matches nothing is an `InputError`.
    With `out` (the run's output folder), the run never reads its own output:
    a folder walk passes over `out` when it lies inside the folder, and an input
    that is `out` or one of the job's outputs in it (`data/`, ...) is an `InputError`.
    """
    takes = reader_class(reader).takes
    out_abs = Path(os.path.abspath(out)).resolve() if out is not None else None
    files: list[str] = []
    if not inputs:
        raise InputError("no inputs given")
    for arg in inputs:
        if "://" in arg:
            raise InputError(f"input {arg!r} is a URL; corpusmill reads local files "
                             "(download it, or mount the bucket and give the mounted path)")
        # A literal name may hold glob characters ("scan[1].pdf").
        matches = sorted(glob.glob(arg)) or ([arg] if os.path.exists(arg) else [])
        if not matches:
            what = "glob matches no file" if glob.has_magic(arg) else "no such file or folder"
            raise InputError(f"input {arg!r}: {what}")
        for m in matches:
            p = Path(m)
            if out_abs is not None:
                _refuse_own_output(m, p.resolve(), out_abs)
            if p.is_dir():
                if reader == "corpus" and (p / MARKER).is_file() and (p / "data").is_dir():
                    p = p / "data"  # a run's output folder: its corpus, not its rejects, markers or stats
                skip = out_abs if out_abs is not None and p.resolve() in out_abs.parents else None
                for f in sorted(p.rglob("*")):
                    if f.is_file() and takes(f.name) and not (skip and is_within(f, skip)):
                        files.append(str(f))
            else:
                files.append(str(p))
    seen: set[str] = set()
    out_files = []
    for f in files:
        key = os.path.abspath(f)
        if key not in seen:
            seen.add(key)
            out_files.append(key)
    return out_files


def _refuse_own_output(arg: str, path: Path, out: Path) -> None:
    """An input that is the output folder, or what a job writes in it, would be read while rewritten."""
    own = [out / name for name in (*RUN_OUTPUTS, MARKER)]
    if path == out or any(path == o or o in path.parents for o in own):
        raise InputError(f"input {arg!r} is this run's own output (in {str(out)!r}); "
                         "give the output another folder with -o")


def make_shards(files: list[str], files_per_shard: int) -> list[dict[str, Any]]:
    n = max(1, files_per_shard)
    return [{"id": f"{i // n:05d}", "paths": files[i:i + n]} for i in range(0, len(files), n)]


# ---------------------------------------------------------------- segments

@dataclass
class Segment:
    before: dict[str, Any] | None  # corpus stage whose decisions this segment applies
    stages: list[dict[str, Any]]
    after: dict[str, Any] | None  # corpus stage whose side data this segment collects


def is_corpus_stage(spec: dict[str, Any]) -> bool:
    return issubclass(stage_class(spec["stage"]), CorpusStage)


def split_segments(pipeline: list[dict[str, Any]]) -> list[Segment]:
    segments: list[Segment] = []
    before: dict[str, Any] | None = None
    current: list[dict[str, Any]] = []
    for spec in pipeline:
        if spec.get("enabled", True) is False:
            continue
        if is_corpus_stage(spec):
            segments.append(Segment(before, current, spec))
            before, current = spec, []
        else:
            current.append(spec)
    segments.append(Segment(before, current, None))
    return segments


def _intermediate(out: Path, seg: int, shard_id: str) -> Path:
    return out / "_work" / "segments" / str(seg) / f"{shard_id}.jsonl.gz"


def _counted_source(job: JobSpec, shard: dict[str, Any], stats: StageStats) -> Iterator[Record]:
    """The shard's input records, counted as the run's input, with progress ticks."""
    reader = build_reader(job.reader, job.reader_options)
    stats.name = reader.name
    paths = shard["paths"]
    for i, path in enumerate(paths):
        size = max(os.path.getsize(path), 1) if os.path.isfile(path) else 1
        t0 = time.perf_counter()
        for rec in limited(reader.read(path), job.limit):
            stats.seconds += time.perf_counter() - t0
            stats.count(rec)
            off = rec.source.get("warc_offset")
            frac = (i + min(off / size, 1.0)) / len(paths) if isinstance(off, int) else None
            worker_report.tick(1, frac)
            yield rec
            t0 = time.perf_counter()
        stats.seconds += time.perf_counter() - t0


def limited(records: Iterator[Record], limit: int | None) -> Iterator[Record]:
    """The records of one input file up to its `limit`-th document (`--limit`; None: all)."""
    documents = 0
    for rec in records:
        if limit is not None and rec.status != "dropped":
            # Records the reader drops (WARC requests, metadata) are not documents.
            if documents == limit:
                return
            documents += 1
        yield rec


def _intermediate_source(path: Path) -> Iterator[Record]:
    for row in iter_rows(path):
        worker_report.tick(1)
        yield Record.from_dict(row)


def run_segment(job_d: dict[str, Any], seg_index: int, shard: dict[str, Any]) -> dict[str, Any]:
    """One segment over one shard, in a worker. Returns the shard's stats for the marker."""
    job = JobSpec.from_dict(job_d)
    out = Path(job.out_dir)
    ctx = RunContext(out)
    segments = split_segments(job.pipeline)
    seg = segments[seg_index]
    sid = shard["id"]
    last = seg_index == len(segments) - 1

    stages: list[Stage] = []
    if seg.before is not None:
        cs = build_stage(seg.before)
        assert isinstance(cs, CorpusStage)
        stages.append(cs.apply(ctx, sid))
    stages += [build_stage(s) for s in seg.stages]  # type: ignore[misc]
    for st in stages:
        bind = getattr(st, "bind_run", None)  # stages that find what their `prepare` left in the run's folder
        if bind is not None:
            bind(ctx)
    collect: Stage | None = None
    if seg.after is not None:
        cs = build_stage(seg.after)
        assert isinstance(cs, CorpusStage)
        collect = cs.collect(ctx, sid)

    started_at = time.time()
    source_stats = StageStats("reader")
    stream: Iterator[Record]
    if seg_index == 0:
        stream = _counted_source(job, shard, source_stats)
    else:
        stream = _intermediate_source(_intermediate(out, seg_index - 1, sid))
    stream = chain(stream, *stages, *([collect] if collect is not None else []))

    ok_path = (out / "data" / f"{sid}{suffix(job.format)}" if last
               else _intermediate(out, seg_index, sid))
    rej_name = f"{sid}.jsonl.gz" if seg_index == 0 else f"{sid}.s{seg_index}.jsonl.gz"
    writer = ShardWriter(ok_path, out / "rejects" / rej_name, job.format if last else "jsonl", corpus=last,
                         column_types=_input_column_types(shard["paths"]) if last else None,
                         on_reject=_rejects_filter(job.pipeline))
    try:
        writer.write_all(stream)
        for st in stages:
            st.close()
        if collect is not None:
            collect.close()
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    worker_report.tick(0, 1.0)
    return {
        "shard": sid,
        "input": source_stats.input if seg_index == 0 else None,
        "reader": source_stats.to_dict() if seg_index == 0 else None,
        "stages": [st.stats.to_dict() for st in stages],
        "collect": ({"name": seg.after["stage"], "seconds": collect.stats.seconds}
                    if collect is not None else None),
        "written": writer.counts,
        "started_at": started_at,
        "finished_at": time.time(),
        # Peak RSS of this worker process so far (Linux: KiB): per-worker memory, any executor.
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _rejects_filter(pipeline: list[dict[str, Any]]) -> Callable[[Record], None] | None:
    """What a stage of the pipeline, wherever it stands, asks the writers to do to every reject
    (the PII stage: no raw text of records dropped before it): `rejects_filter(spec)`."""
    for spec in pipeline:
        if spec.get("enabled", True) is False:
            continue
        make = getattr(stage_class(spec["stage"]), "rejects_filter", None)
        if make is not None:
            return make(spec)
    return None


def _input_column_types(paths: list[str]) -> dict[str, Any]:
    """Arrow types of a Parquet input's columns, so a corpus's own columns keep them in Parquet output."""
    types: dict[str, Any] = {}
    for path in paths:
        if path.endswith(".parquet"):
            import pyarrow.parquet as pq

            try:
                schema = pq.read_schema(path)
            except Exception:  # unreadable: the reader has made an error record of it
                continue
            for f in schema:
                types.setdefault(f.name, f.type)
    return types


# ---------------------------------------------------------------- the run

def make_executor(job: JobSpec) -> Executor:
    return executors.make_executor(job.executor, job.workers, job.executor_options)


def run_job(job: JobSpec, progress: Progress | None = None, overwrite: bool = False) -> RunStats:
    """Runs (or resumes) the job in its output folder, which it claims for the run (see output_folder.py)."""
    files = expand_inputs(job.inputs, job.reader, job.out_dir)
    if not files:
        raise InputError(f"no readable {job.reader} files in {', '.join(job.inputs)}")
    with claim(job.out_dir, "job") as folder:
        return _run_claimed(job, files, folder, progress or Progress(), overwrite)


def _run_claimed(job: JobSpec, files: list[str], folder: OutputFolder, progress: Progress,
                 overwrite: bool) -> RunStats:
    out = folder.path
    if overwrite:
        reset_output(folder)
    folder.own(*RUN_OUTPUTS)
    markers = MarkerStore(out)
    claim_run(out, job.fingerprint(files))
    folder.remove_partial_files()

    shards = make_shards(files, job.files_per_shard)
    shard_ids = [s["id"] for s in shards]
    segments = split_segments(job.pipeline)
    executor = make_executor(job)
    ctx = RunContext(out)
    job_d = job.to_dict()
    t0 = time.monotonic()
    # A stage may prepare work on all workers before the first segment (the PDF
    # stage reads long scans in page ranges): `prepare(ctx, files, spec, source, run_pass)`, where
    # `source` says how the segment reads the files (reader, its options, the limit).
    source = {"reader": job.reader, "options": job.reader_options, "limit": job.limit}
    for spec in segments[0].stages:
        prepare = getattr(stage_class(spec["stage"]), "prepare", None)
        if prepare is not None:
            prepare(ctx, files, spec, source, lambda p: executor.run_pass(p, markers, progress))
    seg_results: list[dict[str, dict[str, Any]]] = []
    pass_seconds: dict[str, float] = {}
    try:
        for k, seg in enumerate(segments):
            p = Pass(f"segment{k}", [Task(s["id"], run_segment, (job_d, k, s)) for s in shards])
            seg_results.append(executor.run_pass(p, markers, progress))
            if seg.after is not None:
                cs = build_stage(seg.after)
                assert isinstance(cs, CorpusStage)
                for gp in cs.passes(ctx, shard_ids):
                    label = gp.name if gp.name.startswith(cs.name) else f"{cs.name}:{gp.name}"
                    named = Pass(f"s{k}.{label}", gp.tasks)
                    res = executor.run_pass(named, markers, progress)
                    pass_seconds[cs.name] = pass_seconds.get(cs.name, 0.0) + sum(
                        float(r.get("seconds", 0.0)) for r in res.values())
    except KeyboardInterrupt:
        # The executor stopped its workers; what they left half-written goes, their markers never came.
        folder.remove_partial_files()
        raise

    peak_kb = max((int(r.get("max_rss_kb") or 0) for res in seg_results for r in res.values()), default=0)
    stats = RunStats.from_segments(seg_results, pass_seconds, wall_seconds=time.monotonic() - t0,
                                   executor=executor.name, workers=job.workers, shards=len(shards),
                                   worker_peak_rss_mb=round(peak_kb / 1024, 1))
    (out / "stats.json").write_bytes(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2))
    folder.remove_partial_files()  # left by workers killed mid-task, whose tasks were retried
    from corpusmill.report import write_report

    write_report(out)
    stats.check()
    if not job.keep_work:
        # Intermediate segments and corpus stages' side data (signatures, buckets):
        # every marker is written by now, so a rerun needs none of it.
        shutil.rmtree(out / "_work", ignore_errors=True)
    return stats


RUN_OUTPUTS = ("data", "rejects", "_markers", "_work", "stats.json", "report.html")


def reset_output(folder: OutputFolder) -> None:
    """Remove what a job wrote, and only that: never a folder's other contents (a crawl's WARCs, the user's files)."""
    folder.clear(RUN_OUTPUTS)


def _fingerprint_path(out: Path, kind: str = "job") -> Path:
    return out / "_markers" / f"{kind}.json"


def holds_a_run(out: Path) -> bool:
    """Whether `out` is the output folder of some run (what `report` and `explain` read)."""
    return _fingerprint_path(out).is_file()


def holds_run_of(out: Path, job: JobSpec) -> bool:
    """Whether `out` holds (part of) a run of this very job over the same input files, so running it resumes."""
    files = expand_inputs(job.inputs, job.reader, out)
    return _stored_fingerprint(out) == _as_stored(job.fingerprint(files))


def _stored_fingerprint(out: Path, kind: str = "job") -> dict[str, Any] | None:
    try:
        return orjson.loads(_fingerprint_path(out, kind).read_bytes())
    except FileNotFoundError:
        return None


def _as_stored(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint as it reads back from job.json (tuples as lists), for comparing."""
    return orjson.loads(orjson.dumps(fingerprint))


def claim_run(out: Path, fingerprint: dict[str, Any], kind: str = "job") -> None:
    """Refuse to resume into an output folder that holds a different run, saying what differs.

    `kind` names the fingerprint's file (`_markers/<kind>.json`): `mix` and `pack` keep theirs apart
    from a job's, so `report`/`explain` do not take their folders for a job's."""
    old, new = _stored_fingerprint(out, kind), _as_stored(fingerprint)
    if old == new:
        return
    if old is not None:
        fix = "use another -o, or --overwrite to start over (it removes only this run's outputs)"
        if {k: v for k, v in old.items() if k != "files"} == {k: v for k, v in new.items() if k != "files"}:
            changed = _files_changed(old.get("files") or [], new["files"])
            raise OutputInUse(f"{out} holds a run over other input files ({changed}); "
                              f"resuming would give shards other files than they had; {fix}")
        raise OutputInUse(f"{out} holds the output of a different run (pipeline or settings changed); {fix}")
    path = _fingerprint_path(out, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(orjson.dumps(fingerprint, option=orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def _files_changed(old: list[list[Any]], new: list[list[Any]]) -> str:
    """'2 added: a.warc.gz, c.warc.gz; 1 changed: b.warc.gz': how two input lists differ, for people."""
    before = {f[0]: f for f in old}
    after = {f[0]: f for f in new}
    parts = []
    for what, names in (("added", [p for p in after if p not in before]),
                        ("removed", [p for p in before if p not in after]),
                        ("changed", [p for p in after if p in before and before[p] != after[p]])):
        if names:
            shown = ", ".join(Path(n).name for n in names[:3]) + (", ..." if len(names) > 3 else "")
            parts.append(f"{len(names)} {what}: {shown}")
    return "; ".join(parts) or "the same files in another order"


__all__ = ["JobSpec", "run_job", "run_segment", "StatsError", "OutputInUse", "InputError"]
