"""Bytes of an HTML page to text, trusting declarations only as far as the bytes agree.

Order: byte-order mark, HTTP header charset, `<meta charset>` / http-equiv in the first
4 KB, then detection. Declarations lie often enough on the web that each one is checked
against the bytes before it is used:

* a page declared UTF-8 that does not decode strictly is usually UTF-8 with a few stray
  Latin-1/cp1252 bytes pasted in (templates, ad snippets), so valid UTF-8 sequences are
  kept and only the stray bytes are read as cp1252; a page with hardly any valid
  multi-byte sequence is really in another charset and goes to detection;
* a page declared in a single-byte charset whose bytes are valid UTF-8 with multi-byte
  sequences is UTF-8 (the reverse mislabel: the chance that Latin text in cp1252 forms
  valid UTF-8 multi-byte sequences by accident is negligible);
* a declared charset that fails strictly (undefined bytes, broken multi-byte sequences)
  is replaced by detection.

Nothing here raises on bad bytes: the last resort is U+FFFD replacement, noted in
`method` as "+replace".
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corpusmill.record import Record

# WHATWG Encoding Standard: browsers read these labels as windows-1252 / GB18030
# (supersets), so pages written for browsers use the extra code points.
_WHATWG_ALIASES = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
_UTF16_32 = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_META_SCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
# A single-byte reading with this share of non-ASCII among letters is checked by detection.
_MOJIBAKE_SHARE = 0.4
_MOJIBAKE_MIN_CHARS = 20
# Detection cost grows with input; the first 64 KB say as much about the charset as the rest.
_DETECT_SAMPLE_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str
    method: str


def normalise_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, with browser aliases; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-user-defined", "binary", "none"):
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def meta_charset(content: bytes) -> str | None:
    """The charset a `<meta>` tag declares in the first 4 KB, as written."""
    m = _META_CHARSET.search(content[:_META_SCAN_BYTES])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(content: bytes, http_charset: str | None) -> Decoded:
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise TypeError(f"content must be bytes, not {type(content).__name__}")
    content = bytes(content)
    for bom, name in _BOMS:
        if content.startswith(bom):
            text = content[len(bom):].decode(name, "replace")
            return Decoded(text, name, "bom" + ("+replace" if "\ufffd" in text else ""))

    # A UTF-16/32 label without a BOM in a page whose markup we could read as ASCII is a
    # lie (the meta tag itself would be unreadable otherwise).
    declared = [(method, charset) for method, charset in (
        ("http", normalise_charset(http_charset)),
        ("meta", normalise_charset(meta_charset(content))),
    ) if charset is not None and charset not in _UTF16_32]
    # A multi-byte charset that decodes is near-proof; a single-byte one decodes almost
    # any bytes, so those are tried after, and checked for mojibake.
    for method, charset in declared:
        if not _is_single_byte(charset) and (result := _try_declared(content, charset, method)):
            return result
    for method, charset in declared:
        if _is_single_byte(charset) and (result := _try_declared(content, charset, method)):
            return _unless_mojibake(content, result)
    return _detect(content, mislabelled=bool(declared))


def decode_record(record: Record) -> tuple[bytes, str]:
    """A record's payload bytes and their text; the charset found and how are noted on the record."""
    content = record.content
    assert content is not None  # the stage's handles() checked it
    decoded = decode_html(content, record.source.get("charset"))
    record.source["charset"] = decoded.charset
    record.metadata["charset_method"] = decoded.method
    return content, decoded.text


def _unless_mojibake(content: bytes, result: Decoded) -> Decoded:
    """Text in a multi-byte charset (CJK) read as Latin is mostly accented letters; if a
    single-byte reading looks like that and detection finds a multi-byte charset that
    decodes strictly, the detected one is right."""
    if result.charset == "utf-8" or content.isascii():
        return result
    sample = result.text[:_DETECT_SAMPLE_BYTES]
    non_ascii = sum(1 for ch in sample if ord(ch) > 0x7F)
    letters = sum(1 for ch in sample if ch.isalpha())
    if non_ascii < _MOJIBAKE_MIN_CHARS or non_ascii < _MOJIBAKE_SHARE * letters:
        return result
    detected = _detect(content, mislabelled=True)
    if detected.method.endswith("detected") and not _is_single_byte(detected.charset):
        return detected
    return result


def _try_declared(content: bytes, charset: str, method: str) -> Decoded | None:
    if charset == "utf-8":
        try:
            return Decoded(content.decode("utf-8"), "utf-8", method)
        except UnicodeDecodeError:
            pass
        return _mostly_utf8(content, method)
    if _is_single_byte(charset) and _is_utf8_with_multibyte(content):
        return Decoded(content.decode("utf-8"), "utf-8", f"{method}-mislabelled:utf-8")
    try:
        return Decoded(content.decode(charset), charset, method)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(content: bytes, method: str) -> Decoded | None:
    """UTF-8 with stray single-byte characters: keep it UTF-8, read strays as cp1252."""
    # surrogateescape maps each undecodable byte to one lone surrogate U+DC80..U+DCFF.
    text = content.decode("utf-8", "surrogateescape")
    strays = len(_STRAY.findall(text))
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - strays
    if multibyte < strays:
        return None
    text = _STRAY.sub(lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", "replace"), text)
    return Decoded(text, "utf-8", f"{method}+cp1252-strays")


_STRAY = re.compile("[\udc80-\udcff]")


def _is_single_byte(charset: str) -> bool:
    return charset.startswith(("cp12", "iso8859", "latin", "koi8", "mac", "cp8", "cp4"))


def _is_utf8_with_multibyte(content: bytes) -> bool:
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(content: bytes, mislabelled: bool) -> Decoded:
    prefix = "mislabelled:" if mislabelled else ""
    if content.isascii():
        return Decoded(content.decode("ascii"), "ascii", prefix + "ascii")
    try:
        return Decoded(content.decode("utf-8"), "utf-8", prefix + "valid-utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # imported late: only pages that need it pay

    best = from_bytes(content[:_DETECT_SAMPLE_BYTES]).best()
    charset = normalise_charset(best.encoding) if best is not None else None
    if charset is not None:
        try:
            return Decoded(content.decode(charset), charset, prefix + "detected")
        except UnicodeDecodeError:
            # The sample decoded but a later byte did not: keep the charset, replace that byte.
            text = content.decode(charset, "replace")
            return Decoded(text, charset, prefix + "detected+replace")
    text = content.decode("cp1252", "replace")
    return Decoded(text, "cp1252", prefix + "fallback+replace")
