"""Block-level filters on serialised main text: what sits inside article containers but
is not the article (date stamps, picture credits, interface labels, the related/comments
section that follows the text, the headline that is already metadata)."""
from __future__ import annotations

import re

_DATE_OR_TIME = re.compile(
    r"\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}"
    r"|\d{1,2}\.?\s+\w{3,10}\.?\s+\d{4}|\w{3,10}\.?\s+\d{1,2},?\s+\d{4}")

_CREDIT = re.compile(
    r"^[(\[]?\s*(?:©|\(c\)|foto|fotos|photo|photos|bild|bilder|credit|credits|quelle|source"
    r"|image|images|abbildung|grafik|illustration|copyright|picture|zdjęcie|fot\.)(?:\s|:|$)",
    re.IGNORECASE)

_CREDIT_INSIDE = re.compile(
    r"\b(?:foto|fotos|photo|photos|bild|credit|credits|quelle|image|zdjęcie)\s?:|photograph by|©",
    re.IGNORECASE)

_NOISE_MAX_CHARS = 120

# Interface labels and bylines that sites put between the paragraphs of an article.
_UI_LABEL = re.compile(
    r"^(?:advertisement|anzeige|werbung|publicidad|publicité|reklama|sponsored|ad\b"
    r"|inhaltsverzeichnis|table of contents|contents|índice|sommaire|spis treści"
    r"|share\b|teilen\b|partager|compartir|udostępnij|drucken|print\b|imprimer|imprimir"
    r"|by\b|von\b|par\b|por\b|autor:?|author:?|filed under|posted (?:in|by|on)|publicado por"
    r"|veröffentlicht (?:am|von|unter)|\d+ min(?:utes?)? read|lesezeit|reading time"
    r"|zurück\b|back to|weiterlesen|read more|mehr lesen|lire la suite|leer más|czytaj (?:dalej|więcej)"
    r"|loading|wird geladen|cargando|chargement)",
    re.IGNORECASE)

_UI_LABEL_MAX_CHARS = 50

_DATE_BLOCK_MAX_LETTERS = 25

# Headings of what follows an article, in the languages of the dev set and its neighbours.
_SECTION_END = re.compile(
    r"^(?:[#\-*]\s*)?(?:related|more (?:from|on|stories|articles|news)|read (?:more|also|next)"
    r"|you (?:may|might) also|recommended|also on|about the author|comments?\b|leave a (?:reply|comment)"
    r"|share (?:this|on)|tags\b|ähnliche|weitere (?:artikel|beiträge|themen|nachrichten|news|infos)"
    r"|mehr (?:zum|zu|aus|von|über)|das könnte|lesen sie (?:auch|mehr)|auch interessant|empfehlungen"
    r"|über den autor|über die autorin|kommentare?\b|kommentieren|schlagwörter|teilen\b|gefällt mir"
    r"|(?:war|ist) (?:der|dieser) (?:artikel|beitrag)|jetzt teilen|noch mehr|top[- ]themen"
    r"|newsletter|want more|did you (?:like|enjoy)|was this (?:article|post) helpful"
    r"|articles? (?:similaires|liés)|à lire aussi|lire aussi|voir aussi|commentaires?\b"
    r"|(?:noticias|notas|artículos) relacionad|te puede interesar|lee también|comentarios?\b"
    r"|czytaj (?:też|także|również)|zobacz (?:też|także|również)|komentarze\b|podobne)",
    re.IGNORECASE)

_SECTION_HEADING_MAX_CHARS = 80

_SECTION_CUT_AFTER = 0.5

_TAIL_SHORT_BLOCK = 40

_TITLE_SEARCH_BLOCKS = 3


def drop_title(text: str, title: str | None) -> str:
    """Remove the headline from the first blocks of the text: it is metadata, and a page
    shows it again in every teaser and breadcrumb, so it is no evidence of main text."""
    if not title:
        return text
    key = " ".join(title.split()).casefold()
    blocks = text.split("\n\n")
    for i, block in enumerate(blocks[:_TITLE_SEARCH_BLOCKS]):
        if " ".join(block.split()).casefold() == key:
            del blocks[i]
            return "\n\n".join(blocks)
    return text



def is_noise_block(block: str) -> bool:
    """A short block that is only a date/time stamp or a picture credit: page furniture
    that sits inside article containers."""
    if len(block) > _NOISE_MAX_CHARS:
        return False
    if _CREDIT.match(block) or _CREDIT_INSIDE.search(block):
        return True
    if len(block) <= _UI_LABEL_MAX_CHARS and _UI_LABEL.match(block):
        return True
    if _DATE_OR_TIME.search(block):
        letters = sum(1 for ch in block if ch.isalpha())
        return letters < _DATE_BLOCK_MAX_LETTERS
    return False



def trim_tail(blocks: list[str], cited: list[bool] | None = None) -> list[str]:
    """Cut the page furniture that follows an article inside its container: from a short
    heading that opens a related/comments/about-the-author section in the second half
    of the text, then the short lines after the last real paragraph ("Share this",
    "Comments closed", a lone heading for a section that was pruned). `cited` marks the
    items of the off-site link lists the article gives (sources, products): a heading
    over a section made mostly of them is that list's heading ("Recommended by the
    author:", "More on this:" over links to the sources), not the start of a
    related-articles section, and the items are no furniture however short."""
    cited = cited if cited is not None else [False] * len(blocks)
    total = sum(map(len, blocks))
    seen = 0
    for i, block in enumerate(blocks):
        if (seen >= _SECTION_CUT_AFTER * total and len(block) <= _SECTION_HEADING_MAX_CHARS
                and _SECTION_END.search(block) and not _lists_citations(blocks, cited, i)):
            blocks = blocks[:i]
            break
        seen += len(block)
    end = len(blocks)
    while end > 0 and len(blocks[end - 1]) < _TAIL_SHORT_BLOCK and not cited[end - 1]:
        end -= 1
    return blocks[:end] if end else blocks



def _lists_citations(blocks: list[str], cited: list[bool], heading: int) -> bool:
    """Most blocks of the section under `heading` (up to the next short line that is no
    list item, or the end) are cited list items."""
    n = hits = 0
    for block, is_cited in zip(blocks[heading + 1:], cited[heading + 1:]):
        if (not is_cited and len(block) <= _SECTION_HEADING_MAX_CHARS
                and not block.lstrip(" ").startswith("- ")):
            break
        n += 1
        hits += is_cited
    return hits > n / 2



def join_blocks(blocks: list[str]) -> str:
    """Paragraphs are separated by a blank line; consecutive list items by a line break."""
    parts: list[str] = []
    previous_item = False
    for block in blocks:
        item = block.lstrip(" ").startswith("- ")
        if parts:
            parts.append("\n" if item and previous_item else "\n\n")
        parts.append(block)
        previous_item = item
    return "".join(parts)

