"""Names used in pipeline configs -> the classes that implement them.

Imports are lazy so a pipeline that does not use an optional part (PDF
models, the crawler) does not need its extra installed.
"""
from __future__ import annotations

import importlib
from typing import Any

from corpusmill.corpus_stage import CorpusStage
from corpusmill.stage import Stage

# name -> "module:Class"
STAGES: dict[str, str] = {
    "html_extract": "corpusmill.extract.stage:HtmlExtract",
    "pdf_parse": "corpusmill.parsers.pdf_stage:PdfParse",
    "media_gate": "corpusmill.media_gate:MediaGate",
    "pii": "corpusmill.curate.pii:PiiScrub",
    "tokens": "corpusmill.tokens.stage:TokenCount",
    "decontaminate": "corpusmill.curate.decontam:Decontaminate",
}

READERS: dict[str, str] = {
    "warc": "corpusmill.acquire.warc_reader:WarcReader",
    "pdf": "corpusmill.acquire.pdf_archive:PdfArchiveReader",
    "corpus": "corpusmill.readers:CorpusReader",
}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def stage_class(name: str) -> type:
    if name in STAGES:
        return _load(STAGES[name])
    # Filters and dedup stages register themselves in their packages.
    from corpusmill.curate.filters.presets import FILTERS

    if name in FILTERS:
        return FILTERS[name]
    from corpusmill.curate.dedup import DEDUP_STAGES

    if name in DEDUP_STAGES:
        return DEDUP_STAGES[name]
    raise KeyError(f"unknown stage {name!r}")


def build_stage(spec: dict[str, Any]) -> Stage | CorpusStage:
    """`{"stage": name, **kwargs}` -> a constructed stage."""
    kwargs = {k: v for k, v in spec.items() if k not in ("stage", "enabled")}
    cls = stage_class(spec["stage"])
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValueError(f"bad settings for stage {spec['stage']!r}: {e}") from e


def build_reader(kind: str, options: dict[str, Any] | None = None) -> Any:
    if kind not in READERS:
        raise KeyError(f"unknown reader {kind!r}; use one of {sorted(READERS)}")
    return _load(READERS[kind])(**(options or {}))
