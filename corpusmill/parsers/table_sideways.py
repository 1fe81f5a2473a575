"""Words set sideways inside an upright page, turned into their own upright frame.

A wide table printed turned by 90 degrees on an otherwise upright page (a
landscape table in a portrait paper, a rotated figure's table) reads along
the page's y axis: its rows are columns of the page. The whole-page turn
(`page_upright`) does not apply, since most of the page reads normally. Here
the words of lines whose writing direction is vertical are mapped into the
frame in which they read left to right, top to bottom, so the row and column
finders work on them unchanged; boxes found there map back to the page.
"""
from __future__ import annotations

from collections.abc import Callable

import pymupdf

Box = tuple[float, float, float, float]

# A word of this many characters or more, taller than wide by this factor, is set vertically.
_MIN_CHARS = 3
_TALL = 1.2
# Fewer sideways words than this are labels (an axis title), not a table.
_MIN_WORDS = 6


def has_sideways_words(words: list[tuple]) -> bool:
    """Cheap test (word boxes only) before the lines' directions are read."""
    return any(len(w[4]) >= _MIN_CHARS and (w[3] - w[1]) > _TALL * (w[2] - w[0]) for w in words)


def split_by_direction(page: pymupdf.Page, words: list[tuple], flags: int) -> tuple[list[tuple], dict[int, list[tuple]]]:
    """(upright words, {turn: words of lines read at that turn, in their upright frame}).

    `turn` is +1 for lines reading bottom to top (direction (0, -1)) and -1 for
    top to bottom (0, 1); other directions stay with the upright words.
    """
    data = page.get_text("dict", flags=flags)
    turn_of: dict[tuple[int, int], int] = {}
    for block in data["blocks"]:
        for i, line in enumerate(block.get("lines", ())):
            dx, dy = line["dir"]
            if abs(dx) < 0.1 and abs(dy) > 0.9:
                turn_of[(block["number"], i)] = 1 if dy < 0 else -1
    upright: list[tuple] = []
    turned: dict[int, list[tuple]] = {}
    for w in words:
        turn = turn_of.get((w[5], w[6]))
        if turn is None:
            upright.append(w)
        else:
            turned.setdefault(turn, []).append((*to_upright(turn)(w[:4]), *w[4:]))
    return upright, {t: ws for t, ws in turned.items() if len(ws) >= _MIN_WORDS}


def to_upright(turn: int) -> Callable[[Box], Box]:
    """Page box -> box in the frame where text of this turn reads left to right."""
    if turn == 1:  # bottom to top: x' = -y, y' = x
        return lambda b: (-b[3], b[0], -b[1], b[2])
    return lambda b: (b[1], -b[2], b[3], -b[0])  # top to bottom: x' = y, y' = -x


def to_page(turn: int) -> Callable[[Box], Box]:
    """Box in the turned frame -> page box (the inverse of `to_upright`)."""
    if turn == 1:
        return lambda b: (b[1], -b[2], b[3], -b[0])
    return lambda b: (-b[3], b[0], -b[1], b[2])
