"""The `corpusmill` command line."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from corpusmill import __version__
from corpusmill import config as cfgmod
from corpusmill.job import InputError, JobSpec, OutputInUse, holds_a_run, run_job
from corpusmill.logs import LEVELS, configure
from corpusmill.output_folder import claim
from corpusmill.parsers.pdf_document import OCR_THREADS_ENV
from corpusmill.progress import Progress
from corpusmill.stats import StatsError, render_summary

# Mistakes a user can fix: one line, exit 2, no traceback.
_USER_ERRORS = (cfgmod.ConfigError, InputError, OutputInUse)
_OCR_ENGINES = ("default", "rapidocr", "tesseract")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line that says where the help is."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"corpusmill: {message} (see `{self.prog} --help`)\n")


def _at_least(kind: type[int] | type[float], minimum: int):  # type: ignore[no-untyped-def]
    """An argparse type: a whole number (`int`) or a number (`float`) of at least `minimum`."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: must be {'0 or more' if minimum == 0 else f'at least {minimum}'}")
        return value
    return parse


_positive_int = _at_least(int, 1)


def _check_writable(out: str, *, model_file: bool = False) -> None:
    """-o of train-classifier, train-lm, select: refuse now, in one line, a path that cannot be written."""
    path = Path(out).absolute()
    if model_file and path.is_dir():
        raise InputError(f"-o {out!r} is a folder; name the model file, e.g. {str(Path(out) / 'model.bin')!r}")
    parent = next(p for p in path.parents if p.exists())
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"-o {out!r} cannot be created: {str(parent)!r} is "
                         f"{'a file' if not parent.is_dir() else 'not writable'}; name a path you can write to")


def _ocr_engine(text: str) -> str:
    """An OCR engine name, with optional `+step` preprocessing (`tesseract+deskew`)."""
    from corpusmill.layout.preprocess import STEPS

    base, *steps = text.split("+")
    if base not in _OCR_ENGINES:
        raise argparse.ArgumentTypeError(f"unknown OCR engine {base!r}; use one of {', '.join(_OCR_ENGINES)}")
    for step in steps:
        if step not in STEPS:
            raise argparse.ArgumentTypeError(f"unknown preprocessing step {step!r}; use {', '.join(sorted(STEPS))}")
    return text


def _common_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    _executor_options(p)
    _output_options(p)
    p.add_argument("--overwrite", action="store_true", help="delete OUTPUT first instead of resuming")
    p.add_argument("--print-config", action="store_true",
                   help="print the pipeline as a config file for `corpusmill run` and exit")
    p.add_argument("--tokenizer", default=None,
                   help="count tokens (metadata.tokens, tokens per stage): o200k_base, cl100k_base, "
                        "whitespace, or a path to a tokenizer.json")


def _executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray)")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true",
                   help="no progress or summary output; log errors only (also from libraries)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log more: -v info, -vv debug")
    p.add_argument("--log-level", type=str.upper, choices=LEVELS, default=None,
                   help="log this level and above, from corpusmill and the libraries it uses")
    p.add_argument("--limit", type=_positive_int, default=None,
                   help="read only the first N documents of each input file (to try a pipeline)")


def _log_level(args: argparse.Namespace) -> str | None:
    # Commands without the run options (mix, pack) log at the default level.
    if getattr(args, "log_level", None):
        return args.log_level
    if getattr(args, "quiet", False):
        return "ERROR"
    return {0: None, 1: "INFO"}.get(getattr(args, "verbose", 0), "DEBUG")


def _curation(p: argparse.ArgumentParser, default_preset: str = "fineweb") -> None:
    p.add_argument("--preset", choices=cfgmod.PRESET_NAMES, default=default_preset,
                   help=f"filter preset (default {default_preset})")
    p.add_argument("--no-dedup", action="store_true", help="skip exact and near-duplicate removal")
    p.add_argument("--no-pii", action="store_true", help="skip PII scrubbing")
    _rejects_text(p)


def _rejects_text(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rejects-text", choices=("withhold", "scrub", "raw"), default=None,
                   help="rejects/ of records dropped before PII scrubbing: withhold their text (default), "
                        "scrub it too, or keep it raw, PII included")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="corpusmill", description=__doc__)
    ap.add_argument("--version", action="version", version=f"corpusmill {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    w = sub.add_parser("warc", help="WARC/ARC dumps -> clean text corpus (FineWeb/RefinedWeb style)")
    w.add_argument("inputs", nargs="+", help="WARC files, globs or folders")
    w.add_argument("--engine", choices=("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse"), default="corpusmill",
                   help="HTML extraction engine")
    _curation(w)
    _common_run(w)

    pd = sub.add_parser("pdf", help="PDF files, folders, zip/tar archives, images, WARCs -> text/Markdown corpus")
    pd.add_argument("inputs", nargs="+", help="PDFs, images, folders, .zip/.tar(.gz), WARC files")
    pd.add_argument("--ocr-engine", type=_ocr_engine, default="default", help="CPU OCR engine: default, rapidocr, tesseract")
    pd.add_argument("--backend", choices=("cpu", "onnx-gpu", "torch"), default="cpu",
                    help="onnx-gpu: the CPU default's OCR and layout models on onnxruntime's CUDA provider "
                         "(onnxruntime-gpu; falls back to the CPU with a message); torch: our torch layout+OCR "
                         "pipeline (GPU if present) on TorchScript weights from --models")
    pd.add_argument("--models", default=None, help="local folder with the model weights (--backend torch)")
    pd.add_argument("--llm-endpoint", default=None,
                    help="OpenAI-compatible server for hard pages, e.g. http://host:8000/v1")
    pd.add_argument("--llm-model", default=None)
    pd.add_argument("--llm-concurrency", type=_positive_int, default=4, help="pages in flight to the LLM server")
    pd.add_argument("--llm-budget-pages", type=_positive_int, default=None,
                    help="most pages sent to the LLM, per parser process (one per worker)")
    pd.add_argument("--llm-budget-tokens", type=_positive_int, default=None,
                    help="stop sending pages once the LLM has used this many tokens, per parser process")
    pd.add_argument("--dpi", type=_positive_int, default=200, help="page rendering resolution for OCR")
    pd.add_argument("--no-ocr-layout", action="store_true",
                    help="OCR pages without the layout model (no headings or running headers/footers found)")
    pd.add_argument("--timeout", type=float, default=120.0,
                    help="seconds to open a document, plus 30 s for each of its pages; pages not read by then fail")
    pd.add_argument("--page-timeout", type=float, default=None,
                    help="seconds one page may take before it is killed and recorded as failed "
                         "(route failed; default 90, ~8x the slowest measured OCR page)")
    pd.add_argument("--min-ocr-confidence", type=float, default=None,
                    help="drop the text of OCR'd pages read below this confidence (0-1); they are flagged anyway")
    pd.add_argument("--memory-mb", type=_positive_int, default=4096, help="memory limit of the parser process")
    pd.add_argument("--files-per-shard", type=_positive_int, default=8)
    _curation(pd, default_preset="none")
    _common_run(pd)

    c = sub.add_parser("crawl", help="crawl a seed list -> WARC archive + clean corpus")
    c.add_argument("seeds", help="a file with one URL per line (# starts a comment)")
    c.add_argument("--max-pages", type=_at_least(int, 0), default=1000, help="pages to archive (0: no limit)")
    c.add_argument("--max-depth", type=_at_least(int, 0), default=3)
    c.add_argument("--scope", choices=("same-domain", "same-host", "regex", "any"), default="same-domain")
    c.add_argument("--include", action="append", default=[], help="regex a URL must match (repeatable)")
    c.add_argument("--exclude", action="append", default=[], help="regex of URLs to skip (repeatable)")
    c.add_argument("--render", choices=("never", "auto", "always"), default="auto",
                   help="render pages in Chromium: auto = only pages whose static HTML needs scripts")
    c.add_argument("--allow-private", action="store_true",
                   help="allow private/loopback/link-local targets (refused by default)")
    c.add_argument("--user-agent", default=None)
    c.add_argument("--concurrency", type=_positive_int, default=16, help="requests in flight over all hosts")
    c.add_argument("--delay", type=_at_least(float, 0), default=1.0, help="seconds between requests to one host")
    c.add_argument("--crawl-only", action="store_true", help="write the WARC archive, skip processing")
    c.add_argument("--engine", choices=("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse"), default="corpusmill")
    _curation(c)
    _common_run(c)

    r = sub.add_parser("run", help="run a pipeline config file")
    r.add_argument("config")
    r.add_argument("--workers", type=_positive_int, default=None)
    _output_options(r)
    r.add_argument("--overwrite", action="store_true")

    e = sub.add_parser("explain", help="why is this record (not) in the corpus")
    e.add_argument("output")
    e.add_argument("record_id", help="a record id as printed (bare or <urn:uuid:...>) or a URL")
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
    mx.add_argument("--overwrite", action="store_true", help="start over instead of resuming")
    mx.add_argument("--quiet", action="store_true")
    _executor_options(mx)

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
    pk.add_argument("--no-fill", action="store_true",
                    help="plain best-fit decreasing: do not fill its gaps with documents split anyway")
    pk.add_argument("--overwrite", action="store_true", help="start over instead of resuming")
    pk.add_argument("--quiet", action="store_true")
    _executor_options(pk)

    tc = sub.add_parser("train-classifier", help="train a quality classifier (fastText, or hashed linear) "
                                                 "for the quality_classifier stage")
    tc.add_argument("--positive", nargs="+", required=True,
                    help="high-quality/reference documents: corpus files, folders, globs, or .txt (a document a line)")
    tc.add_argument("--negative", nargs="+", required=True, help="low-quality or random-pool documents, as above")
    tc.add_argument("-o", "--output", required=True, help="model file to write (e.g. clf.bin)")
    tc.add_argument("--backend", choices=("auto", "fasttext", "hashed"), default="auto",
                    help="auto: fastText where the `fasttext` binary is installed, else hashed linear")
    tc.add_argument("--seed", type=int, default=1)
    tc.add_argument("--epochs", type=_positive_int, default=5)
    tc.add_argument("--quantize", action="store_true", help="fastText: quantize to a model of a few MB")

    tl = sub.add_parser("train-lm", help="train a KenLM n-gram model on reference texts (for the perplexity stage)")
    tl.add_argument("inputs", nargs="+", help="reference texts: corpus files/folders (JSONL/Parquet) or .txt files")
    tl.add_argument("-o", "--output", required=True, help="model file: .bin (KenLM binary) or .arpa")
    tl.add_argument("--lang", required=True, help="the language the model is for (the records' metadata.language)")
    tl.add_argument("--order", type=int, default=3, help="n-gram order, 2-6 (default 3)")
    tl.add_argument("--text-field", default="text")
    tl.add_argument("--quiet", action="store_true")

    sel = sub.add_parser("select", help="choose k documents of a pool: dsir (toward a target set) or random")
    sel.add_argument("method", choices=("dsir", "random"))
    sel.add_argument("--pool", nargs="+", required=True, help="corpus files/folders to choose from")
    sel.add_argument("--target", nargs="+", default=None, help="texts to select toward (dsir)")
    sel.add_argument("-k", type=_positive_int, required=True, help="documents to select")
    sel.add_argument("-o", "--output", required=True, help="folder for selected.jsonl.gz and selection.json")
    sel.add_argument("--seed", type=int, default=0)
    sel.add_argument("--buckets", type=_positive_int, default=10_000, help="hashed n-gram features (dsir)")
    sel.add_argument("--text-field", default="text")
    sel.add_argument("--quiet", action="store_true")

    rep = sub.add_parser("report", help="rebuild OUT/report.html from a run's output")
    rep.add_argument("output")

    for name, helptext in (("dedup", "exact + near-duplicate removal on an existing JSONL/Parquet corpus"),
                           ("pii", "PII scrubbing on an existing JSONL/Parquet corpus")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("inputs", nargs="+", help="JSONL(.gz)/Parquet files, globs or folders")
        c.add_argument("--text-field", default="text",
                       help="the column holding the text (default: text); every other column is kept as it is")
        _common_run(c)
        if name == "pii":
            c.add_argument("--mode", choices=("replace", "mask", "annotate", "drop"), default="replace")
            c.add_argument("--types", default=None,
                           help="comma-separated PII types to scrub (default: all), e.g. EMAIL,PHONE")
            c.add_argument("--mask-char", default="*")
            _rejects_text(c)
        else:
            c.add_argument("--no-exact", action="store_true", help="MinHash only")
    return ap


def _job_for(args: argparse.Namespace) -> JobSpec:
    """The job the command line describes, with every setting spelled out and checked."""
    job = _raw_job(args)
    if getattr(args, "rejects_text", None):
        pii = [s for s in job.pipeline if s["stage"] == "pii"]
        if not pii:
            raise cfgmod.ConfigError("--rejects-text is about PII scrubbing; it does not go with --no-pii")
        for spec in pii:
            spec["rejects"] = args.rejects_text
    if getattr(args, "tokenizer", None):
        from corpusmill.tokens.stage import insert_token_stage

        job.pipeline = insert_token_stage(job.pipeline, args.tokenizer)
    return cfgmod.complete_job(job)


def _raw_job(args: argparse.Namespace) -> JobSpec:
    common: dict[str, Any] = dict(out_dir=args.output, format=args.format, workers=args.workers, limit=args.limit,
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
    if args.backend == "torch" and not args.models:
        raise cfgmod.ConfigError("--backend torch needs --models /path/to/weights")
    if args.backend == "torch" and not Path(args.models).is_dir():
        raise cfgmod.ConfigError(f"--models {args.models!r} is not a folder; give the folder holding the weights")
    if args.backend == "torch" and importlib.util.find_spec("torch") is None:
        raise cfgmod.ConfigError("--backend torch needs torch, which is not installed: pip install -e '.[gpu]'")
    if args.llm_endpoint and not args.llm_endpoint.startswith(("http://", "https://")):
        raise cfgmod.ConfigError(f"--llm-endpoint {args.llm_endpoint!r} is not an http(s) URL; "
                                 "e.g. http://host:8000/v1")
    if bool(args.llm_endpoint) != bool(args.llm_model):
        raise cfgmod.ConfigError("--llm-endpoint and --llm-model go together")
    pipeline = cfgmod.build_pipeline("pdf", args.preset, dedup=not args.no_dedup, pii=not args.no_pii)
    parse = pipeline[0]
    assert parse["stage"] == "pdf_parse"
    if args.min_ocr_confidence is not None and not 0 <= args.min_ocr_confidence <= 1:
        raise cfgmod.ConfigError("--min-ocr-confidence is a confidence between 0 and 1")
    if args.timeout <= 0 or (args.page_timeout is not None and args.page_timeout <= 0):
        raise cfgmod.ConfigError("--timeout and --page-timeout are seconds, above 0")
    if args.page_timeout is not None:
        parse["page_timeout_s"] = args.page_timeout
    parse["min_ocr_confidence"] = args.min_ocr_confidence
    # Each worker's OCR models get its share of the cores, not all of them each. An
    # environment setting, not a pipeline one: a rerun with other --workers resumes.
    os.environ.setdefault(OCR_THREADS_ENV, str(max(1, len(os.sched_getaffinity(0)) // max(1, args.workers))))
    parse.update(timeout_s=args.timeout, memory_limit_mb=args.memory_mb, dpi=args.dpi,
                 ocr_engine=args.ocr_engine, llm_endpoint=args.llm_endpoint, llm_model=args.llm_model,
                 llm_concurrency=args.llm_concurrency, llm_budget_pages=args.llm_budget_pages,
                 llm_budget_tokens=args.llm_budget_tokens,
                 ocr_layout=not args.no_ocr_layout)
    if args.backend == "onnx-gpu":
        parse.update(ocr_engine="onnx-gpu")
    if args.backend == "torch":
        parse.update(ocr_engine=f"models:{Path(args.models).resolve()}")
    return pipeline


def _execute(job: JobSpec, quiet: bool, overwrite: bool) -> int:
    progress = Progress(quiet=quiet)
    try:
        stats = run_job(job, progress, overwrite=overwrite)
    except StatsError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 3
    if not quiet:
        print(render_summary(stats))
        print(f"corpus: {Path(job.out_dir) / 'data'}   rejects: {Path(job.out_dir) / 'rejects'}   "
              f"stats: {Path(job.out_dir) / 'stats.json'}")
    return 0


def _crawl(args: argparse.Namespace) -> int:
    """Crawl into OUT/warc/, then run the WARC job over everything crawled so far into OUT/."""
    import logging
    import re

    from corpusmill.acquire.crawler.urls import normalise_url

    try:
        text = Path(args.seeds).read_text()
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as e:
        raise InputError(f"seeds file {args.seeds!r} cannot be read ({type(e).__name__}); "
                         "give a text file with one URL per line") from None
    seeds = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    seeds = [s for s in seeds if s]
    if not any(normalise_url(s) for s in seeds):
        raise InputError(f"seeds file {args.seeds!r} holds no http(s) URL"
                         + (f" (its first line: {seeds[0][:80]!r})" if seeds else "")
                         + "; give one URL per line, e.g. https://example.org/")
    for flag, patterns in (("--include", args.include), ("--exclude", args.exclude)):
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as e:
                raise InputError(f"{flag} {pattern!r} is not a regular expression ({e})") from None
    options: dict[str, Any] = dict(max_pages=args.max_pages, max_depth=args.max_depth, scope=args.scope,
                                   include=args.include, exclude=args.exclude, render=args.render,
                                   allow_private=args.allow_private, concurrency=args.concurrency,
                                   delay=args.delay, quiet=args.quiet)
    if args.user_agent:
        options["user_agent"] = args.user_agent
    # The job reads whatever the crawl archives; built (and checked) before crawling.
    args.inputs = [str(Path(args.output) / "warc")]
    planned = _job_for(args)
    if args.print_config:
        print(cfgmod.dump_config(planned), end="")
        return 0
    if not args.quiet:
        logging.basicConfig(format="%(message)s", stream=sys.stderr)
        logging.getLogger("corpusmill.crawl").setLevel(logging.INFO)
    # One claim for the crawl and the job after it: no other run gets the folder in between.
    with claim(args.output, "crawl"):
        return _crawl_then_process(args, seeds, options)


def _crawl_then_process(args: argparse.Namespace, seeds: list[str], options: dict[str, Any]) -> int:
    from corpusmill.acquire.crawler import CrawlConfig, crawl
    from corpusmill.job import holds_run_of

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
    if result.interrupted:
        raise KeyboardInterrupt
    if result.pages_refused and not result.pages_total_archived:
        print(f"corpusmill: the crawl fetched nothing: {result.pages_refused} URLs refused because they are "
              "on private, loopback or link-local addresses (--allow-private allows them)", file=sys.stderr)
        return 1
    if args.crawl_only or not result.warc_files:
        return 0
    args.inputs = [str(f) for f in result.warc_files]
    job = _job_for(args)
    # New or changed WARC files since the last processing mean a new run over the whole
    # archive (only the job's outputs are redone); otherwise (processing was interrupted) it resumes.
    return _execute(job, args.quiet, args.overwrite or not holds_run_of(Path(args.output), job))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "quiet"):
        configure(_log_level(args))
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe shows here, where it is caught, not in Python's exit
        return code
    except _USER_ERRORS as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncorpusmill: interrupted; finished shards are kept and nothing half-done was written: "
              "run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output stopped (`corpusmill explain ... | head`): end quietly, as a shell
        # tool does; stdout goes to /dev/null so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _require_run(out: str) -> None:
    if not holds_a_run(Path(out)):
        raise InputError(f"{out!r} is not the output folder of a corpusmill run (no {Path(out) / '_markers'})")


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("explain", "report"):
        _require_run(args.output)
    if args.command == "explain":
        from corpusmill.explain import explain_all, render

        infos = explain_all(Path(args.output), args.record_id)
        if not infos:
            print(f"corpusmill: no record {args.record_id!r} in {args.output}", file=sys.stderr)
            return 1
        print(orjson.dumps(infos if len(infos) > 1 else infos[0], option=orjson.OPT_INDENT_2).decode()
              if args.json else "\n\n".join(render(i) for i in infos))
        return 0
    if args.command == "report":
        from corpusmill.report import write_report

        print(write_report(Path(args.output)))
        return 0
    if args.command == "train-classifier":
        from corpusmill.curate.quality_classifier.train import TrainingError, train_classifier

        _check_writable(args.output, model_file=True)
        try:
            summary = train_classifier(args.positive, args.negative, args.output, backend=args.backend,
                                       seed=args.seed, epochs=args.epochs, quantize=args.quantize)
        except TrainingError as e:
            print(f"corpusmill: {e}", file=sys.stderr)
            return 2
        print(orjson.dumps(summary).decode())
        return 0
    if args.command == "mix":
        from corpusmill.mix.cli import mix_command

        return mix_command(args)
    if args.command == "pack":
        from corpusmill.mix.cli import pack_command

        return pack_command(args)
    if args.command in ("train-lm", "select"):
        from corpusmill.curate.selection import commands

        _check_writable(args.output, model_file=args.command == "train-lm")
        try:
            if args.command == "train-lm":
                return commands.train_lm_command(args.inputs, args.output, args.lang, args.order, args.text_field,
                                                 args.quiet)
            return commands.select_command(args.method, args.pool, args.target, args.k, args.output, args.seed,
                                           args.buckets, args.text_field, args.quiet)
        except commands.USER_ERRORS as e:
            print(f"corpusmill: {e}", file=sys.stderr)
            return 2
    if args.command == "run":
        job = cfgmod.load_config(args.config)
        if args.workers:
            job.workers = args.workers
        if args.limit:
            job.limit = args.limit
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
