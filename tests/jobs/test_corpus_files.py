"""Corpus files of different jobs are one dataset: `datasets` loads a PDF run's and a WARC run's together."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, read_out
from tests.jobs.test_warc_job import DEMO, cli


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_pdf_run_and_a_warc_run_load_together(tmp_path: Path, fmt: str) -> None:
    datasets = pytest.importorskip("datasets")
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    shutil.copy(FIXTURES / "pdf" / "ntgclass--brief-sample.pdf", pdfs)
    shutil.copy(FIXTURES / "layout" / "oup-template-p0004-degraded.jpg", pdfs)
    runs = {"pdf": (tmp_path / "pdf", [str(pdfs)]), "warc": (tmp_path / "warc", [str(DEMO), "--no-dedup"])}
    for job, (out, args) in runs.items():
        r = cli(job, *args, "-o", str(out), "--quiet", "--format", fmt)
        assert r.returncode == 0, r.stderr
    files = {job: sorted(str(p) for p in (out / "data").glob("[!.]*")) for job, (out, _) in runs.items()}
    n = {job: json.loads((out / "stats.json").read_text())["output"] for job, (out, _) in runs.items()}
    assert n["pdf"] == 2 and n["warc"] > 10
    loader = "parquet" if fmt == "parquet" else "json"
    for order in (("pdf", "warc"), ("warc", "pdf")):  # the first file fixes the types: both ways round
        ds = datasets.load_dataset(loader, data_files=files[order[0]] + files[order[1]], split="train",
                                   cache_dir=str(tmp_path / f"cache-{'-'.join(order)}"))
        assert ds.num_rows == n["pdf"] + n["warc"]
        rows = ds.to_list()
        sources = [json.loads(x["source"]) for x in rows]
        assert sum(1 for s in sources if s.get("page_count")) == 2
        assert sum(1 for s in sources if s.get("warc_file") == "demo.warc.gz") == n["warc"]
        pdf_row = next(x for x, s in zip(rows, sources) if (s.get("path") or "").endswith("brief-sample.pdf"))
        assert json.loads(pdf_row["pages"])[0]["route"] == "text-layer"
    # What the test helper (and explain) read back is the same record, nested fields as objects.
    got = read_out(runs["pdf"][0])["data"]
    assert {p["route"] for r in got for p in r["pages"]} == {"text-layer", "ocr"}
