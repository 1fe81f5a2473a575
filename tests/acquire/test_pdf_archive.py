"""PdfArchiveReader: every input kind, sniffed media types, guarded archives, error records."""
from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from corpusmill.acquire.pdf_archive import PdfArchiveReader
from corpusmill.record import stable_id

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"
PDF_A = FIXTURES / "eledmac--1-tabular.pdf"
PDF_B = FIXTURES / "ntgclass--brief-sample.pdf"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_single_pdf_file():
    (rec,) = PdfArchiveReader().read(PDF_A)
    data = PDF_A.read_bytes()
    assert rec.ok and rec.media_type == "application/pdf" and rec.content == data
    assert rec.id == stable_id(str(PDF_A.resolve()), "")
    assert rec.source == {"uri": PDF_A.resolve().as_uri(), "path": str(PDF_A.resolve()), "member": "",
                          "size": len(data), "payload_sha1": hashlib.sha1(data).hexdigest()}


def test_media_type_is_sniffed_not_taken_from_the_name(tmp_path):
    (tmp_path / "page.pdf").write_bytes(b"<!DOCTYPE html><html>not a pdf</html>")
    (tmp_path / "scan.pdf").write_bytes(_png())
    (tmp_path / "paper.bin").write_bytes(PDF_A.read_bytes())
    got = {Path(r.source["path"]).name: r.media_type for r in PdfArchiveReader().read(tmp_path)}
    assert got == {"page.pdf": "text/html", "scan.pdf": "image/png", "paper.bin": "application/pdf"}


def test_folder_is_read_recursively_in_a_stable_order(tmp_path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "a.pdf").write_bytes(PDF_A.read_bytes())
    (tmp_path / "b" / "c" / "d.pdf").write_bytes(PDF_B.read_bytes())
    (tmp_path / "b" / "img.png").write_bytes(_png())
    (tmp_path / "b" / "notes.txt").write_text("hello")
    recs = list(PdfArchiveReader(skip_other_types=True).read(tmp_path))
    assert [Path(r.source["path"]).relative_to(tmp_path).as_posix() for r in recs] == ["a.pdf", "b/img.png", "b/c/d.pdf"]
    assert [r.media_type for r in recs] == ["application/pdf", "image/png", "application/pdf"]
    assert [r.id for r in recs] == [r.id for r in PdfArchiveReader(skip_other_types=True).read(tmp_path)]


def test_zip_members_stream_with_member_uris(tmp_path):
    z = tmp_path / "docs.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(PDF_A, "x/a.pdf")
        zf.writestr("x/", "")
        zf.writestr("img.png", _png())
    recs = list(PdfArchiveReader().read(z))
    assert [r.source["member"] for r in recs] == ["x/a.pdf", "img.png"]
    a = recs[0]
    assert a.content == PDF_A.read_bytes() and a.media_type == "application/pdf"
    assert a.source["uri"] == f"zip:{z.resolve().as_uri()}!/x/a.pdf"
    assert a.id == stable_id(str(z.resolve()), "x/a.pdf") != recs[1].id


@pytest.mark.parametrize("mode, name", [("w:gz", "docs.tar.gz"), ("w:bz2", "docs.tar.bz2"),
                                        ("w:xz", "docs.tar.xz"), ("w", "docs.tar")])
def test_tar_archives(tmp_path, mode, name):
    t = tmp_path / name
    with tarfile.open(t, mode) as tf:
        tf.add(PDF_A, "a.pdf")
        tf.add(PDF_B, "sub/b.pdf")
    recs = list(PdfArchiveReader().read(t))
    assert [r.source["member"] for r in recs] == ["a.pdf", "sub/b.pdf"]
    assert recs[1].content == PDF_B.read_bytes()
    assert recs[1].source["uri"] == f"tar:{t.resolve().as_uri()}!/sub/b.pdf"


def test_zip_bomb_member_is_an_error_and_the_rest_is_read(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.pdf", b"%PDF-1.4\n" + b"\0" * (20 << 20))
        zf.write(PDF_A, "ok.pdf")
    bomb, ok = PdfArchiveReader().read(z)
    assert bomb.status == "error" and "zip bomb" in bomb.reason
    assert bomb.source["member"] == "bomb.pdf" and bomb.content is None
    assert ok.ok and ok.content == PDF_A.read_bytes()


def test_member_over_the_size_cap(tmp_path):
    t = tmp_path / "big.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        tf.add(PDF_B, "big.pdf")
        tf.add(PDF_A, "small.pdf")
    big, small = PdfArchiveReader(max_member_bytes=len(PDF_A.read_bytes())).read(t)
    assert big.status == "error" and big.reason.startswith("unreadable tar member: member too large")
    assert small.ok


def test_truncated_and_garbage_archives_give_error_records(tmp_path):
    t = tmp_path / "cut.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        tf.add(PDF_A, "a.pdf")
        tf.add(PDF_B, "b.pdf")
    t.write_bytes(t.read_bytes()[: t.stat().st_size // 2])
    recs = list(PdfArchiveReader().read(t))
    assert recs[-1].status == "error" and "unreadable tar" in recs[-1].reason
    g = tmp_path / "garbage.zip"
    g.write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    (rec,) = PdfArchiveReader().read(g)
    assert rec.status == "error" and rec.reason.startswith("unreadable zip archive")
    # A zip cut short (its central directory lost) is a corrupt archive, not an unknown file type.
    z = tmp_path / "cut.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.pdf", PDF_A.read_bytes())
    z.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    (rec,) = PdfArchiveReader().read(z)
    assert rec.status == "error" and rec.reason.startswith("unreadable zip archive"), rec.reason
    missing = list(PdfArchiveReader().read(tmp_path / "nope.pdf"))
    assert missing[0].status == "error" and missing[0].reason.startswith("unreadable file")


def test_encrypted_zip_member_is_an_error(tmp_path):
    # zipfile cannot write encrypted members; flip the "encrypted" flag bit of a real one.
    z = tmp_path / "enc.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.pdf", PDF_A.read_bytes())
    data = bytearray(z.read_bytes())
    data[6] |= 1  # local header flags
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1  # central directory flags
    z.write_bytes(bytes(data))
    (rec,) = PdfArchiveReader().read(z)
    assert rec.status == "error" and rec.reason.startswith("unreadable zip member")
