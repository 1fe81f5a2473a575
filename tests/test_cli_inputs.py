"""Inputs are checked before any work starts: one line naming the bad one, exit 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def assert_one_line_error(r: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corpusmill: "), r.stderr
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["warc", "pdf", "dedup"])
@pytest.mark.parametrize("bad", ["no/such/dump.warc.gz", "nothing-here-*.warc.gz", "s3://bucket/dump.warc.gz",
                                 "hf://datasets/org/corpus"])
def test_a_missing_input_is_refused_before_work_starts(tmp_path: Path, command: str, bad: str) -> None:
    out = tmp_path / "out"
    r = cli(command, bad, "-o", str(out), "--quiet", cwd=tmp_path)
    assert_one_line_error(r, 2, repr(bad))
    assert not out.exists(), "nothing is written for a run that cannot start"


def test_a_bad_input_among_good_ones_is_named(tmp_path: Path) -> None:
    good = ROOT / "fixtures" / "warc" / "demo.warc.gz"
    r = cli("warc", str(good), str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "out"))
    assert_one_line_error(r, 2, "missing.warc.gz", "no such file")


def test_a_folder_without_readable_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = cli("warc", str(tmp_path / "empty"), "-o", str(tmp_path / "out"))
    assert_one_line_error(r, 2, "empty")
