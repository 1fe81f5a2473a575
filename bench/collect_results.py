"""Gather bench/results/*.md (one section per benchmark script) into bench/RESULTS.md.

Each benchmark writes its own section when it runs; this only puts them in one
file in a fixed order, under a header saying how they were measured.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["html_extraction", "warc_reader", "warc_pipeline", "pii", "dedup", "pdf_text", "pdf_facts", "ocr", "crawl",
         "scaling"]
HEADER = """# Benchmark results

Every figure below was measured by the script named in its section, with corpusmill and its peers
in the same run on the same machine (2 cores x86_64, 24 GiB, no GPU; the machine was shared with
other jobs, so absolute times are noisy and the ratios are the figures to read). Rerun a script to
refresh its section, then `python bench/collect_results.py`.
"""


def main() -> None:
    parts = [HEADER]
    names = sorted(p.stem for p in (HERE / "results").glob("*.md"))
    for name in sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n)):
        parts.append((HERE / "results" / f"{name}.md").read_text().strip())
    (HERE / "RESULTS.md").write_text("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
