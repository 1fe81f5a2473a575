"""`corpusmill pdf` options of issue 12: a user's mistake gets one line and a non-zero exit."""
from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.jobs.test_warc_job import cli

PDF = str(FIXTURES / "pdf" / "eledmac--1-tabular.pdf")


@pytest.mark.parametrize("args, message", [
    (["--backend", "mineru"], "invalid choice: 'mineru'"),
    (["--backend", "torch"], "corpusmill: --backend torch needs --models /path/to/weights"),
    (["--min-ocr-confidence", "2"], "corpusmill: --min-ocr-confidence is a confidence between 0 and 1"),
    (["--page-timeout", "0"], "corpusmill: --timeout and --page-timeout are seconds, above 0"),
])
def test_bad_pdf_option_is_one_line_and_nonzero(tmp_path, args, message):
    r = cli("pdf", PDF, "-o", str(tmp_path / "out"), *args)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "data").exists()
