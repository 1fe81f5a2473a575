"""Archives bounded as a whole (overlapping zip entries, tar.gz of many bombs) and ids unique per member."""
from __future__ import annotations

import io
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

from corpusmill.acquire.pdf_archive import PdfArchiveReader
from corpusmill.record import stable_id

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"
PDF = (FIXTURES / "eledmac--1-tabular.pdf").read_bytes()


def _overlapping_zip(path: Path, kernel: bytes, copies: int) -> None:
    """One stored member, its central-directory entry repeated: every entry points at the same data."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("kernel.pdf", kernel)
    raw = buf.getvalue()
    eocd = raw.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", raw[eocd + 12:eocd + 20])
    entry = raw[cd_offset:cd_offset + cd_size]
    new_eocd = (raw[eocd:eocd + 8] + struct.pack("<HHII", copies, copies, cd_size * copies, cd_offset)
                + raw[eocd + 20:])
    path.write_bytes(raw[:cd_offset] + entry * copies + new_eocd)


def test_overlapping_zip_entries_are_refused_not_inflated_again_and_again(tmp_path: Path) -> None:
    p = tmp_path / "overlap.zip"
    _overlapping_zip(p, PDF, 200)
    assert len(zipfile.ZipFile(p).infolist()) == 200     # the directory really lists it 200 times
    recs = list(PdfArchiveReader().read(p))
    assert len(recs) == 200 and len({r.id for r in recs}) == 200
    assert all(r.status == "error" and "overlaps member 'kernel.pdf'" in r.reason for r in recs)
    assert all(r.content is None for r in recs)


def test_a_sound_zip_with_a_repeated_name_is_read_with_distinct_ids(tmp_path: Path) -> None:
    p = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(p, "w") as zf:
        warnings.simplefilter("ignore")               # zipfile warns about the duplicate name
        zf.writestr("paper.pdf", PDF)
        zf.writestr("paper.pdf", PDF + b"\n% second copy\n")
        zf.writestr("other.pdf", PDF)
    recs = list(PdfArchiveReader().read(p))
    assert [r.status for r in recs] == ["ok", "ok", "ok"]
    assert len({r.id for r in recs}) == 3
    assert recs[0].id == stable_id(str(p.resolve()), "paper.pdf")     # the first keeps its plain id
    assert [r.id for r in PdfArchiveReader().read(p)] == [r.id for r in recs]   # and all are stable


def test_a_tar_with_a_repeated_name_gives_distinct_ids(tmp_path: Path) -> None:
    p = tmp_path / "dup.tar"
    with tarfile.open(p, "w") as tf:
        for body in (PDF, PDF + b"\n% again\n"):
            info = tarfile.TarInfo("docs/a.pdf")
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    recs = list(PdfArchiveReader().read(p))
    assert [r.status for r in recs] == ["ok", "ok"] and recs[0].id != recs[1].id
    assert [r.id for r in PdfArchiveReader().read(p)] == [r.id for r in recs]


def test_a_tar_gz_of_many_bombs_is_capped_in_total(tmp_path: Path) -> None:
    p = tmp_path / "bombs.tar.gz"
    member = 512 << 10
    with tarfile.open(p, "w:gz") as tf:
        for i in range(40):
            info = tarfile.TarInfo(f"z{i:02d}.bin")
            info.size = member
            tf.addfile(info, io.BytesIO(bytes(member)))
    reader = PdfArchiveReader(max_member_bytes=1 << 20, max_compression_ratio=200.0)
    limit = max(1 << 20, p.stat().st_size * 200)
    assert limit < 40 * member                           # each member is fine alone; together too much
    recs = list(reader.read(p))
    ok = [r for r in recs if r.ok]
    assert sum(len(r.content) for r in ok) <= limit and len(ok) == limit // member
    over, rest = recs[len(ok):]
    assert over.status == "error" and "inflate past" in over.reason and over.source["member"] == f"z{len(ok):02d}.bin"
    assert rest.status == "error" and "the members after" in rest.reason and rest.source["member"] == ""
