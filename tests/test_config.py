"""Pipelines as data: presets, overrides, config files, the CLI's --print-config."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from corpusmill.cli import main
from corpusmill.config import build_pipeline, job_from_config, load_config


def test_presets_put_parsing_first_and_curation_after_filters() -> None:
    p = [s["stage"] for s in build_pipeline("warc", "fineweb")]
    assert p[0] == "html_extract" and "media_gate" in p
    assert p.index("minhash_dedup") > p.index("language")
    assert p[-1] == "pii"
    bare = [s["stage"] for s in build_pipeline("warc", "none", dedup=False, pii=False)]
    assert bare == ["html_extract", "plain_text", "pdf_parse", "media_gate", "language"]
    pdf = build_pipeline("pdf", "none")
    assert pdf[0]["stage"] == "pdf_parse" and "media_types" not in pdf[0]
    web_pdf = [s for s in build_pipeline("warc", "fineweb") if s["stage"] == "pdf_parse"][0]
    assert web_pdf["media_types"] == ["application/pdf"]  # web images are not scanned documents


def test_overrides_change_a_stage_and_unknown_ones_fail() -> None:
    p = build_pipeline("warc", "fineweb", overrides={"language": {"min_score": 0.9}})
    assert [s for s in p if s["stage"] == "language"][0]["min_score"] == 0.9
    with pytest.raises(ValueError, match="not in the pipeline"):
        build_pipeline("warc", "fineweb", overrides={"nope": {}})


def test_config_file_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warc", "a.warc.gz", "-o", str(tmp_path / "o"), "--preset", "refinedweb",
                 "--print-config"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["reader"] == "warc" and "substring_dedup" in [s["stage"] for s in cfg["pipeline"]]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(cfg))
    job = load_config(path)
    assert job.pipeline == cfg["pipeline"] and job.inputs == ["a.warc.gz"]


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown config keys"):
        job_from_config({"reader": "warc", "inputs": [], "wrokers": 2})
