"""Run statistics: per-stage funnel from shard markers, the accounting check, the summary table."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpusmill.stage import StageStats


class StatsError(RuntimeError):
    """The run's records do not add up: input != output + dropped + errors."""


def not_a_document(reason: str) -> bool:
    """Whether a drop reason is no decision about a document: a WARC record that carries none
    (request, metadata, warcinfo, revisit), which the WARC reader passes on only to account for it."""
    return reason.startswith("warc_type:")


@dataclass
class RunStats:
    input: int = 0
    output: int = 0
    dropped: int = 0
    errors: int = 0
    stages: list[StageStats] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_segments(cls, seg_results: list[dict[str, dict[str, Any]]], pass_seconds: dict[str, float],
                      **extra: Any) -> "RunStats":
        s = cls(extra=dict(extra))
        by_name: dict[str, StageStats] = {}
        order: list[str] = []

        def add(d: dict[str, Any]) -> None:
            st = StageStats.from_dict(d)
            if st.name not in by_name:
                by_name[st.name] = StageStats(st.name)
                order.append(st.name)
            by_name[st.name].merge(st)

        last = len(seg_results) - 1
        for k, results in enumerate(seg_results):
            for shard_id in sorted(results):
                r = results[shard_id]
                if k == 0:
                    s.input += int(r["input"])
                    add(r["reader"])
                for d in r["stages"]:
                    add(d)
                if r.get("collect"):
                    c = r["collect"]
                    if c["name"] not in by_name:
                        by_name[c["name"]] = StageStats(c["name"])
                        order.append(c["name"])
                    by_name[c["name"]].seconds += float(c["seconds"])
                w = r["written"]
                s.dropped += int(w.get("dropped", 0))
                s.errors += int(w.get("error", 0))
                if k == last:
                    s.output += int(w.get("ok", 0))
        for name, secs in pass_seconds.items():
            if name in by_name:
                by_name[name].seconds += secs
        s.stages = [by_name[n] for n in order]
        return s

    @property
    def not_documents(self) -> int:
        """Input records that are not documents (counted in `dropped`, shown apart from quality drops)."""
        return sum(n for st in self.stages for r, n in st.dropped.items() if not_a_document(r))

    @property
    def balanced(self) -> bool:
        return self.input == self.output + self.dropped + self.errors

    def check(self) -> None:
        if not self.balanced:
            raise StatsError(f"records do not add up: input {self.input} != output {self.output} + "
                             f"dropped {self.dropped} + errors {self.errors}")

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output, "dropped": self.dropped,
                "errors": self.errors, "balanced": self.balanced,
                "stages": [st.to_dict() for st in self.stages], **self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunStats":
        known = {"input", "output", "dropped", "errors", "balanced", "stages"}
        return cls(d["input"], d["output"], d["dropped"], d["errors"],
                   [StageStats.from_dict(x) for x in d["stages"]],
                   {k: v for k, v in d.items() if k not in known})


def render_summary(stats: RunStats, width: int = 110) -> str:
    """The end-of-run table: per stage in, out, dropped by reason, errors, seconds."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title="corpusmill run summary", title_justify="left")
    for col, just in (("stage", "left"), ("in", "right"), ("out", "right"), ("dropped", "right"),
                      ("top drop reasons", "left"), ("errors", "right"), ("seconds", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    with_tokens = any(st.tokens_in for st in stats.stages)
    if with_tokens:
        t.add_column("tokens in", justify="right")
        t.add_column("tokens out", justify="right")
    for st in stats.stages:
        n_drop = sum(st.dropped.values())
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(st.dropped.items(), key=lambda kv: -kv[1])[:3])
        tokens = (f"{st.tokens_in:,}", f"{st.tokens_out:,}") if with_tokens else ()
        t.add_row(st.name, f"{st.input:,}", f"{st.output:,}", f"{n_drop:,}", reasons or "-",
                  f"{st.errors:,}", f"{st.seconds:,.1f}", *tokens)
    console = Console(width=width, record=True, file=_Null())
    console.print(t)
    wall = stats.extra.get("wall_seconds")
    rate = f"  {stats.input / wall:,.1f} records/s" if wall else ""
    not_docs = stats.not_documents
    console.print(f"input {stats.input:,} = output {stats.output:,} + dropped {stats.dropped:,}"
                  + (f" ({not_docs:,} of them not documents: WARC requests, metadata)" if not_docs else "")
                  + f" + errors {stats.errors:,}  [{'ok' if stats.balanced else 'MISMATCH'}]"
                  + (f"  wall {wall:,.1f}s" if wall else "") + rate, markup=False)
    return console.export_text()


class _Null:
    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass
