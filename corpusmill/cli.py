"""The `corpusmill` command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from corpusmill import config as cfgmod
from corpusmill.job import JobSpec, OutputInUse, run_job
from corpusmill.progress import Progress
from corpusmill.stats import StatsError, render_summary


def _common_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray)")
    p.add_argument("--quiet", action="store_true", help="no progress or summary output")
    p.add_argument("--overwrite", action="store_true", help="delete OUTPUT first instead of resuming")
    p.add_argument("--print-config", action="store_true",
                   help="print the pipeline as a config file for `corpusmill run` and exit")


def _curation(p: argparse.ArgumentParser, default_preset: str = "fineweb") -> None:
    p.add_argument("--preset", choices=cfgmod.PRESET_NAMES, default=default_preset,
                   help=f"filter preset (default {default_preset})")
    p.add_argument("--no-dedup", action="store_true", help="skip exact and near-duplicate removal")
    p.add_argument("--no-pii", action="store_true", help="skip PII scrubbing")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="corpusmill", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    w = sub.add_parser("warc", help="WARC/ARC dumps -> clean text corpus (FineWeb/RefinedWeb style)")
    w.add_argument("inputs", nargs="+", help="WARC files, globs or folders")
    w.add_argument("--engine", choices=("corpusmill", "trafilatura", "resiliparse"), default="corpusmill",
                   help="HTML extraction engine")
    _curation(w)
    _common_run(w)

    r = sub.add_parser("run", help="run a pipeline config file")
    r.add_argument("config")
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--overwrite", action="store_true")

    e = sub.add_parser("explain", help="why is this record (not) in the corpus")
    e.add_argument("output")
    e.add_argument("record_id")
    e.add_argument("--json", action="store_true")

    rep = sub.add_parser("report", help="rebuild OUT/report.html from a run's output")
    rep.add_argument("output")

    for name, helptext in (("dedup", "exact + near-duplicate removal on an existing JSONL/Parquet corpus"),
                           ("pii", "PII scrubbing on an existing JSONL/Parquet corpus")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("inputs", nargs="+", help="JSONL(.gz)/Parquet files, globs or folders")
        c.add_argument("--text-field", default="text")
        _common_run(c)
        if name == "pii":
            c.add_argument("--mode", choices=("replace", "mask", "annotate", "drop"), default="replace")
        else:
            c.add_argument("--no-exact", action="store_true", help="MinHash only")
    return ap


def _job_for(args: argparse.Namespace) -> JobSpec:
    common: dict[str, Any] = dict(out_dir=args.output, format=args.format, workers=args.workers,
                                  executor=args.executor,
                                  executor_options={"address": args.address} if args.address else {})
    if args.command == "warc":
        pipeline = cfgmod.build_pipeline("warc", args.preset, args.engine, not args.no_dedup,
                                         not args.no_pii)
        return JobSpec(reader="warc", inputs=args.inputs, pipeline=pipeline, **common)
    reader_options = {"text_field": args.text_field}
    if args.command == "dedup":
        pipeline = ([] if args.no_exact else [{"stage": "exact_dedup"}]) + [{"stage": "minhash_dedup"}]
    else:
        pipeline = [{"stage": "pii", "mode": args.mode}]
    return JobSpec(reader="corpus", inputs=args.inputs, pipeline=pipeline, reader_options=reader_options,
                   **common)


def _execute(job: JobSpec, quiet: bool, overwrite: bool) -> int:
    progress = Progress(quiet=quiet)
    try:
        stats = run_job(job, progress, overwrite=overwrite)
    except StatsError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 3
    except (OutputInUse, FileNotFoundError, ValueError, KeyError) as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    if not quiet:
        print(render_summary(stats))
        print(f"corpus: {Path(job.out_dir) / 'data'}   rejects: {Path(job.out_dir) / 'rejects'}   "
              f"stats: {Path(job.out_dir) / 'stats.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "explain":
        from corpusmill.explain import explain, render

        info = explain(Path(args.output), args.record_id)
        if info is None:
            print(f"corpusmill: no record {args.record_id!r} in {args.output}", file=sys.stderr)
            return 1
        print(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() if args.json else render(info))
        return 0
    if args.command == "report":
        from corpusmill.report import write_report

        print(write_report(Path(args.output)))
        return 0
    if args.command == "run":
        job = cfgmod.load_config(args.config)
        if args.workers:
            job.workers = args.workers
        return _execute(job, args.quiet, args.overwrite)
    job = _job_for(args)
    if args.print_config:
        print(cfgmod.dump_config(job), end="")
        return 0
    return _execute(job, args.quiet, args.overwrite)


if __name__ == "__main__":
    sys.exit(main())
