"""Pipelines as data: presets for the three jobs, and `corpusmill run pipeline.yaml`.

A config file is the same thing the CLI builds, written down:

    reader: warc                 # warc | pdf | corpus
    inputs: [dumps/*.warc.gz]
    output: out/
    format: jsonl                # jsonl | parquet
    workers: 2
    preset: fineweb              # fineweb | refinedweb | none  (or give `pipeline:`)
    dedup: true
    pii: true
    overrides:                   # change a preset stage's settings by stage name
      gopher_quality: {min_doc_words: 30}
    pipeline:                    # explicit stage list instead of a preset
      - {stage: html_extract, engine: corpusmill}
      - {stage: language, min_score: 0.65}
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from corpusmill.job import JobSpec

PRESET_NAMES = ("fineweb", "refinedweb", "none")

# Document-level dedup per preset, after the filters (FineWeb: MinHash per
# dump; RefinedWeb: exact + MinHash + exact-substring).
_DEDUP: dict[str, list[dict[str, Any]]] = {
    "fineweb": [{"stage": "exact_dedup"}, {"stage": "minhash_dedup"}],
    "refinedweb": [{"stage": "exact_dedup"}, {"stage": "minhash_dedup"}, {"stage": "substring_dedup"}],
    "none": [{"stage": "exact_dedup"}, {"stage": "minhash_dedup"}],
}


def parse_stages(kind: str, engine: str = "corpusmill") -> list[dict[str, Any]]:
    """Stages that turn a source's payloads into text, for a reader kind."""
    if kind in ("warc", "crawl"):
        return [{"stage": "html_extract", "engine": engine}, {"stage": "plain_text"},
                {"stage": "pdf_parse", "media_types": ["application/pdf"]}, {"stage": "media_gate"}]
    if kind == "pdf":
        return [{"stage": "pdf_parse"}, {"stage": "media_gate"}]
    return []


def build_pipeline(kind: str, preset: str = "fineweb", engine: str = "corpusmill", dedup: bool = True,
                   pii: bool = True, overrides: dict[str, dict[str, Any]] | None = None
                   ) -> list[dict[str, Any]]:
    from corpusmill.curate.filters.presets import PRESETS

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; use one of {sorted(PRESETS)}")
    pipeline = parse_stages(kind, engine) + copy.deepcopy(PRESETS[preset])
    if preset == "none":
        # No filtering, but records still learn their language (PII hints, the report).
        pipeline.append({"stage": "language", "min_score": 0.0})
    if dedup:
        pipeline += copy.deepcopy(_DEDUP[preset])
    if pii:
        pipeline.append({"stage": "pii"})
    for name, settings in (overrides or {}).items():
        hits = [s for s in pipeline if s["stage"] == name]
        if not hits:
            raise ValueError(f"override for {name!r}, which is not in the pipeline "
                             f"({', '.join(s['stage'] for s in pipeline)})")
        for s in hits:
            s.update(settings)
    return pipeline


def load_config(path: str | Path) -> JobSpec:
    cfg = yaml.safe_load(Path(path).read_text())
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: a pipeline config is a mapping")
    return job_from_config(cfg)


def job_from_config(cfg: dict[str, Any]) -> JobSpec:
    """Relative paths in a config are relative to the working directory, as on the command line."""
    known = {"reader", "inputs", "output", "format", "workers", "preset", "dedup", "pii", "engine",
             "overrides", "pipeline", "reader_options", "executor", "executor_options",
             "files_per_shard"}
    unknown = set(cfg) - known
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    reader = cfg.get("reader", "warc")
    if "pipeline" in cfg:
        pipeline = list(cfg["pipeline"])
    else:
        pipeline = build_pipeline(reader, cfg.get("preset", "fineweb"), cfg.get("engine", "corpusmill"),
                                  cfg.get("dedup", True), cfg.get("pii", True), cfg.get("overrides"))
    inputs = cfg.get("inputs") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    return JobSpec(
        reader=reader,
        inputs=[str(i) for i in inputs],
        out_dir=str(cfg.get("output", "out")),
        pipeline=pipeline,
        format=cfg.get("format", "jsonl"),
        reader_options=cfg.get("reader_options") or {},
        workers=int(cfg.get("workers", 1)),
        executor=cfg.get("executor", "local"),
        executor_options=cfg.get("executor_options") or {},
        files_per_shard=int(cfg.get("files_per_shard", 8 if reader == "pdf" else 1)),
    )


def dump_config(job: JobSpec) -> str:
    return yaml.safe_dump({
        "reader": job.reader, "inputs": job.inputs, "output": job.out_dir, "format": job.format,
        "workers": job.workers, "executor": job.executor, "pipeline": job.pipeline,
    }, sort_keys=False)
