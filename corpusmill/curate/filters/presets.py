"""Named filter chains: ordered stage specs `{"stage": <registry name>, **kwargs}`.

`fineweb`: FineWeb's chain (Penedo et al. 2024): URL filter, language ID
(fastText, 0.65), Gopher repetition, Gopher quality, C4 with the terminal
punctuation rule off (FineWeb's variant), FineWeb's own rules. FineWeb kept
English only; here every language is kept and judged by its own thresholds
(FineWeb-2 style, see languages.py): pass `languages: ["en"]` for the original.
`refinedweb`: RefinedWeb's chain (Penedo et al. 2023): URL filter, language
ID, Gopher-style repetition and quality rules, line-wise corrections.
`none`: no filters.
"""
from __future__ import annotations

from typing import Any

from corpusmill.curate.filters.c4_quality import C4Quality
from corpusmill.curate.filters.fineweb_quality import FineWebQuality
from corpusmill.curate.filters.gopher_quality import GopherQuality
from corpusmill.curate.filters.gopher_repetition import GopherRepetition
from corpusmill.curate.filters.language import LanguageFilter
from corpusmill.curate.filters.line_corrections import LineCorrections
from corpusmill.curate.filters.url_filter import UrlFilter
from corpusmill.stage import Stage

FILTERS: dict[str, type[Stage]] = {
    cls.name: cls
    for cls in (UrlFilter, LanguageFilter, GopherRepetition, GopherQuality, C4Quality, FineWebQuality,
                LineCorrections)
}

PRESETS: dict[str, list[dict[str, Any]]] = {
    "fineweb": [
        {"stage": "url"},
        {"stage": "language", "min_score": 0.65},
        {"stage": "gopher_repetition"},
        {"stage": "gopher_quality"},
        {"stage": "c4_quality", "filter_no_terminal_punct": False},
        {"stage": "fineweb_quality"},
    ],
    "refinedweb": [
        {"stage": "url"},
        {"stage": "language", "min_score": 0.65},
        {"stage": "gopher_repetition"},
        {"stage": "gopher_quality"},
        {"stage": "line_corrections"},
    ],
    "none": [],
}


def build(specs: list[dict[str, Any]]) -> list[Stage]:
    """Stage objects for a list of specs (a preset or a user's config)."""
    stages: list[Stage] = []
    for spec in specs:
        kwargs = dict(spec)
        name = kwargs.pop("stage")
        if name not in FILTERS:
            raise ValueError(f"unknown filter stage {name!r}; known: {', '.join(sorted(FILTERS))}")
        stages.append(FILTERS[name](**kwargs))
    return stages
