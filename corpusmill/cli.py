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
    p.add_argument("--tokenizer", default=None,
                   help="count tokens (metadata.tokens, tokens per stage): o200k_base, cl100k_base, "
                        "whitespace, or a path to a tokenizer.json")


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
    w.add_argument("--engine", choices=("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse"), default="corpusmill",
                   help="HTML extraction engine")
    _curation(w)
    _common_run(w)

    pd = sub.add_parser("pdf", help="PDF files, folders, zip/tar archives, images, WARCs -> text/Markdown corpus")
    pd.add_argument("inputs", nargs="+", help="PDFs, images, folders, .zip/.tar(.gz), WARC files")
    pd.add_argument("--ocr-engine", default="default", help="CPU OCR engine: default, rapidocr, tesseract")
    pd.add_argument("--backend", choices=("cpu", "mineru"), default="cpu",
                    help="mineru: the torch layout+OCR model pipeline (GPU if present), weights from --models")
    pd.add_argument("--models", default=None, help="local folder with the model weights (--backend mineru)")
    pd.add_argument("--llm-endpoint", default=None,
                    help="OpenAI-compatible server for hard pages, e.g. http://host:8000/v1")
    pd.add_argument("--llm-model", default=None)
    pd.add_argument("--dpi", type=int, default=200, help="page rendering resolution for OCR")
    pd.add_argument("--no-ocr-layout", action="store_true",
                    help="OCR pages without the layout model (no headings or running headers/footers found)")
    pd.add_argument("--timeout", type=float, default=120.0, help="seconds per document before it is killed")
    pd.add_argument("--memory-mb", type=int, default=4096, help="memory limit of the parser process")
    pd.add_argument("--files-per-shard", type=int, default=8)
    _curation(pd, default_preset="none")
    _common_run(pd)

    c = sub.add_parser("crawl", help="crawl a seed list -> WARC archive + clean corpus")
    c.add_argument("seeds", help="a file with one URL per line (# starts a comment)")
    c.add_argument("--max-pages", type=int, default=1000)
    c.add_argument("--max-depth", type=int, default=3)
    c.add_argument("--scope", choices=("same-domain", "same-host", "regex", "any"), default="same-domain")
    c.add_argument("--include", action="append", default=[], help="regex a URL must match (repeatable)")
    c.add_argument("--exclude", action="append", default=[], help="regex of URLs to skip (repeatable)")
    c.add_argument("--render", choices=("never", "auto", "always"), default="auto",
                   help="render pages in Chromium: auto = only pages whose static HTML needs scripts")
    c.add_argument("--allow-private", action="store_true",
                   help="allow private/loopback/link-local targets (refused by default)")
    c.add_argument("--user-agent", default=None)
    c.add_argument("--concurrency", type=int, default=16, help="requests in flight over all hosts")
    c.add_argument("--delay", type=float, default=1.0, help="seconds between requests to one host")
    c.add_argument("--crawl-only", action="store_true", help="write the WARC archive, skip processing")
    c.add_argument("--engine", choices=("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse"), default="corpusmill")
    _curation(c)
    _common_run(c)

    r = sub.add_parser("run", help="run a pipeline config file")
    r.add_argument("config")
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--overwrite", action="store_true")

    e = sub.add_parser("explain", help="why is this record (not) in the corpus")
    e.add_argument("output")
    e.add_argument("record_id")
    e.add_argument("--json", action="store_true")

    dc = sub.add_parser("decontam", help="drop or cut documents overlapping benchmark files (13-gram)")
    dc.add_argument("inputs", nargs="+", help="JSONL(.gz)/Parquet files, globs or folders")
    dc.add_argument("--benchmark", action="append", required=True, metavar="NAME=PATH[:FIELDS[:ID_FIELD]]",
                    help="benchmark file (JSONL/Parquet); FIELDS: comma-separated text fields (default text)")
    dc.add_argument("--ngram", type=int, default=13, help="n-gram length in words (default 13)")
    dc.add_argument("--mode", choices=("drop", "cut"), default="drop")
    dc.add_argument("--text-field", default="text")
    _common_run(dc)

    mx = sub.add_parser("mix", help="a training mixture from a recipe: token shares, budget, epochs, phases")
    mx.add_argument("recipe", help="recipe YAML (sources, domain, shares, tokens, tokenizer, max_epochs, ...)")
    mx.add_argument("--strict", action="store_true", help="refuse shares/fractions that do not sum to 1")
    mx.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    mx.add_argument("--quiet", action="store_true")

    pk = sub.add_parser("pack", help="pack a corpus or mixture into sequences of N tokens (best-fit decreasing)")
    pk.add_argument("inputs", nargs="+", help="mix/run output folders or JSONL/Parquet corpus files")
    pk.add_argument("-o", "--output", required=True)
    pk.add_argument("--seq-len", type=int, required=True, help="tokens per sequence")
    pk.add_argument("--tokenizer", default="o200k_base")
    pk.add_argument("--window-tokens", type=int, default=20_000_000,
                    help="tokens packed together (memory bound; larger packs tighter)")
    pk.add_argument("--no-eos", action="store_true", help="do not end each document with the EOS token")
    pk.add_argument("--no-text", action="store_true", help="skip the decoded text view")
    pk.add_argument("--text-field", default="text")
    pk.add_argument("--overwrite", action="store_true")
    pk.add_argument("--quiet", action="store_true")

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
            c.add_argument("--types", default=None,
                           help="comma-separated PII types to scrub (default: all), e.g. EMAIL,PHONE")
            c.add_argument("--mask-char", default="*")
        else:
            c.add_argument("--no-exact", action="store_true", help="MinHash only")
    return ap


def _job_for(args: argparse.Namespace) -> JobSpec:
    job = _job_without_tokens(args)
    if getattr(args, "tokenizer", None):
        from corpusmill.tokens.stage import insert_token_stage

        job.pipeline = insert_token_stage(job.pipeline, args.tokenizer)
    return job


def _job_without_tokens(args: argparse.Namespace) -> JobSpec:
    common: dict[str, Any] = dict(out_dir=args.output, format=args.format, workers=args.workers,
                                  executor=args.executor,
                                  executor_options={"address": args.address} if args.address else {})
    if args.command in ("warc", "crawl"):
        pipeline = cfgmod.build_pipeline(args.command, args.preset, args.engine, not args.no_dedup,
                                         not args.no_pii)
        return JobSpec(reader="warc", inputs=getattr(args, "inputs", []), pipeline=pipeline, **common)
    if args.command == "pdf":
        return JobSpec(reader="pdf", inputs=args.inputs, pipeline=_pdf_pipeline(args),
                       files_per_shard=args.files_per_shard, **common)
    reader_options = {"text_field": args.text_field}
    if args.command == "decontam":
        from corpusmill.curate.decontam import decontam_stage_spec

        return JobSpec(reader="corpus", inputs=args.inputs, reader_options=reader_options, **common,
                       pipeline=[decontam_stage_spec(args.benchmark, args.ngram, args.mode)])
    if args.command == "dedup":
        pipeline = ([] if args.no_exact else [{"stage": "exact_dedup"}]) + [{"stage": "minhash_dedup"}]
    else:
        pii: dict[str, Any] = {"stage": "pii", "mode": args.mode, "mask_char": args.mask_char}
        if args.types:
            pii["types"] = [t.strip().upper() for t in args.types.split(",") if t.strip()]
        pipeline = [pii]
    return JobSpec(reader="corpus", inputs=args.inputs, pipeline=pipeline, reader_options=reader_options,
                   **common)


def _pdf_pipeline(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.backend == "mineru" and not args.models:
        raise SystemExit("corpusmill: --backend mineru needs --models /path/to/weights")
    if bool(args.llm_endpoint) != bool(args.llm_model):
        raise SystemExit("corpusmill: --llm-endpoint and --llm-model go together")
    pipeline = cfgmod.build_pipeline("pdf", args.preset, dedup=not args.no_dedup, pii=not args.no_pii)
    parse = pipeline[0]
    assert parse["stage"] == "pdf_parse"
    parse.update(timeout_s=args.timeout, memory_limit_mb=args.memory_mb, dpi=args.dpi,
                 ocr_engine=args.ocr_engine, llm_endpoint=args.llm_endpoint, llm_model=args.llm_model,
                 ocr_layout=not args.no_ocr_layout)
    if args.backend == "mineru":
        parse.update(ocr_engine=f"models:{Path(args.models).resolve()}")
    return pipeline


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


def _crawl(args: argparse.Namespace) -> int:
    """Crawl into OUT/warc/, then run the WARC job over everything crawled so far into OUT/."""
    import logging

    from corpusmill.acquire.crawler import CrawlConfig, crawl
    from corpusmill.job import holds_run_of

    seeds = [line.split("#", 1)[0].strip() for line in Path(args.seeds).read_text().splitlines()]
    seeds = [s for s in seeds if s]
    options: dict[str, Any] = dict(max_pages=args.max_pages, max_depth=args.max_depth, scope=args.scope,
                                   include=args.include, exclude=args.exclude, render=args.render,
                                   allow_private=args.allow_private, concurrency=args.concurrency,
                                   delay=args.delay, quiet=args.quiet)
    if args.user_agent:
        options["user_agent"] = args.user_agent
    if args.print_config:
        # The job reads whatever the crawl archives: print it without crawling.
        args.inputs = [str(Path(args.output) / "warc")]
        print(cfgmod.dump_config(_job_for(args)), end="")
        return 0
    if not args.quiet:
        logging.basicConfig(format="%(message)s", stream=sys.stderr)
        logging.getLogger("corpusmill.crawl").setLevel(logging.INFO)
    try:
        result = crawl(seeds, Path(args.output), CrawlConfig(**options))
    except ValueError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"crawl: {result.pages_archived} pages archived this session "
              f"({result.pages_total_archived} in all), {result.pages_failed} failed, "
              f"{result.pages_disallowed} disallowed by robots.txt, {result.rendered} rendered, "
              f"{result.queued_left} left in the frontier; WARC files in {Path(args.output) / 'warc'}")
    if args.crawl_only or not result.warc_files:
        return 0
    args.inputs = [str(f) for f in result.warc_files]
    job = _job_for(args)
    # New WARC files since the last processing mean a new run over the whole archive;
    # otherwise (processing was interrupted) it resumes.
    return _execute(job, args.quiet, args.overwrite or not holds_run_of(Path(args.output), job))


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
    if args.command == "mix":
        from corpusmill.mix.cli import mix_command

        return mix_command(args.recipe, strict=args.strict, overwrite=args.overwrite, quiet=args.quiet)
    if args.command == "pack":
        from corpusmill.mix.cli import pack_command

        return pack_command(args)
    if args.command == "run":
        job = cfgmod.load_config(args.config)
        if args.workers:
            job.workers = args.workers
        return _execute(job, args.quiet, args.overwrite)
    if args.command == "crawl":
        return _crawl(args)
    try:
        job = _job_for(args)
    except ValueError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    if args.print_config:
        print(cfgmod.dump_config(job), end="")
        return 0
    return _execute(job, args.quiet, args.overwrite)


if __name__ == "__main__":
    sys.exit(main())
