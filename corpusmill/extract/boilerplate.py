"""Pruning what is never main text: page furniture by tag, ARIA role, hidden state and
class/id names (navigation, comments, sharing, related links, cookie banners...).

A size guard keeps the pruning honest: an element holding most of the page's text is
the page, whatever it is called (a wrapper named after a layout modifier, an unclosed
<nav> or <noscript> that swallowed everything after it). All walks are iterative.
"""
from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from corpusmill.extract.dom import text_of

# Never main text, whatever their content.
DROP_TAGS = (
    "script", "style", "template", "head", "svg", "input", "option", "source", "figcaption",
    "label",
    # Ruby annotations (furigana, pinyin) over the base text: read inline they double it.
    "rt", "rp",
)

# Page furniture and embeds. Subject to the size guard below, because a missing end tag
# can make one of them swallow the rest of the page (an unclosed <nav> or <noscript>).
_FURNITURE_TAGS = frozenset({
    "nav", "aside", "footer", "noscript", "iframe", "object", "embed", "canvas", "button",
    "select", "textarea", "dialog", "map", "audio", "video", "picture", "math", "form",
})

_DROP_ROLES = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search",
    "dialog", "alertdialog", "toolbar", "tablist",
})

# Parts (split on "-" and "_") of class/id names that mark boilerplate wherever they occur.
_BOILERPLATE_PARTS = frozenset("""
nav navbar navigation menu menubar submenu breadcrumb breadcrumbs footer masthead sidebar
comment comments commentlist disqus respond replies share sharing shares social socials
shariff sharebar related recommended recommendations outbrain taboola teaser teasers promo
advert advertisement advertising adslot sponsor sponsored cookie cookies consent gdpr
newsletter subscribe subscription signup popup modal pagination pager paging tagcloud byline
bylines dateline timestamp postmeta toolbar disclaimer copyright imprint impressum
jumplink backlinks trackbacks pingbacks authorbox caption captions credit credits
bildunterschrift bildnachweis rating ratings
""".split())

# Short, generic words that mark boilerplate only as a whole class/id name.
_BOILERPLATE_NAMES = frozenset("""
widget widgets ad ads banner tags meta date noprint skip hidden login search rating toc bio
author autor about-author author-box author-bio entry-meta post-meta article-meta post-tags entry-tags tags-list
post-date entry-date sr-only visually-hidden screen-reader-text
""".split())

# Parts that mark a container as content even if a boilerplate part is present too
# ("post-comments-count" in an article wrapper); comment sections stay boilerplate.
CONTENT_PARTS = frozenset("article content entry post story text body main blog single".split())

_COMMENT_PARTS = frozenset("comment comments commentlist disqus respond replies".split())

LAYOUT_PARTS = frozenset({"layout", "grid", "template"})

# Framework prefixes for behaviour and state hooks, not for what a block is.
HOOK_PREFIXES = ("js-", "is-", "has-", "with-", "no-", "wp-block")

PART_SPLIT = re.compile(r"[_\-]+")

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# A boilerplate-looking element holding more than this share of the page's text is
# the page (a wrapper named after a modifier, an unclosed <nav>): keep it.
_GUARD_SHARES = {
    "furniture": 0.5,
    "comments": 0.9,
    # Pages that render with scripts put their real text in <noscript> for everyone else.
    "noscript": 0.2,
}


# Commentary: a "comments" region with this share of the page's text, of at least this
# many entries, nearly all without a link.
_COMMENTARY_SHARE = 0.3
_COMMENTARY_MIN_UNITS = 5
_COMMENTARY_LINKLESS = 0.8

# Furniture holding this share of its <main>'s text is the main column itself.
_FILLS_MAIN = 0.8


def prune_boilerplate(body: etree._Element, prune_names: bool) -> None:
    page_chars = max(len(text_of(body)), 1)
    main_chars: dict[etree._Element, int] = {}
    # (element, inside a region named "comments" that was kept as commentary)
    stack = [(child, False) for child in body.iterchildren(tag=etree.Element)]
    while stack:
        el, in_commentary = stack.pop()
        verdict = boilerplate_kind(el, prune_names)
        if verdict == "comments" and in_commentary:
            verdict = None  # its entries carry the region's name: "live-comment"
        if verdict:
            size = len(text_of(el))
            if verdict == "comments" and is_commentary(el, size, page_chars):
                in_commentary = True
            elif size <= _GUARD_SHARES[verdict] * page_chars and not _holds_article(el, main_chars):
                drop_keep_tail(el)
                continue
        stack.extend((child, in_commentary) for child in el.iterchildren(tag=etree.Element))



def is_commentary(el: etree._Element, size: float, page: float) -> bool:
    """A large region named "comments" whose entries hold no links: a live ticker's or
    a match report's commentary, which is the page's text. Reader comments link their
    authors, permalinks and reply buttons."""
    if size < _COMMENTARY_SHARE * page:
        return False
    units = list(el.iterchildren(tag=etree.Element))
    while len(units) == 1:  # through wrappers to the entries
        units = list(units[0].iterchildren(tag=etree.Element))
    if len(units) < _COMMENTARY_MIN_UNITS:
        return False
    linkless = sum(1 for unit in units if unit.find(".//a") is None)
    return linkless >= _COMMENTARY_LINKLESS * len(units)



def _holds_article(el: etree._Element, main_chars: dict[etree._Element, int]) -> bool:
    """The page's own word that the article is inside: schema.org articleBody, or all
    of a <main> (an <aside> or teaser box wrapping the whole main column)."""
    if el.find('.//*[@itemprop="articleBody"]') is not None:
        return True
    parent = el.getparent()
    while parent is not None and parent.tag not in ("main", "body"):
        parent = parent.getparent()
    if parent is None or parent.tag != "main":
        return False
    if parent not in main_chars:
        main_chars[parent] = len(text_of(parent))
    return len(text_of(el)) >= _FILLS_MAIN * main_chars[parent]


def drop_keep_tail(el: etree._Element) -> None:
    """Remove an element but not the text after it, which belongs to its parent."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)



def boilerplate_kind(el: etree._Element, prune_names: bool = True) -> str | None:
    """"comments", "furniture" or None (content, as far as names and tags say)."""
    tag = el.tag
    if tag == "noscript":
        return "noscript"
    if tag in _FURNITURE_TAGS:
        return "furniture"
    get = el.get
    if get("hidden") is not None:
        return "furniture"
    role = get("role")
    if role and role.lower() in _DROP_ROLES:
        return "furniture"
    style = get("style")
    if style and _HIDDEN_STYLE.search(style):
        return "furniture"
    if not prune_names or tag in ("body", "main", "article"):
        return None
    classes = get("class")
    if "-" in tag:  # a custom element (<pp-navigation>): its tag is a name its author chose
        classes = f"{classes or ''} {tag}"
    return _names_kind(classes, get("id"))



@lru_cache(maxsize=8192)
def _names_kind(classes: str | None, ident: str | None) -> str | None:
    """The verdict of class and id names alone; sites repeat them, so it is cached."""
    names = (classes or "").split()
    if ident:
        names.append(ident)
    if not names:
        return None
    hit = content = comments = False
    for name in names:
        name = name.lower()
        if name.startswith(HOOK_PREFIXES):
            continue
        name = name.split("--", 1)[0]  # BEM modifier: a state of the block, not its kind
        parts = set(PART_SPLIT.split(name))
        if parts & LAYOUT_PARTS:
            continue  # "sidebar-layout", "with-sidebar-grid": how the page is laid out
        if name in _BOILERPLATE_NAMES or parts & _BOILERPLATE_PARTS:
            hit = True
            comments = comments or bool(parts & _COMMENT_PARTS)
        if parts & CONTENT_PARTS:
            content = True
    if not hit:
        return None
    if comments:
        return "comments"
    return None if content else "furniture"

