"""One reader protocol: each reader owns the file names it takes, and every job agrees with it."""
from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from corpusmill.acquire.pdf_archive import PdfArchiveReader
from corpusmill.acquire.warc_reader import WarcReader
from corpusmill.job import expand_inputs
from corpusmill.readers import CorpusReader, Reader
from corpusmill.registry import READERS, reader_class
from tests.conftest import FIXTURES


def test_every_registered_reader_is_a_reader() -> None:
    for kind in READERS:
        assert issubclass(reader_class(kind), Reader), kind
    assert WarcReader.takes("x/CC-MAIN-1.WARC.GZ") and not WarcReader.takes("notes.txt")
    assert CorpusReader.takes("part-0.parquet") and not CorpusReader.takes("dump.warc.gz")
    assert PdfArchiveReader.takes("anything.bin")


def test_a_zstd_warc_is_a_warc_for_the_warc_job_and_the_pdf_job(tmp_path: Path) -> None:
    if shutil.which("zstd") is None:
        pytest.skip("no zstd binary")
    plain = tmp_path / "demo.warc"
    (tmp_path / "dumps").mkdir()
    plain.write_bytes(gzip.decompress((FIXTURES / "warc" / "demo.warc.gz").read_bytes()))
    subprocess.run(["zstd", "-q", str(plain), "-o", str(tmp_path / "dumps" / "demo.warc.zst")], check=True)
    plain.unlink()
    assert expand_inputs([str(tmp_path / "dumps")], "warc") == [str(tmp_path / "dumps" / "demo.warc.zst")]
    records = list(PdfArchiveReader().read(tmp_path / "dumps" / "demo.warc.zst"))
    assert len(records) == 121  # read as a WARC, not taken for one unknown file
    assert sum(r.media_type == "application/pdf" for r in records) >= 1
