"""decode_html on real bytes: BOMs, header/meta conflicts, mislabelled pages, legacy charsets."""
from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from corpusmill.extract.charset import decode_html, normalise_charset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"
GERMAN = "Größere Straßen führen über die Brücke, sagte der Bürgermeister. "


def page(name: str) -> bytes:
    return (FIXTURES / f"{name}.html").read_bytes()


def test_utf8_bom_beats_a_contradicting_meta_charset():
    html = codecs.BOM_UTF8 + f'<meta charset="iso-8859-1"><p>{GERMAN}</p>'.encode()
    d = decode_html(html, "iso-8859-1")
    assert (d.charset, d.method) == ("utf-8", "bom")
    assert GERMAN in d.text and not d.text.startswith("\ufeff")


def test_utf16_bom():
    html = f"<html><p>{GERMAN}</p></html>".encode("utf-16")  # with its BOM
    d = decode_html(html, None)
    assert d.method == "bom" and d.charset.startswith("utf-16")
    assert GERMAN in d.text


def test_header_latin1_but_bytes_are_utf8():
    d = decode_html(f"<p>{GERMAN}</p>".encode(), "ISO-8859-1")
    assert d.charset == "utf-8"
    assert d.method == "http-mislabelled:utf-8"
    assert GERMAN in d.text


def test_declared_utf8_page_with_stray_latin1_bytes_keeps_both_right():
    # Real page: declared UTF-8, one cp1252 byte in an inline CSS comment.
    content = page("td0134")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    d = decode_html(content, "utf-8")
    assert d.charset == "utf-8" and d.method == "http+cp1252-strays"
    assert "Schaf, Standardausführung, weiß" in d.text  # the UTF-8 part
    assert "Mäscot Breit" in d.text  # the stray byte, read as cp1252
    assert "\ufffd" not in d.text


def test_declared_utf8_but_really_windows_1250_real_page():
    content = page("td0491")  # rp.pl, windows-1250 in its meta tag
    d = decode_html(content, "utf-8")  # a lying header
    assert d.charset == "cp1250"
    assert "Ciężar dyskusji przeniesie" in d.text


def test_windows_1250_from_meta():
    d = decode_html(page("td0491"), None)
    assert (d.charset, d.method) == ("cp1250", "meta")
    assert "To jest moment fundamentalny" in d.text


@pytest.mark.parametrize("header", [None, "utf-8", "iso-8859-1"])
def test_gb2312_page_whatever_the_header_says(header):
    d = decode_html(page("td0511"), header)
    assert d.charset == "gb18030"  # the WHATWG superset of gb2312
    assert "一个约定，信守15年，感人至深" in d.text


def test_header_wins_over_meta_when_both_decode():
    html = ('<meta charset="windows-1252"><p>' + "Zażółć gęślą jaźń. " * 5 + "</p>").encode("iso-8859-2")
    d = decode_html(html, "iso-8859-2")
    assert (d.charset, d.method) == ("iso8859-2", "http")
    assert "Zażółć gęślą jaźń." in d.text


def test_undeclared_legacy_bytes_are_detected():
    d = decode_html(f"<html><body><p>{GERMAN * 10}</p></body></html>".encode("cp1252"), None)
    assert d.method == "detected"
    assert GERMAN in d.text


def test_undeclared_valid_utf8():
    d = decode_html(f"<p>{GERMAN}</p>".encode(), None)
    assert (d.charset, d.method) == ("utf-8", "valid-utf-8")


def test_unknown_and_utf16_labels_without_bom_are_ignored():
    html = f'<meta charset="utf-16"><p>{GERMAN}</p>'.encode()
    assert decode_html(html, "x-no-such-charset").charset == "utf-8"


@pytest.mark.parametrize("header", [None, "utf-8", "iso-8859-1", "shift_jis", "bogus"])
def test_random_bytes_never_raise(header):
    rng = random.Random(7)
    content = bytes(rng.getrandbits(8) for _ in range(20000))
    d = decode_html(content, header)
    assert isinstance(d.text, str) and d.text
    if "replace" in d.method:
        assert "\ufffd" in d.text


def test_empty_content():
    d = decode_html(b"", None)
    assert d.text == ""


def test_wrong_type_raises():
    with pytest.raises(TypeError):
        decode_html("<p>already text</p>", None)  # type: ignore[arg-type]


def test_normalise_charset_aliases():
    assert normalise_charset("ISO-8859-1") == "cp1252"
    assert normalise_charset('"GB2312"') == "gb18030"
    assert normalise_charset("UTF8") == "utf-8"
    assert normalise_charset("no-such") is None
