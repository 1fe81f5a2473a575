"""`corpusmill explain OUT ID`: where a record came from and every decision taken on it."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from corpusmill.readers import CorpusReader
from corpusmill.record import Record


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


def find_record(out: Path, record_id: str) -> tuple[Path, Record] | None:
    for f, rec in iter_output(out):
        if rec.id == record_id:
            return f, rec
    return None


def cluster_members(out: Path, cluster_id: Any) -> list[Record]:
    return [rec for _, rec in iter_output(out)
            if (rec.metadata.get("dedup") or {}).get("cluster_id") == cluster_id]


def explain(out: Path, record_id: str) -> dict[str, Any] | None:
    hit = find_record(out, record_id)
    if hit is None:
        return None
    f, rec = hit
    info: dict[str, Any] = {"file": str(f), **rec.to_dict()}
    info["text"] = rec.text[:500] + ("..." if len(rec.text) > 500 else "")
    dedup = rec.metadata.get("dedup") or {}
    if dedup.get("cluster_id") is not None:
        info["cluster"] = [
            {"id": m.id, "status": m.status, "uri": m.source.get("uri") or m.source.get("path"),
             "chars": len(m.text), "kept": m.status == "ok"}
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
    md = {k: v for k, v in info["metadata"].items() if k not in ("pii", "dedup")}
    if md:
        lines.append("  metadata: " + ", ".join(f"{k}={v!r}" for k, v in md.items()))
    lines.append("decisions:")
    for i, p in enumerate(info["provenance"], 1):
        scores = ", ".join(f"{k}={v}" for k, v in (p.get("scores") or {}).items())
        extra = " ".join(x for x in (p.get("reason") or "", p.get("detail") or "") if x)
        lines.append(f"  {i}. {p['stage']} v{p['version']}: {p['action']}"
                     + (f"  {extra}" if extra else "") + (f"  [{scores}]" if scores else ""))
    if info["pages"]:
        lines.append("pages:")
        for pg in info["pages"]:
            lines.append(f"  p{pg.get('number')}: route={pg.get('route')} ({pg.get('route_reason', '')}) "
                         f"chars={pg.get('chars')} blocks={len(pg.get('blocks') or [])}")
    if "pii" in info["metadata"]:
        lines.append(f"pii edits: {len(info['metadata']['pii'])}")
    if "cluster" in info:
        d = info["metadata"]["dedup"]
        lines.append(f"duplicate cluster {d.get('cluster_id')} ({len(info['cluster'])} members)"
                     + (f", duplicate of {d['duplicate_of']}" if d.get("duplicate_of") else ""))
        for m in info["cluster"]:
            lines.append(f"  {'kept   ' if m['kept'] else 'removed'} {m['id']}  {m['uri']}  {m['chars']} chars")
    lines.append("text: " + (info["text"].replace("\n", " ")[:300] or "(empty)"))
    return "\n".join(lines)
