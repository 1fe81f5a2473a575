"""PDF archives -> Records: a PDF, an image, a folder, a zip or a tar(.gz/.bz2/.xz).

One document is one Record with its bytes in `content` for the `pdf_parse`
stage. The media type is sniffed from the bytes (`%PDF-`, PNG, JPEG, TIFF),
never taken from the name: a "report.pdf" that is HTML travels as text/html,
and the parser gives it a clear error if it is forced through.

Archives are streamed one member at a time. A member is read with a byte cap
(`max_member_bytes`); zip members are also checked against their declared
size and compression ratio before reading (zip bombs). The whole archive is
capped too: members together may inflate to at most `max_compression_ratio`
times the archive's size (a tar.gz of many bombs), and zip members whose data
overlap another member's are refused (one compressed kernel referenced by many
directory entries: a zip bomb without recursion). A member that cannot be read
becomes an error Record with a message, and the run goes on.

Ids derive from the archive and the member name; a name the archive repeats
gets its position in the archive added, so every member has its own id.
"""
from __future__ import annotations

import hashlib
import itertools
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


class ArchiveTooLarge(MemberTooLarge):
    """The archive's members together inflate past the archive's budget."""


class _Budget:
    """Decompressed bytes left for the rest of one archive."""

    def __init__(self, archive: Path, ratio: float, floor: int) -> None:
        try:
            size = archive.stat().st_size
        except OSError:
            size = 0
        self.limit = max(floor, int(size * ratio))
        self.left = self.limit

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise ArchiveTooLarge(f"the archive's members inflate past {self.limit} bytes in total "
                                  f"(limit: the archive's size x the compression ratio limit)")

    @property
    def spent(self) -> bool:
        return self.left < 0

    def rest_skipped(self) -> str:
        return f"not read: the archive's members already inflated past {self.limit} bytes in total"


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
        return _record(stable_id(str(resolved), ""), str(resolved), "", uri, content, media_type)

    # -- zip
    def _read_zip(self, p: Path) -> Iterator[Record]:
        archive = str(p.resolve())
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError) as e:
            yield _error_record(archive, "", p.resolve().as_uri(), f"unreadable zip archive: {e}")
            return
        with zf:
            infos = zf.infolist()
            overlapping = _overlapping(infos)
            budget = _Budget(p, self.max_compression_ratio, self.max_member_bytes)
            names: set[str] = set()
            for pos, info in enumerate(infos):
                if info.is_dir():
                    continue
                uri = f"zip:{p.resolve().as_uri()}!/{info.filename}"
                rid = _member_id(archive, info.filename, pos, names)
                try:
                    if budget.spent:
                        raise ArchiveTooLarge(budget.rest_skipped())
                    if pos in overlapping:
                        raise zipfile.BadZipFile(f"its data overlaps member {overlapping[pos]!r}'s "
                                                 "(a zip bomb without recursion)")
                    self._check_zip_member(info)
                    with zf.open(info) as f:
                        content = self._read_capped(f, budget)
                except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, MemberTooLarge,
                        NotImplementedError, RuntimeError, ValueError) as e:
                    # RuntimeError: encrypted member; NotImplementedError: unknown compression.
                    yield _error_record(archive, info.filename, uri, f"unreadable zip member: {e}", rid)
                    continue
                rec = self._member_record(rid, archive, info.filename, uri, content)
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
            budget = _Budget(p, self.max_compression_ratio, self.max_member_bytes)
            names: set[str] = set()
            for pos in itertools.count():
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
                rid = _member_id(archive, info.name, pos, names)
                try:
                    if info.size > self.max_member_bytes:
                        raise MemberTooLarge(f"member too large: {info.size} bytes > {self.max_member_bytes}")
                    f = tf.extractfile(info)
                    if f is None:
                        raise OSError("member has no data")
                    content = self._read_capped(f, budget)
                except (tarfile.TarError, OSError, EOFError, MemberTooLarge, ValueError) as e:
                    yield _error_record(archive, info.name, uri, f"unreadable tar member: {e}", rid)
                    if isinstance(e, ArchiveTooLarge):
                        # Reading on in a stream means inflating it: whatever follows is one error.
                        try:
                            more = next(members, None) is not None
                        except (tarfile.TarError, OSError, EOFError, ValueError):
                            more = True
                        if more:
                            yield _error_record(archive, "", base, f"the members after {info.name!r} were "
                                                f"{budget.rest_skipped()}")
                        break
                    if not isinstance(e, MemberTooLarge):
                        break  # the stream is broken past this point
                    continue
                rec = self._member_record(rid, archive, info.name, uri, content)
                if rec is not None:
                    yield rec

    # -- shared
    def _member_record(self, rid: str, archive: str, member: str, uri: str, content: bytes) -> Record | None:
        media_type = sniff_media_type(content[:_SNIFF_BYTES])
        if self.skip_other_types and not is_pdf_or_raster_image(media_type):
            return None
        return _record(rid, archive, member, uri, content, media_type)

    def _read_capped(self, f: IO[bytes], budget: _Budget) -> bytes:
        """Read a member; the declared size may lie, so stop at the caps whatever it says."""
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > self.max_member_bytes:
                raise MemberTooLarge(f"member exceeds {self.max_member_bytes} bytes when decompressed")
            budget.take(len(chunk))
            chunks.append(chunk)
        return b"".join(chunks)


def _member_id(archive: str, member: str, pos: int, names: set[str]) -> str:
    """The archive and the name; a repeated name adds its position, so ids stay unique and stable."""
    if member in names:
        return stable_id(archive, member, f"#{pos}")
    names.add(member)
    return stable_id(archive, member)


def _overlapping(infos: list[zipfile.ZipInfo]) -> dict[int, str]:
    """Positions of zip entries whose bytes overlap another entry's -> the other entry's name.

    An entry spans at least its local header (30 bytes) and its compressed data; the
    local name and extra field only make it longer, so this never flags a sound zip.
    """
    out: dict[int, str] = {}
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    reach, owner = -1, -1   # the furthest end seen so far, and whose
    for i in order:
        info = infos[i]
        if info.header_offset < reach:
            out[i] = infos[owner].filename
            out.setdefault(owner, info.filename)
        end = info.header_offset + 30 + info.compress_size
        if end > reach:
            reach, owner = end, i
    return out


def _record(rid: str, archive: str, member: str, uri: str, content: bytes, media_type: str) -> Record:
    return Record(
        id=rid,
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


def _error_record(archive: str, member: str, uri: str, message: str, rid: str | None = None) -> Record:
    rec = Record(id=rid or stable_id(archive, member), source={"uri": uri, "path": archive, "member": member})
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
    # the start, not the central directory at the end, keeps PDFs that carry an
    # embedded zip stream from being taken for archives, and sends a truncated
    # zip (no central directory) to the zip reader, which names it corrupt.
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head in (b"PK\x03\x04", b"PK\x05\x06")
