"""`corpusmill explain OUT ID`: where a record came from and every decision taken on it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import orjson

from corpusmill.readers import CorpusReader
from corpusmill.record import OK, Record
from corpusmill.stats import not_a_document

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def output_files(out: Path) -> list[Path]:
    return sorted((out / "data").glob("*")) + sorted((out / "rejects").glob("*"))


def iter_output(out: Path) -> Iterator[tuple[Path, Record]]:
    """Every record of a run's output, read back as the reader of corpus files reads them."""
    reader = CorpusReader()
    for f in output_files(out):
        if f.name.startswith("."):
            continue  # a partial file of a running shard
        for rec in reader.read(f):
            yield f, rec


def _id_key(value: str) -> str:
    """An id as compared: `<urn:uuid:X>`, `urn:uuid:X` and `X` are one id (a WARC-Record-ID as printed)."""
    v = value.strip().strip("<>").strip()
    if v.lower().startswith("urn:uuid:"):
        v = v[len("urn:uuid:"):]
    return v.lower() if _UUID.fullmatch(v) else v  # a UUID's hex digits have no case


def _matches(rec: Record, query: str, key: str) -> bool:
    if _id_key(rec.id) == key:
        return True
    wid = rec.source.get("warc_record_id")
    if isinstance(wid, str) and _id_key(wid) == key:
        return True
    return "://" in query and rec.source.get("uri") == query.strip()


def find_records(out: Path, query: str) -> list[tuple[Path, Record]]:
    """The records a query names: an id in any form it is printed in, or a URL (all records of it)."""
    key = _id_key(query)
    return [(f, rec) for f, rec in iter_output(out) if _matches(rec, query, key)]


def cluster_members(out: Path, cluster_id: Any) -> list[Record]:
    return [rec for _, rec in iter_output(out)
            if (rec.metadata.get("dedup") or {}).get("cluster_id") == cluster_id]


class _Limits:
    """Each stage's thresholds, from the pipeline the run recorded in its output."""

    def __init__(self, out: Path) -> None:
        try:
            pipeline = orjson.loads((out / "_markers" / "job.json").read_bytes()).get("pipeline") or []
        except (OSError, orjson.JSONDecodeError):
            pipeline = []
        self._specs = {spec.get("stage"): spec for spec in pipeline if isinstance(spec, dict)}
        self._stages: dict[str, Any] = {}

    def of(self, rec: Record) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for p in rec.provenance:
            name = p["stage"]
            if p.get("scores") and name in self._specs and name not in found:
                stage = self._stage(name)
                bounds = stage.limits(rec) if stage is not None else {}
                if bounds:
                    found[name] = bounds
        return found

    def _stage(self, name: str) -> Any:
        if name not in self._stages:
            from corpusmill.registry import build_stage

            try:
                self._stages[name] = build_stage(self._specs[name])
            except Exception:  # a stage this install cannot build: its scores show without bounds
                self._stages[name] = None
        return self._stages[name]


def explain_all(out: Path, query: str) -> list[dict[str, Any]]:
    """What `explain` says about every record the query names; documents before other WARC records."""
    limits = _Limits(out)
    hits = sorted(find_records(out, query), key=lambda h: not_a_document(h[1].reason or ""))
    return [_info(out, f, rec, limits) for f, rec in hits]


def explain(out: Path, record_id: str) -> dict[str, Any] | None:
    infos = explain_all(out, record_id)
    return infos[0] if infos else None


def _info(out: Path, f: Path, rec: Record, limits: _Limits) -> dict[str, Any]:
    info: dict[str, Any] = {"file": str(f), **rec.to_dict()}
    info["text"] = rec.text[:500] + ("..." if len(rec.text) > 500 else "")
    info["limits"] = limits.of(rec)
    dedup = rec.metadata.get("dedup") or {}
    if dedup.get("cluster_id") is not None:
        info["cluster"] = [
            {"id": m.id, "status": m.status, "uri": m.source.get("uri") or m.source.get("path"),
             "chars": m.text_chars, "kept": m.status == OK}
            for m in cluster_members(out, dedup["cluster_id"])
        ]
    return info


def render(info: dict[str, Any]) -> str:
    lines = [f"record {info['id']}  [{info['status']}]  {info['media_type']}", f"  in: {info['file']}"]
    src = info["source"]
    for k in ("uri", "path", "warc_file", "warc_offset", "warc_record_id", "http_status", "content_type",
              "charset", "fetch_time", "page_count"):
        if src.get(k) is not None:
            lines.append(f"  source.{k}: {src[k]}")
    md = {k: v for k, v in info["metadata"].items() if k not in ("pii", "pii_fields", "dedup")}
    if md:
        lines.append("  metadata: " + ", ".join(f"{k}={v!r}" for k, v in md.items()))
    lines.append("decisions:")
    for i, p in enumerate(info["provenance"], 1):
        bounds = (info.get("limits") or {}).get(p["stage"]) or {}
        scores = ", ".join(f"{k}={v}" + (f" (needs {bounds[k]})" if k in bounds else "")
                           for k, v in (p.get("scores") or {}).items())
        extra = " ".join(x for x in (p.get("reason") or "", p.get("detail") or "") if x)
        lines.append(f"  {i}. {p['stage']} v{p['version']}: {p['action']}"
                     + (f"  {extra}" if extra else "") + (f"  [{scores}]" if scores else ""))
    if info["pages"]:
        lines.append("pages:")
        for pg in info["pages"]:
            lines.append(f"  p{pg.get('number')}: route={pg.get('route')} ({pg.get('route_reason', '')}) "
                         f"chars={pg.get('chars')} blocks={len(pg.get('blocks') or [])}")
    if "pii" in info["metadata"] or "pii_fields" in info["metadata"]:
        fields = info["metadata"].get("pii_fields") or []
        lines.append(f"pii edits: {len(info['metadata'].get('pii') or []) + len(fields)}"
                     + (f" ({len(fields)} outside the text)" if fields else ""))
    if "cluster" in info:
        d = info["metadata"]["dedup"]
        lines.append(f"duplicate cluster {d.get('cluster_id')} ({len(info['cluster'])} members)"
                     + (f", duplicate of {d['duplicate_of']}" if d.get("duplicate_of") else ""))
        for m in info["cluster"]:
            lines.append(f"  {'kept   ' if m['kept'] else 'removed'} {m['id']}  {m['uri']}  {m['chars']} chars")
    withheld = info["metadata"].get("text_withheld")
    lines.append("text: " + (info["text"].replace("\n", " ")[:300]
                             or (f"(withheld: {withheld.get('chars')} chars, dropped before PII scrubbing)"
                                 if isinstance(withheld, dict) else "(empty)")))
    return "\n".join(lines)
