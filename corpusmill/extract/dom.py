"""Parsing HTML text into an lxml tree that later steps can walk without surprises.

lxml's libxml2 parser is fast and forgiving; what it does not forgive is handled here:
an XML declaration inside a str (lxml refuses str input that declares an encoding),
NUL and other C0 control characters (libxml2 cuts text at them), and documents larger
than the size this project processes.
"""
from __future__ import annotations

import re

from lxml import etree

# Pages past this size are navigation dumps, data tables or traps; the main text of a
# real article sits well inside the first few MB. Characters beyond it are not parsed.
MAX_HTML_CHARS = 5_000_000

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")

# The plain etree parser, not lxml.html's: lxml.html looks up a Python element class for
# every element proxy, which costs more than the parse itself on a typical page.
_PARSER = etree.HTMLParser(
    remove_comments=True,
    remove_pis=True,
    remove_blank_text=False,
    no_network=True,
    huge_tree=True,  # deep or very large documents parse instead of failing silently
    default_doctype=False,
)


def text_of(el: etree._Element) -> str:
    """All text inside an element, without its tail."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def parse_html(text: str) -> etree._Element | None:
    """The document's root element, or None when nothing parseable is left."""
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
    text = _XML_DECL.sub("", text, count=1)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root
