"""The typed page model every PDF and image path fills: block types, blocks, and a read page.

The text-layer path, the OCR path, the LLM route and the record all speak
these types. A route builds a `ReadPage` (or derives a new one with `with_`);
nothing edits a page in place. `assemble` in `pdf_document` turns the pages
of a document into the record's `text` and `pages` (`ReadPage.as_record`),
the only place the record's page dicts are made.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class BlockType(StrEnum):
    """What a block of a page is; the values are the record's `pages[].blocks[].type`."""

    PARAGRAPH = "paragraph"
    HEADING = "heading"
    LIST_ITEM = "list_item"
    CODE = "code"
    FORMULA = "formula"
    TABLE = "table"
    CAPTION = "caption"
    REFERENCE = "reference"
    FIGURE_TEXT = "figure_text"  # text inside a figure (OCR pages, from the layout model)
    TEXT_LINE = "text_line"  # OCR lines no layout model placed in a region (kept one per line)
    PAGE_HEADER = "page_header"
    PAGE_FOOTER = "page_footer"
    PAGE_NUMBER = "page_number"
    MARGIN_NOTE = "margin_note"


# Furniture: kept in `pages[].blocks` with its text, left out of the record's `text`.
FURNITURE = frozenset({BlockType.PAGE_HEADER, BlockType.PAGE_FOOTER, BlockType.PAGE_NUMBER, BlockType.MARGIN_NOTE})


class Route(StrEnum):
    """How a page was read; the values are the record's `pages[].route`."""

    TEXT_LAYER = "text-layer"
    OCR = "ocr"
    MODEL = "model"  # the torch model pipeline (`--backend torch`)
    LLM = "llm"
    FAILED = "failed"  # could not be read; the reason says why, the rest of the document is kept


@dataclass(frozen=True, slots=True)
class PageBlock:
    """One block of a read page: its type, box, place in the reading order (None: furniture)."""

    type: BlockType
    bbox: tuple[float, ...]
    order: int | None
    level: int = 0  # headings: 1 is the largest
    text: str | None = None  # furniture keeps its text here: left out of `text`, not lost

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", BlockType(self.type))  # an unknown type fails here, not downstream
        object.__setattr__(self, "bbox", tuple(round(float(v), 1) for v in self.bbox))

    def as_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f"heading{self.level}" if self.type is BlockType.HEADING and self.level
                               else str(self.type),
                               "bbox": list(self.bbox), "order": self.order}
        if self.text is not None:
            out["text"] = self.text
        return out

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> PageBlock:
        kind, level = d["type"], 0
        if kind.startswith("heading") and kind != "heading":
            kind, level = "heading", int(kind[len("heading"):])
        return cls(BlockType(kind), tuple(d["bbox"]), d["order"], level, d.get("text"))


@dataclass(frozen=True, slots=True)
class ReadPage:
    """One page as a route read it: Markdown text, blocks, and why it was read this way."""

    number: int  # 1-based
    route: Route
    reason: str
    text: str = ""
    blocks: tuple[PageBlock, ...] = ()
    hard: str | None = None  # why the page needed more than the text layer
    rotation: int = 0  # quarter turns (degrees clockwise) applied to read it; block boxes are in the turned page
    ocr_confidence: float | None = None
    low_confidence: bool = False
    llm_failed: str | None = None
    dropped: str | None = None  # its text left out, and why
    ocr_unavailable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", Route(self.route))
        object.__setattr__(self, "blocks", tuple(self.blocks))

    def with_(self, *, note: str = "", **changes: Any) -> ReadPage:
        """A copy with `changes`, and `note` appended to the route reason."""
        if note:
            changes["reason"] = f"{self.reason}; {note}"
        return dataclasses.replace(self, **changes)

    def as_record(self, chars: int, text_span: tuple[int, int]) -> dict[str, Any]:
        """The record's `pages[]` entry (CONVENTIONS.md); optional keys only where they say something."""
        out: dict[str, Any] = {"number": self.number, "route": str(self.route), "route_reason": self.reason}
        if self.hard:
            out["hard"] = self.hard
        if self.rotation:
            out["rotation"] = self.rotation
        if self.ocr_confidence is not None:
            out["ocr_confidence"] = self.ocr_confidence
        if self.low_confidence:
            out["low_confidence"] = True
        if self.llm_failed:
            out["llm_failed"] = self.llm_failed
        if self.dropped:
            out["dropped"] = self.dropped
        if self.ocr_unavailable:
            out["ocr_unavailable"] = True
        out["blocks"] = [b.as_record() for b in self.blocks]
        out["chars"] = chars
        out["text_span"] = list(text_span)
        return out

    def as_json(self) -> dict[str, Any]:
        """A plain form that `from_json` reads back (a page range's results on disk)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["route"] = str(self.route)
        out["blocks"] = [b.as_record() for b in self.blocks]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ReadPage:
        return cls(**{**d, "blocks": tuple(PageBlock.from_record(b) for b in d["blocks"])})


class _Typed(Protocol):
    """What a route's blocks (`text_layer.Block`) give the record: type, box, heading level, text."""

    kind: str
    bbox: tuple[float, float, float, float]
    level: int

    @property
    def text(self) -> str: ...


def page_blocks(ordered: Sequence[_Typed], furniture: Sequence[_Typed]) -> tuple[PageBlock, ...]:
    """The record's blocks of a page: the rendered ones in reading order, then the furniture with its
    text (left out of `text`, not lost)."""
    return (tuple(PageBlock(b.kind, b.bbox, i, b.level if b.kind == BlockType.HEADING else 0)
                  for i, b in enumerate(ordered))
            + tuple(PageBlock(b.kind, b.bbox, None, text=b.text) for b in furniture))


def failed_page(index: int, reason: str) -> ReadPage:
    """A page that could not be read (0-based `index`)."""
    return ReadPage(number=index + 1, route=Route.FAILED, reason=reason)
