"""The record: one document on its way to the corpus (its fields: README.md, "Output").

Web pages, PDFs and images all travel as `Record`. Every stage that touches a
record appends a provenance entry with one of the actions below, so
`corpusmill explain` can say why a document is (not) in the corpus. A record
is never removed: a drop, a duplicate or an error changes its `status` (here,
and only here) and the writers send it to `rejects/`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
DROPPED = "dropped"
ERROR = "error"

# Provenance actions.
EXTRACTED = "extracted"
KEPT = "kept"
MODIFIED = "modified"
DROP = "dropped"
DUPLICATE = "duplicate"
FAILED = "error"

# The fields of a serialised record, in order (`Record.to_dict`).
RECORD_FIELDS = ("id", "text", "media_type", "source", "metadata", "pages", "provenance", "status")


def stable_id(*parts: str) -> str:
    """An id derived from the source, stable across runs (hash of URI + part)."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return h[:24]


@dataclass(slots=True)
class Record:
    id: str
    text: str = ""
    media_type: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    pages: list[dict[str, Any]] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    status: str = OK
    # Raw payload bytes between the reader and the extractor/parser. Never
    # serialised: it is dropped once a stage has turned it into `text`.
    content: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def text_chars(self) -> int:
        """The text's length, also for a reject written without its text (`metadata.text_withheld`)."""
        withheld = self.metadata.get("text_withheld")
        if not self.text and isinstance(withheld, dict) and isinstance(withheld.get("chars"), int):
            return withheld["chars"]
        return len(self.text)

    @property
    def reason(self) -> str | None:
        """The reason of the last non-ok decision (drop reason or error message)."""
        for p in reversed(self.provenance):
            if p["action"] in (DROP, DUPLICATE, FAILED):
                return p.get("reason")
        return None

    def log(
        self,
        stage: str,
        version: str,
        action: str,
        reason: str | None = None,
        scores: dict[str, float] | None = None,
        detail: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {"stage": stage, "version": version, "action": action}
        if reason is not None:
            entry["reason"] = reason
        if scores:
            entry["scores"] = {k: _num(v) for k, v in scores.items()}
        if detail is not None:
            entry["detail"] = detail
        self.provenance.append(entry)

    def drop(self, stage: str, version: str, reason: str, scores: dict[str, float] | None = None,
             detail: str | None = None) -> None:
        self.status = DROPPED
        self.content = None
        self.log(stage, version, DROP, reason, scores, detail)

    def mark_duplicate(self, stage: str, version: str, reason: str, scores: dict[str, float] | None = None,
                       detail: str | None = None) -> None:
        """A duplicate leaves the corpus like a drop (status `dropped`), logged as `duplicate`."""
        self.status = DROPPED
        self.content = None
        self.log(stage, version, DUPLICATE, reason, scores, detail)

    def fail(self, stage: str, version: str, message: str) -> None:
        self.status = ERROR
        self.content = None
        self.log(stage, version, FAILED, reason=message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "media_type": self.media_type,
            "source": self.source,
            "metadata": self.metadata,
            "pages": self.pages,
            "provenance": self.provenance,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Record":
        return cls(
            id=str(d["id"]),
            text=d.get("text") or "",
            media_type=d.get("media_type") or "",
            source=_as_dict(d.get("source")),
            metadata=_as_dict(d.get("metadata")),
            pages=_as_list(d.get("pages")),
            provenance=_as_list(d.get("provenance")),
            status=d.get("status") or OK,
        )


def _num(v: Any) -> float | int | str | bool | None:
    # Scores are numbers; round floats so outputs stay small and diff-able.
    if isinstance(v, float):
        return round(v, 6)
    return v


def _as_dict(v: Any) -> dict[str, Any]:
    # Parquet output stores nested fields as JSON strings.
    if isinstance(v, str):
        import orjson

        return orjson.loads(v) if v else {}
    return dict(v or {})


def _as_list(v: Any) -> list[Any]:
    if isinstance(v, str):
        import orjson

        return orjson.loads(v) if v else []
    return list(v or [])
