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
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from corpusmill import yaml_load as bounded_yaml
from corpusmill.job import JobSpec
from corpusmill.registry import READERS, STAGES, build_reader, build_stage, stage_class

PRESET_NAMES = ("fineweb", "refinedweb", "none")
FORMATS = ("jsonl", "parquet")
EXECUTORS = ("local", "ray")
_CONFIG_KEYS = ("reader", "inputs", "output", "format", "workers", "preset", "dedup", "pii", "engine",
                "overrides", "pipeline", "reader_options", "executor", "executor_options", "files_per_shard",
                "limit")


class ConfigError(ValueError):
    """A pipeline or config file that cannot run; the message says what to change."""


def stage_names() -> list[str]:
    return sorted(STAGES)


def _settings_of(cls: type) -> dict[str, Any]:
    """Keyword settings of a class with their defaults (`inspect.Parameter.empty` where required)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return {p.name: p.default for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _complete(what: str, settings: dict[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """`given` with every other setting at its default; an unknown name is an error listing the known ones."""
    unknown = sorted(set(given) - set(settings))
    if unknown:
        raise ConfigError(f"{what} has no setting {', '.join(map(repr, unknown))}; "
                          f"its settings: {', '.join(settings) or '(none)'}")
    full: dict[str, Any] = {}
    for key, default in settings.items():
        value = given.get(key, default)
        if value is inspect.Parameter.empty:
            raise ConfigError(f"{what} needs the setting {key!r}")
        full[key] = _plain(value)
    return full


def stage_settings(name: str) -> dict[str, Any]:
    """A stage's settings with their defaults."""
    try:
        return _settings_of(stage_class(name))
    except KeyError:
        raise ConfigError(f"unknown stage {name!r}; stages: {', '.join(stage_names())}") from None


def reader_options(reader: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """A reader's options, defaults included."""
    # The registry hands out readers, not their classes; a reader with defaults costs nothing to make.
    return _complete(f"reader {reader!r}", _settings_of(type(build_reader(reader))), given)


def executor_options(executor: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """An executor's options (its worker count is `workers`), defaults included."""
    if executor == "ray":
        from corpusmill.executors.ray_executor import RayExecutor as cls
    else:
        from corpusmill.executors.local import LocalExecutor as cls
    settings = {k: v for k, v in _settings_of(cls).items() if k != "workers"}
    return _complete(f"executor {executor!r}", settings, given)


def complete_stage(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`{"stage": name, ...}` with every setting of the stage, defaults included, checked by name."""
    if not isinstance(spec, Mapping) or "stage" not in spec:
        raise ConfigError(f"a pipeline entry is a mapping with a `stage` key, not {spec!r}")
    name = spec["stage"]
    given = {k: v for k, v in spec.items() if k not in ("stage", "enabled")}
    full = {"stage": name, **_complete(f"stage {name!r}", stage_settings(name), given)}
    if "enabled" in spec:
        full["enabled"] = spec["enabled"]
    return full


def complete_pipeline(pipeline: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every stage with every setting (what --print-config shows), each one built once to check its values."""
    full = [complete_stage(spec) for spec in pipeline]
    for spec in full:
        try:
            build_stage(spec)
        except (ValueError, KeyError) as e:
            raise ConfigError(f"stage {spec['stage']!r}: {e}") from None
    return full


def _plain(value: Any) -> Any:
    """Settings as JSON and YAML carry them: tuples as lists, mappings as dicts with string keys."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value

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
        raise ConfigError(f"unknown preset {preset!r}; presets: {', '.join(sorted(PRESETS))}")
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
            raise ConfigError(f"override for {name!r}, which is not in the pipeline "
                             f"({', '.join(s['stage'] for s in pipeline)})")
        for s in hits:
            s.update(settings)
    return pipeline


def load_config(path: str | Path) -> JobSpec:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} not found") from None
    except (IsADirectoryError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file {str(path)!r} is not a readable YAML file ({type(e).__name__})") from None
    try:
        cfg = bounded_yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}:{where}: not valid YAML ({problem})") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: a pipeline config is a mapping of settings (reader:, inputs:, ...)")
    try:
        return job_from_config(cfg)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def job_from_config(cfg: dict[str, Any]) -> JobSpec:
    """Relative paths in a config are relative to the working directory, as on the command line."""
    unknown = sorted(set(cfg) - set(_CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(map(repr, unknown))}; "
                          f"known: {', '.join(_CONFIG_KEYS)}")
    reader = _choice(cfg, "reader", "warc", tuple(READERS))
    if "pipeline" in cfg:
        if not isinstance(cfg["pipeline"], list):
            raise ConfigError("`pipeline` is a list of stages, each {stage: NAME, SETTING: VALUE, ...}")
        pipeline = list(cfg["pipeline"])
    else:
        pipeline = build_pipeline(reader, _choice(cfg, "preset", "fineweb", PRESET_NAMES),
                                  cfg.get("engine", "corpusmill"), cfg.get("dedup", True), cfg.get("pii", True),
                                  cfg.get("overrides"))
    executor = _choice(cfg, "executor", "local", EXECUTORS)
    inputs = cfg.get("inputs") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    return complete_job(JobSpec(
        reader=reader,
        inputs=[str(i) for i in inputs],
        out_dir=str(cfg.get("output", "out")),
        pipeline=pipeline,
        format=_choice(cfg, "format", "jsonl", FORMATS),
        reader_options=cfg.get("reader_options") or {},
        workers=_positive(cfg, "workers", 1),
        executor=executor,
        executor_options=cfg.get("executor_options") or {},
        files_per_shard=_positive(cfg, "files_per_shard", 8 if reader == "pdf" else 1),
        limit=None if cfg.get("limit") is None else _positive(cfg, "limit", 1),
    ))


def complete_job(job: JobSpec) -> JobSpec:
    """The job with every reader, executor and stage setting spelled out and checked.

    The command line and config files both go through here, so a printed
    config and the command it was printed from have the same fingerprint.
    """
    job.pipeline = complete_pipeline(job.pipeline)
    job.reader_options = reader_options(job.reader, job.reader_options)
    job.executor_options = executor_options(job.executor, job.executor_options)
    return job


def _choice(cfg: dict[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = cfg.get(key, default)
    if value not in choices:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def _positive(cfg: dict[str, Any], key: str, default: int) -> int:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key}: {value!r} is not a whole number of at least 1")
    return value


def dump_config(job: JobSpec) -> str:
    """Every setting (of a `complete_job`) of the job with its value, defaults included: `corpusmill run` reruns exactly this."""
    return yaml.safe_dump({
        "reader": job.reader, "reader_options": job.reader_options, "inputs": job.inputs,
        "output": job.out_dir, "format": job.format, "workers": job.workers,
        "files_per_shard": job.files_per_shard, "limit": job.limit, "executor": job.executor,
        "executor_options": job.executor_options, "pipeline": job.pipeline,
    }, sort_keys=False, allow_unicode=True)
