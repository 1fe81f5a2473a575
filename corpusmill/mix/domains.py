"""Domain labels for mixture records: by source, language, a metadata field path, or URL rules."""
from __future__ import annotations

import re
from typing import Any, Callable

from corpusmill.mix.recipe import RecipeError
from corpusmill.record import Record

UNLABELED = "unlabeled"
Labeler = Callable[[str, Record], str]


def _field(record: Record, path: str) -> Any:
    """A dotted path into the record (`metadata.lang`, `source.uri`); a bare name means metadata."""
    parts = path.split(".")
    if parts[0] in ("metadata", "source"):
        node: Any = getattr(record, parts[0])
        parts = parts[1:]
    else:
        node = record.metadata
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def labeler(spec: Any) -> Labeler:
    """`source` | `language` | a field path | {field: path, default: d} | {url: [{match: re, domain: d}], default: d}."""
    if spec == "source":
        return lambda source, _r: source
    if isinstance(spec, str):
        spec = {"field": "metadata.language" if spec == "language" else spec}
    if not isinstance(spec, dict):
        raise RecipeError(f"domain must be source, language, a metadata field path or a mapping, got {spec!r}")
    default = str(spec.get("default", UNLABELED))
    if "field" in spec:
        path = str(spec["field"])

        def by_field(_s: str, r: Record) -> str:
            v = _field(r, path)
            return default if v is None or v == "" else str(v)
        return by_field
    if "url" in spec:
        rules = spec["url"]
        if not isinstance(rules, list) or not all(isinstance(x, dict) and "match" in x and "domain" in x
                                                  for x in rules):
            raise RecipeError("domain url rules are a list of {match: REGEX, domain: NAME}")
        try:
            compiled = [(re.compile(str(x["match"])), str(x["domain"])) for x in rules]
        except re.error as e:
            raise RecipeError(f"domain url rule is not a valid regex: {e}") from None

        def by_url(_s: str, r: Record) -> str:
            uri = str(r.source.get("uri") or r.metadata.get("url") or "")
            return next((d for rx, d in compiled if rx.search(uri)), default)
        return by_url
    raise RecipeError("a domain mapping needs 'field' or 'url'")
