"""HTML to main text and metadata.

`html_to_text(html, url, engine)` returns an `Extraction`: the page's main text (paragraphs
separated by blank lines, list items as "- item", data tables as Markdown pipe rows), its
metadata and the engine used. `corpusmill` (the default) is this package's own extractor;
`trafilatura`, `trafilatura-fast` and `resiliparse` run the peers with the settings the
benchmark uses. Bytes are decoded with `decode_html` (BOM, meta charset, validation,
detection). Only the first `MAX_HTML_CHARS` characters of a page are processed.

Bad HTML never raises: whatever an engine fails on yields empty text and no metadata.
Wrong argument types raise TypeError and an unknown engine name ValueError.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpusmill.extract.charset import Decoded, decode_html
from corpusmill.extract.dom import MAX_HTML_CHARS
from corpusmill.extract.engines import ENGINES

__all__ = ["ENGINES", "Decoded", "Extraction", "MAX_HTML_CHARS", "decode_html", "html_to_text"]


@dataclass(slots=True)
class Extraction:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    engine: str = "corpusmill"


def html_to_text(html: bytes | str, url: str | None = None, engine: str = "corpusmill") -> Extraction:
    if isinstance(html, (bytes, bytearray, memoryview)):
        html = decode_html(bytes(html), None).text
    elif not isinstance(html, str):
        raise TypeError(f"html must be bytes or str, not {type(html).__name__}")
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be str or None, not {type(url).__name__}")
    if not isinstance(engine, str):
        raise TypeError(f"engine must be str, not {type(engine).__name__}")
    run = ENGINES.get(engine)
    if run is None:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    html = html[:MAX_HTML_CHARS]
    try:
        text, metadata = run(html, url)
    except Exception:  # noqa: BLE001 - any failure on a bad page is an empty extraction
        return Extraction("", {}, engine)
    metadata = {k: v for k, v in metadata.items() if v is not None}
    if url and "url" not in metadata:
        metadata["url"] = url
    return Extraction(text.strip(), metadata, engine)
