"""A user's mistake: one line saying what is wrong, a non-zero exit, no traceback, no work started."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

DEMO = str(FIXTURES / "warc" / "demo.warc.gz")


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)


def _one_line(r: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "retrying" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corpusmill: "), r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


CONFIGS = {
    "malformed": ("reader: warc\ninputs: [a\n  b: c", ["not valid YAML", "line"]),
    "unknown_preset": (f"inputs: [{DEMO}]\npreset: finweb\n", ["'finweb'", "fineweb, refinedweb, none"]),
    "unknown_stage": (f"inputs: [{DEMO}]\npipeline:\n  - {{stage: html_extract}}\n  - {{stage: gopher_qualty}}\n",
                      ["'gopher_qualty'", "gopher_quality"]),
    "unknown_setting": (f"inputs: [{DEMO}]\noverrides:\n  gopher_quality: {{min_doc_wordz: 30}}\n",
                        ["'min_doc_wordz'", "min_doc_words"]),
    "bad_setting_value": (f"inputs: [{DEMO}]\npipeline:\n  - {{stage: pii, types: [EMAIL, NOPE]}}\n",
                          ["NOPE"]),
    "unknown_key": (f"inputs: [{DEMO}]\nwrokers: 2\n", ["'wrokers'", "workers"]),
    "workers_zero": (f"inputs: [{DEMO}]\nworkers: 0\n", ["workers"]),
    "word_for_a_number": (f"inputs: [{DEMO}]\noverrides:\n  gopher_quality: {{min_doc_words: many}}\n",
                          ["min_doc_words must be a number", "'many'"]),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_bad_config_file(tmp_path: Path, case: str) -> None:
    text, needles = CONFIGS[case]
    path = tmp_path / "p.yaml"
    path.write_text(text + f"\noutput: {tmp_path / 'out'}\n")
    _one_line(cli("run", str(path)), *needles)
    assert not (tmp_path / "out").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    _one_line(cli("run", str(tmp_path / "nope.yaml")), "nope.yaml", "not found")


@pytest.mark.parametrize("command", ["warc", "crawl"])
def test_output_that_is_a_file(tmp_path: Path, command: str) -> None:
    f = tmp_path / "out.txt"
    f.write_text("x")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://example.org/\n")
    _one_line(cli(command, DEMO if command == "warc" else str(seeds), "-o", str(f)), "is a file")


@pytest.mark.parametrize("command", [["report"], ["explain", "--json"]])
def test_report_and_explain_on_a_folder_that_is_not_a_run(tmp_path: Path, command: list[str]) -> None:
    args = [command[0], str(tmp_path)] + (["some-id"] if command[0] == "explain" else [])
    _one_line(cli(*args), "not the output folder of a corpusmill run")


def test_crawl_with_a_missing_seeds_file(tmp_path: Path) -> None:
    _one_line(cli("crawl", str(tmp_path / "seeds.txt"), "-o", str(tmp_path / "out")), "seeds.txt")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["train-classifier", "train-lm", "select"])
@pytest.mark.parametrize("where", ["under_a_file", "a_folder"])
def test_model_and_selection_outputs_that_cannot_be_written(tmp_path: Path, command: str, where: str) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"id": "{i}", "text": "line {i} of some words"}}\n' for i in range(3)))
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    out = str(tmp_path / "a_file" / "m.bin") if where == "under_a_file" else str(tmp_path / "a_folder")
    args = {"train-classifier": ["--positive", str(corpus), "--negative", str(corpus)],
            "train-lm": [str(corpus), "--lang", "en"],
            "select": ["random", "--pool", str(corpus), "-k", "1"]}[command]
    r = cli(command, *args, "-o", out)
    if command == "select" and where == "a_folder":
        assert r.returncode == 0, r.stderr  # a folder is what select writes into
    else:
        _one_line(r, "a_file' is a file" if where == "under_a_file" else "is a folder; name the model file")


@pytest.mark.parametrize("seeds,flags,needles", [
    ("http://127.0.0.1:9/\n", ["--include", "("], ["--include", "'('", "not a regular expression"]),
    ("http://127.0.0.1:9/\n", ["--exclude", "[a-"], ["--exclude", "not a regular expression"]),
    ("not a url\nftp://example.org/x\n", [], ["holds no http(s) URL", "'not a url'"]),
    ("# only a comment\n\n", [], ["holds no http(s) URL"]),
    ("http://127.0.0.1:9/\n", ["--concurrency", "0"], ["--concurrency", "at least 1"]),
    ("http://127.0.0.1:9/\n", ["--delay", "-1"], ["--delay", "0 or more"]),
    ("http://127.0.0.1:9/\n", ["--max-pages", "-5"], ["--max-pages", "0 or more"]),
])
def test_crawl_mistakes_are_one_line_before_any_output(tmp_path: Path, seeds: str, flags: list[str],
                                                       needles: list[str]) -> None:
    (tmp_path / "seeds.txt").write_text(seeds)
    _one_line(cli("crawl", str(tmp_path / "seeds.txt"), "-o", str(tmp_path / "out"), "--allow-private", *flags),
              *needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,needles", [
    (["pii", DEMO, "--types", "EMAIL,NOPE"], ["NOPE", "EMAIL"]),
    (["pdf", DEMO, "--ocr-engine", "easyocr"], ["easyocr", "tesseract"]),
    (["pdf", DEMO, "--ocr-engine", "tesseract+sharpen"], ["sharpen"]),
    (["warc", DEMO, "--engine", "readability"], ["readability", "trafilatura"]),
    (["pdf", DEMO, "--backend", "gpu"], ["gpu", "onnx-gpu"]),
    (["warc", DEMO, "--workers", "0"], ["--workers", "at least 1"]),
    (["run", "p.yaml", "--workers", "0"], ["--workers"]),
    (["pdf", DEMO, "--backend", "torch"], ["--models"]),
    (["pdf", DEMO, "--backend", "torch", "--models", "/nonexistent/weights"], ["--models", "not a folder"]),
    (["pdf", DEMO, "--llm-endpoint", "localhost:8000", "--llm-model", "m"], ["--llm-endpoint", "http"]),
    (["pdf", DEMO, "--dpi", "0"], ["--dpi", "at least 1"]),
    (["pdf", DEMO, "--memory-mb", "-1"], ["--memory-mb", "at least 1"]),
])
def test_bad_option_values(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    _one_line(cli(*args, *([] if args[0] == "run" else ["-o", str(tmp_path / "out")])), *needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_backend_torch_without_torch_is_one_line_not_every_scan_dropped(tmp_path: Path) -> None:
    _one_line(cli("pdf", DEMO, "--backend", "torch", "--models", str(tmp_path), "-o", str(tmp_path / "out")),
              "needs torch", "[gpu]")
    assert not (tmp_path / "out").exists()


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`corpusmill explain OUT ID | head -1`: the reader is gone before we write; no traceback."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "some words of a document"}\n')
    assert cli("pii", str(corpus), "-o", str(tmp_path / "out"), "--quiet").returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before the command writes: its first write gets EPIPE
    p = subprocess.run([sys.executable, "-m", "corpusmill.cli", "explain", str(tmp_path / "out"), "a", "--json"],
                       cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    os.close(write_end)
    assert p.returncode == 141 and p.stderr == "", p.stderr
