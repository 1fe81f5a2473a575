"""PDF archives -> Records: a PDF, an image, a folder, a zip or a tar(.gz/.bz2/.xz).

One document is one Record with its bytes in `content` for the `pdf_parse`
stage. The media type is sniffed from the bytes (`%PDF-`, PNG, JPEG, TIFF),
never taken from the name: a "report.pdf" that is HTML travels as text/html,
and the parser gives it a clear error if it is forced through.

Archives are streamed one member at a time. A member is read with a byte cap
(`max_member_bytes`); zip members are also checked against their declared
size and compression ratio before reading (zip bombs). A member that cannot
be read becomes an error Record with a message, and the run goes on.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import IO, Iterator

from corpusmill.acquire.media_type import is_pdf_or_raster_image, sniff_media_type
from corpusmill.acquire.warc_reader import WarcReader
from corpusmill.readers import Reader
from corpusmill.record import Record, stable_id

STAGE = "pdf_archive"
VERSION = "1"
_SNIFF_BYTES = 4096
_CHUNK = 1 << 20
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


class MemberTooLarge(ValueError):
    pass


class PdfArchiveReader(Reader):
    """Records from PDF/image files, folders (recursive), zip/tar archives and WARCs (their PDFs).

    It takes every file of a folder (`suffixes` None): what is not a document
    is accounted for as a named drop.
    """

    name = STAGE
    version = VERSION

    def __init__(self, max_member_bytes: int = 512 * 1024 * 1024, max_compression_ratio: float = 200.0,
                 skip_other_types: bool = False) -> None:
        self.max_member_bytes = max_member_bytes
        self.max_compression_ratio = max_compression_ratio
        # In a folder or archive, files that are neither PDFs nor images
        # (READMEs, .tex sources) are yielded as records of their sniffed type
        # unless this is set; then they are skipped.
        self.skip_other_types = skip_other_types

    def read(self, path: str | os.PathLike[str]) -> Iterator[Record]:
        p = Path(path)
        if WarcReader.takes(p):
            # PDFs inside WARC responses: every WARC record is accounted for as usual,
            # and the PDF parser takes the application/pdf ones.
            yield from WarcReader().read(p)
        elif p.is_dir():
            yield from self._read_folder(p)
        elif _is_tar_name(p.name) or (not _is_zip(p) and _is_tar(p)):
            yield from self._read_tar(p)
        elif _is_zip(p):
            yield from self._read_zip(p)
        else:
            yield self._read_file(p, top=True)

    # -- plain files and folders
    def _read_folder(self, root: Path) -> Iterator[Record]:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath, name)
                if _is_tar_name(name) or _is_zip(p):
                    yield from self.read(p)
                else:
                    rec = self._read_file(p, top=False)
                    if rec is not None:
                        yield rec

    def _read_file(self, p: Path, top: bool) -> Record | None:
        resolved = p.resolve()
        uri = resolved.as_uri()
        try:
            size = p.stat().st_size
            if size > self.max_member_bytes:
                raise MemberTooLarge(f"file too large: {size} bytes > {self.max_member_bytes}")
            content = p.read_bytes()
        except (OSError, MemberTooLarge) as e:
            return _error_record(str(resolved), "", uri, f"unreadable file: {e}")
        media_type = sniff_media_type(content[:_SNIFF_BYTES])
        if not top and self.skip_other_types and not is_pdf_or_raster_image(media_type):
            return None
        return _record(str(resolved), "", uri, content, media_type)

    # -- zip
    def _read_zip(self, p: Path) -> Iterator[Record]:
        archive = str(p.resolve())
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError) as e:
            yield _error_record(archive, "", p.resolve().as_uri(), f"unreadable zip archive: {e}")
            return
        with zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                uri = f"zip:{p.resolve().as_uri()}!/{info.filename}"
                try:
                    self._check_zip_member(info)
                    with zf.open(info) as f:
                        content = self._read_capped(f)
                except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, MemberTooLarge,
                        NotImplementedError, RuntimeError, ValueError) as e:
                    # RuntimeError: encrypted member; NotImplementedError: unknown compression.
                    yield _error_record(archive, info.filename, uri, f"unreadable zip member: {e}")
                    continue
                rec = self._member_record(archive, info.filename, uri, content)
                if rec is not None:
                    yield rec

    def _check_zip_member(self, info: zipfile.ZipInfo) -> None:
        if info.file_size > self.max_member_bytes:
            raise MemberTooLarge(f"member too large: {info.file_size} bytes > {self.max_member_bytes}")
        if info.compress_size and info.file_size / info.compress_size > self.max_compression_ratio:
            raise MemberTooLarge(
                f"suspicious compression ratio {info.file_size / info.compress_size:.0f}:1 "
                f"(limit {self.max_compression_ratio:.0f}:1), possible zip bomb")

    # -- tar
    def _read_tar(self, p: Path) -> Iterator[Record]:
        archive = str(p.resolve())
        base = p.resolve().as_uri()
        try:
            # Stream mode ("r|*"): one pass, members never held together.
            tf = tarfile.open(p, mode="r|*")
        except (tarfile.TarError, OSError, EOFError) as e:
            yield _error_record(archive, "", base, f"unreadable tar archive: {e}")
            return
        with tf:
            members = iter(tf)
            while True:
                try:
                    info = next(members)
                except StopIteration:
                    break
                except (tarfile.TarError, OSError, EOFError, ValueError) as e:
                    # A broken header or a truncated stream ends the archive.
                    yield _error_record(archive, "", base, f"unreadable tar archive: {e}")
                    break
                if not info.isfile():
                    continue
                uri = f"tar:{base}!/{info.name}"
                try:
                    if info.size > self.max_member_bytes:
                        raise MemberTooLarge(f"member too large: {info.size} bytes > {self.max_member_bytes}")
                    f = tf.extractfile(info)
                    if f is None:
                        raise OSError("member has no data")
                    content = self._read_capped(f)
                except (tarfile.TarError, OSError, EOFError, MemberTooLarge, ValueError) as e:
                    yield _error_record(archive, info.name, uri, f"unreadable tar member: {e}")
                    if not isinstance(e, MemberTooLarge):
                        break  # the stream is broken past this point
                    continue
                rec = self._member_record(archive, info.name, uri, content)
                if rec is not None:
                    yield rec

    # -- shared
    def _member_record(self, archive: str, member: str, uri: str, content: bytes) -> Record | None:
        media_type = sniff_media_type(content[:_SNIFF_BYTES])
        if self.skip_other_types and not is_pdf_or_raster_image(media_type):
            return None
        return _record(archive, member, uri, content, media_type)

    def _read_capped(self, f: IO[bytes]) -> bytes:
        """Read a member; the declared size may lie, so stop at the cap whatever it says."""
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > self.max_member_bytes:
                raise MemberTooLarge(f"member exceeds {self.max_member_bytes} bytes when decompressed")
            chunks.append(chunk)
        return b"".join(chunks)


def _record(archive: str, member: str, uri: str, content: bytes, media_type: str) -> Record:
    return Record(
        id=stable_id(archive, member),
        media_type=media_type,
        content=content,
        source={
            "uri": uri,
            "path": archive,
            "member": member,
            "size": len(content),
            "payload_sha1": hashlib.sha1(content).hexdigest(),
        },
    )


def _error_record(archive: str, member: str, uri: str, message: str) -> Record:
    rec = Record(id=stable_id(archive, member), source={"uri": uri, "path": archive, "member": member})
    rec.fail(STAGE, VERSION, message)
    return rec


def _is_tar_name(name: str) -> bool:
    return name.lower().endswith(_TAR_SUFFIXES)


def _is_tar(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.stat().st_mode) and tarfile.is_tarfile(p)
    except (OSError, tarfile.TarError):
        return False


def _is_zip(p: Path) -> bool:
    # A zip starts with a local file header (or is an empty archive); checking
    # the start, not only the central directory at the end, keeps PDFs that
    # carry an embedded zip stream from being taken for archives.
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head in (b"PK\x03\x04", b"PK\x05\x06") and zipfile.is_zipfile(p)
