"""`OUT/report.html`: one self-contained page about a run (no network needed to view it).

`write_report(out)` is called at the end of every run; `corpusmill report OUT`
rebuilds it from the output folder alone.
"""
from __future__ import annotations

import datetime as dt
import os
from html import escape
from pathlib import Path

from corpusmill.report import svg
from corpusmill.report.collect import ReportData, collect
from corpusmill.stage import StageStats
from corpusmill.stats import not_a_document

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8f9fa;color:#212529}
header{background:#212529;color:#f8f9fa;padding:18px 28px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#adb5bd}
main{padding:18px 28px;display:grid;grid-template-columns:repeat(auto-fill,minmax(660px,1fr));gap:18px}
section{background:#fff;border:1px solid #dee2e6;border-radius:8px;padding:12px 14px}
section h2{font-size:15px;margin:0 0 8px}
.kpis{display:flex;gap:14px;flex-wrap:wrap;grid-column:1/-1}
.kpi{background:#fff;border:1px solid #dee2e6;border-radius:8px;padding:10px 16px;min-width:120px}
.kpi b{display:block;font-size:22px} .kpi span{color:#868e96;font-size:12px}
.ok{color:#2f9e44} .bad{color:#e03131}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #e9ecef;padding:4px 6px;text-align:right;vertical-align:top}
td:first-child,th:first-child,td.l{text-align:left}
svg.chart{max-width:100%;height:auto}
svg .ttl{font-weight:600;font-size:13px} svg .lbl{font-size:12px;fill:#495057}
svg .val{font-size:11px;fill:#495057} svg .axis{stroke:#adb5bd}
.empty{color:#868e96;font-style:italic}
.wide{grid-column:1/-1}
"""


def write_report(out: Path) -> Path:
    data = collect(out)
    path = out / "report.html"
    tmp = path.with_name(f".report.html.{os.getpid()}.tmp")  # a `corpusmill report` beside a run: no shared name
    tmp.write_text(render(data, out), encoding="utf-8")
    tmp.replace(path)
    return path


def _section(title: str, body: str, wide: bool = False, note: str = "") -> str:
    body = body or f'<p class="empty">{escape(note or "nothing to show for this run")}</p>'
    return f'<section{" class=wide" if wide else ""}><h2>{escape(title)}</h2>{body}</section>'


def render(d: ReportData, out: Path) -> str:
    st = d.stats
    ex = st.extra
    wall = float(ex.get("wall_seconds") or 0)
    not_docs = st.not_documents
    kpis = [("input records", f"{st.input:,}", ""),
            *([("not documents", f"{not_docs:,}", ""), ("documents", f"{st.input - not_docs:,}", "")]
              if not_docs else []),
            ("in the corpus", f"{st.output:,}", "ok"),
            ("dropped", f"{st.dropped - not_docs:,}", ""), ("errors", f"{st.errors:,}", "bad" if st.errors else ""),
            ("records/s", f"{st.input / wall:,.1f}" if wall else "-", ""),
            ("accounting", "balanced" if st.balanced else "MISMATCH", "ok" if st.balanced else "bad")]
    kpi_html = "".join(f'<div class="kpi"><b class="{c}">{escape(v)}</b><span>{escape(k)}</span></div>'
                       for k, v, c in kpis)

    # Records that are not documents (WARC requests, metadata) are no quality decision: apart.
    def split(s: StageStats) -> tuple[int, int]:
        nd = sum(n for r, n in s.dropped.items() if not_a_document(r))
        return nd, sum(s.dropped.values()) - nd

    series = ["in", "kept", *(["not documents"] if not_docs else []), "dropped", "errors"]
    funnel = svg.hbars([(s.name, {"in": s.input, "kept": s.output, "not documents": split(s)[0],
                                  "dropped": split(s)[1], "errors": s.errors})
                        for s in st.stages], series, "records through each stage", bar_h=11)
    with_tokens = any(s.tokens_in for s in st.stages)  # a run with --tokenizer
    stage_rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{s.input:,}</td><td>{s.output:,}</td>"
        + (f"<td>{split(s)[0]:,}</td>" if not_docs else "")
        + f"<td>{split(s)[1]:,}</td><td>{s.errors:,}</td><td>{s.seconds:,.1f}</td>"
        + (f"<td>{s.tokens_in:,}</td><td>{s.tokens_out:,}</td>" if with_tokens else "") + "</tr>"
        for s in st.stages)
    stage_table = ("<table><tr><th>stage</th><th>in</th><th>out</th>"
                   + ("<th>not documents</th>" if not_docs else "")
                   + "<th>dropped</th><th>errors</th><th>seconds</th>"
                   + ("<th>tokens in</th><th>tokens out</th>" if with_tokens else "") + f"</tr>{stage_rows}</table>")
    not_doc_kinds = ", ".join(f"{r.split(':', 1)[1]} {n:,}" for r, n in sorted(
        ((r, n) for s in st.stages for r, n in s.dropped.items() if not_a_document(r)), key=lambda kv: -kv[1]))
    funnel_note = (f"<p>Not documents: {not_docs:,} WARC records that carry no document ({escape(not_doc_kinds)});"
                   " they are accounted for, not judged, and left out of the drop reasons.</p>"
                   if not_docs else "")
    reasons: dict[str, float] = {}
    for s in st.stages:
        for r, n in s.dropped.items():
            if not not_a_document(r):
                reasons[r] = reasons.get(r, 0) + n
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:20]
    drop_chart = svg.hbars([(r, {"dropped": n}) for r, n in top], ["dropped"], "drop reasons (top 20)")

    langs = set(d.languages["kept"]) | set(d.languages["dropped"])
    top_langs = sorted(langs, key=lambda l: -(d.languages["kept"][l] + d.languages["dropped"][l]))[:15]
    lang_chart = svg.hbars([(l, {"kept": d.languages["kept"][l], "dropped": d.languages["dropped"][l]})
                            for l in top_langs], ["kept", "dropped"], "languages (top 15)", bar_h=10)
    length_chart = svg.histogram({k: r.values for k, r in d.lengths.items()}, "text length",
                                 log=True, xlabel="characters")
    score_charts = "".join(
        svg.histogram({k: r.values for k, r in sides.items()}, f"{stage}: {name}", width=420, height=170,
                      bins=24)
        for (stage, name), sides in sorted(d.scores.items())
        if len(set(sides["kept"].values + sides["dropped"].values)) > 1)
    clusters = svg.hbars([(f"size {k}", {"value": v}) for k, v in sorted(d.cluster_sizes.items())[:25]],
                         ["value"], "duplicate clusters by size")
    pii = svg.hbars([(k, {"value": v}) for k, v in d.pii.most_common()], ["value"], "PII edits by type")
    routes = svg.hbars([(k, {"value": v}) for k, v in d.routes.most_common()], ["value"],
                       "PDF/image pages by route")
    media = svg.hbars([(k, {"value": v}) for k, v in d.media_types.most_common(12)], ["value"],
                      "records by media type")
    err_rows = "".join(f"<tr><td class=l>{escape(k)}</td><td>{n:,}</td>"
                       f"<td class=l>{escape(d.error_examples[k])}</td></tr>"
                       for k, n in d.errors.most_common(30))
    errors = (f"<table><tr><th>where: what</th><th>count</th><th>example message</th></tr>{err_rows}</table>"
              if err_rows else "")
    tput = svg.line(d.throughput, "input records finished over time", "seconds", "records")

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sub = (f"{escape(str(out))} · {ex.get('shards', '?')} shards · executor {escape(str(ex.get('executor')))}"
           f" × {ex.get('workers', '?')} · wall {wall:,.1f}s · written {when}")
    body = "".join([
        f'<div class="kpis">{kpi_html}</div>',
        _section("Funnel", funnel + stage_table + funnel_note, wide=True),
        _section("Drop reasons", drop_chart),
        _section("Languages", lang_chart, note="no language was identified in this run"),
        _section("Text length, kept vs dropped", length_chart),
        _section("Media types", media),
        _section("Filter scores, kept vs dropped", score_charts, wide=True,
                 note="no filter scores were recorded"),
        _section("Duplicate clusters", clusters, note="no duplicate clusters (dedup off or none found)"),
        _section("PII", pii, note="no PII edits (PII scrubbing off or nothing found)"),
        _section("PDF page routes", routes, note="no PDF or image pages in this run"),
        _section("Throughput", tput, note="not enough finished shards to plot"),
        _section("Errors", errors, wide=True, note="no errors"),
    ])
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>corpusmill report</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{_CSS}</style></head>"
            f"<body><header><h1>corpusmill run report</h1><p>{sub}</p></header><main>{body}</main>"
            f"</body></html>")
