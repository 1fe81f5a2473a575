"""The free-text fields of a record besides `text`, where personal data can also travel.

What a page or a file says about itself (a web page's title, author, description, site
name, canonical URL; every entry of a PDF's info dict: title, author, subject, keywords,
creator, producer) and the address of a web page (`source.uri`, whose query strings carry
emails and names often enough). Values that pipeline stages compute (language, date,
charset, counts, the `pii`/`dedup` entries) are not free text and are left alone, and so
are the columns of another tool's corpus, which come back as they were (only its text
column is scrubbed), and the paths of the user's own input files.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from corpusmill.record import Record

# metadata values set by our own stages, never free text.
_COMPUTED = frozenset({"language", "language_score", "date", "charset_method", "tokens", "tokenizer",
                       "text_withheld"})
_WEB_SCHEMES = ("http://", "https://", "ftp://")


@dataclass(frozen=True, slots=True)
class Field:
    """One string of a record: its dotted name, its value, and how to put a new value in its place."""

    name: str
    value: str
    set: Callable[[str], None]


def free_text_fields(record: Record) -> Iterator[Field]:
    """The record's free-text strings other than `text`, in a fixed order."""
    theirs = set(record.source.get("columns") or ())
    for key, value in list(record.metadata.items()):
        if key in _COMPUTED or key in theirs:
            continue
        if isinstance(value, str):
            yield Field(f"metadata.{key}", value, _setter(record.metadata, key))
        elif isinstance(value, list):  # tags, categories, several authors
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield Field(f"metadata.{key}[{i}]", item, _setter(value, i))
    uri = record.source.get("uri")
    if isinstance(uri, str) and uri.lower().startswith(_WEB_SCHEMES):
        yield Field("source.uri", uri, _setter(record.source, "uri"))


def _setter(container: Any, key: Any) -> Callable[[str], None]:
    def put(value: str) -> None:
        container[key] = value
    return put
