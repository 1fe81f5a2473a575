"""Named filter chains: ordered stage specs `{"stage": <registry name>, **kwargs}` (see registry.py).

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

