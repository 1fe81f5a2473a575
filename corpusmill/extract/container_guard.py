"""Guards on the container choice: signals that the chosen subtree is not the article.

Pruning by names (boilerplate.py) matches whole name parts ("comments", "promo") and is
guarded by size so that it never removes the page. After the choice the question is
narrower: is the chosen subtree, or a wrapper around it, a comment thread, a login or
consent dialog, a promo or newsletter box? Here names are matched as substrings of
class/id/aria-label/itemprop (site templates glue words: "sect_commentlinks",
"loginpanelgroup"), and a comment thread is also recognised by its structure: repeated
units that each carry an author and a date, whatever they are called. A rejected
container is removed and the choice is made again on what is left.
"""
from __future__ import annotations

import re

from lxml import etree

from corpusmill.extract.boilerplate import (
    CONTENT_PARTS, HOOK_PREFIXES, LAYOUT_PARTS, PART_SPLIT, is_commentary,
)

# Substrings of names that mark a container as something other than the article.
_REJECT_VOCAB = re.compile(
    r"comment|kommentar|disqus|repl(?:y|ies)|login|signin|sign-in|signup|sign-up|registr"
    r"|password|passwort|newsletter|subscri|abonn|promo|consent|cookie|gdpr|modal|dialog"
    r"|popup|sponsor|advert|whitepaper|white-paper|testimonial|sidebar|related|recommend",
    re.IGNORECASE)

# Inside the chosen container, small boxes are also left out for what sits around an
# article but is not it: the author's bio, sharing and follow prompts.
_BOX_VOCAB = re.compile(_REJECT_VOCAB.pattern + r"|author|autor|byline|biograph|share|sharing|social|follow",
                        re.IGNORECASE)

_COMMENT_VOCAB = re.compile(r"comment|kommentar|disqus|repl(?:y|ies)", re.IGNORECASE)

# Units of a thread: at least this many siblings, most with a date and an author.
_THREAD_MIN_UNITS = 3
_THREAD_MARKED_SHARE = 0.6

_AUTHOR_MARK = re.compile(r"author|user|person|avatar|nick|poster|member|profil", re.IGNORECASE)
_DATE_MARK = re.compile(r"date|time|datum|posted|published", re.IGNORECASE)

# A rejected wrapper holding more than this share of the page's good text is the page.
_REJECT_MAX_SHARE = 0.9


def flagged_by_name(el: etree._Element, box: bool = False) -> str | None:
    """Names (class, id, aria-label, itemprop) that say comments, dialog, promo...;
    `box=True` for a box inside the article, which may also be an author bio or a
    sharing prompt. The verdict: "comments", "other" or None."""
    vocab = _BOX_VOCAB if box else _REJECT_VOCAB
    get = el.get
    names = " ".join(filter(None, (get("class"), get("id"), get("aria-label"), get("itemprop"))))
    if not names or not vocab.search(names):
        return None
    for name in names.lower().split():
        if name.startswith(HOOK_PREFIXES) or not vocab.search(name):
            continue
        parts = set(PART_SPLIT.split(name.split("--", 1)[0]))
        if parts & LAYOUT_PARTS:
            continue  # "with-sidebar-layout": how the page is laid out, not what this is
        if _COMMENT_VOCAB.search(name):
            return "comments"
        if not parts & CONTENT_PARTS:
            return "other"
    return None


def is_comment_thread(el: etree._Element) -> bool:
    """Repeated sibling units (here or in the one child that holds them) that mostly
    carry both a date and an author: a comment thread or forum replies, whatever the
    markup calls it."""
    for holder in (el, *el.iterchildren(tag=etree.Element)):
        units = list(holder.iterchildren(tag=etree.Element))
        if len(units) < _THREAD_MIN_UNITS:
            continue
        tags: dict[str, int] = {}
        for unit in units:
            tags[unit.tag] = tags.get(unit.tag, 0) + 1
        tag, count = max(tags.items(), key=lambda kv: kv[1])
        if count < _THREAD_MIN_UNITS or count < _THREAD_MARKED_SHARE * len(units):
            continue
        same = [u for u in units if u.tag == tag]
        marked = sum(1 for u in same if _has_date(u) and _has_author(u))
        if marked >= _THREAD_MARKED_SHARE * len(same):
            return True
    return False


def _has_date(unit: etree._Element) -> bool:
    for el in unit.iter(tag=etree.Element):
        if el.tag == "time" or _DATE_MARK.search(f"{el.get('class') or ''} {el.get('itemprop') or ''}"):
            return True
    return False


def _has_author(unit: etree._Element) -> bool:
    for el in unit.iter(tag=etree.Element):
        marks = f"{el.get('class') or ''} {el.get('itemprop') or ''} {el.get('rel') or ''}"
        if _AUTHOR_MARK.search(marks):
            return True
    return False


def rejected_container(main: etree._Element, body: etree._Element, good: dict) -> etree._Element | None:
    """The outermost element from `main` up to (not including) <body> that is flagged by
    its names or is a comment thread, unless it holds nearly all of the page's text."""
    total = good.get(body, 0.0)
    limit = _REJECT_MAX_SHARE * total
    worst = None
    el: etree._Element | None = main
    while el is not None and el is not body:
        g = good.get(el, 0.0)
        if g <= limit and el.tag not in ("article", "main"):
            kind = flagged_by_name(el)
            if kind and not (kind == "comments" and is_commentary(el, g, total)):
                worst = el
        el = el.getparent()
    if worst is None and good.get(main, 0.0) <= limit and is_comment_thread(main):
        worst = main
    return worst
