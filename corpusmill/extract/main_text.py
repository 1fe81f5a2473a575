"""corpusmill's own main-text extractor: prune boilerplate, pick the content subtree, serialise.

Four passes over an lxml tree, all iterative (a 100k-deep page must not overflow the
Python stack):

1. prune (boilerplate.py): furniture by tag, ARIA role, hidden state and class/id names;
2. choose: count, bottom-up, each element's non-link text ("good chars"; menus and link
   lists count for nothing). Start from the largest container the page names as its
   content (<article>, <main>, itemprop=articleBody, "entry-content"...) if it holds
   most of the text, else from <body>, and descend into the child that holds nearly
   all of its parent's good text while there is one, unless paragraphs before that
   child (a lead set apart from the body) would be lost, or the child is a grid of
   short cards (a catalogue) with paragraph text beside it;
3. guard the choice (container_guard.py): a chosen subtree inside a comment thread,
   dialog or promo box is removed and the choice made again; when the chosen subtree
   and the page's largest paragraph cluster are different parts of the page, a second
   opinion (another extractor's text) decides between them;
4. serialise the chosen subtree with its block structure: paragraphs separated by blank
   lines, list items as "- item", data tables as Markdown pipe rows; link-dense blocks
   (but not the lists of titled links to other sites an article gives: sources,
   products) and small comment/promo/author/sharing boxes inside it are left out, and
   block_filters.py removes date stamps, picture credits, interface labels and the
   related/comments section that follows the article.
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import urlsplit

from lxml import etree

from corpusmill.extract.block_filters import is_noise_block, join_blocks, trim_tail
from corpusmill.extract.boilerplate import DROP_TAGS, drop_keep_tail, is_commentary, prune_boilerplate
from corpusmill.extract.container_guard import flagged_by_name, rejected_container
from corpusmill.extract.dom import text_of
from corpusmill.hosts import site_name

_CONTENT_HINT = re.compile(
    r"(?:article|entry|post|story|news|blog|page|main|text)[-_]?(?:body|content|text|inner|main)"
    r"|\b(?:content|article|articletext|story|post)\b", re.IGNORECASE)

_HINT_MIN_SHARE = 0.5

_BLOCK_TAGS = frozenset("""
p div section article main header h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl dt dd li
table tr td th thead tbody tfoot caption figure figcaption address center hr form
fieldset details summary body html
""".split())

_LIST_TAGS = frozenset({"ul", "ol"})

# Containers skipped when most of their text is link text (menus, related lists).
_LINK_DENSE_CONTAINERS = frozenset({"ul", "ol", "dl", "div", "section", "table", "header", "li", "tr", "td"})

# Descend into a child while it holds at least this share of its parent's good text.
_DESCEND_SHARE = 0.8

_DESCEND_SHARE_HINTED = 0.95

# Paragraph text (good chars) before the best child that keeps the parent chosen.
_LEAD_MIN_GOOD = 200.0

# A catalogue: at least this many cards, most under a heading, none with more than this
# share of the text.
_CATALOGUE_MIN_UNITS = 10
_CATALOGUE_MAX_UNIT_SHARE = 0.2
_CATALOGUE_HEADED_SHARE = 0.8
# ... and a typical card holds at most this much text (sections of an article hold more).
_CARD_MAX_GOOD = 500.0
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

_LINK_DENSE = 0.6

_LINK_DENSE_PARAGRAPH = 0.5

_LINK_DENSE_MAX_CHARS = 3000

_GOOD_BLOCK = 200.0

# A flagged box inside the chosen container is left out up to this share of its text.
_BOX_MAX_SHARE = 0.3

# A paragraph cluster outside the chosen container with at least this share of its good
# text is a strong disagreement, settled by a second opinion.
_DISAGREE_SHARE = 0.2
_CLUSTER_MIN_GOOD = 200.0

# A link-dense list inside the article is kept when this share of its link text leads
# off the site: the sources, products or references the article lists. Menus and
# related-article lists link within the site.
_OFFSITE_SHARE = 0.8

# ... and its links read as titles: at least this many words a link on average.
_CITED_MIN_WORDS = 3

# Containers rejected by the guards (comment threads, dialogs, promo boxes) per page.
_MAX_REJECTS = 3

# Soft hyphens and zero-width characters are invisible in a browser; in text they
# split words ("réac\u00adtion") for every later stage.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def extract_main_text(root: etree._Element, prune_names: bool = True,
                      second_opinion: Callable[[], str] | None = None,
                      links_are_text: bool = False, url: str | None = None) -> str:
    """The main text of a parsed page (the tree is modified). `prune_names=False` skips
    pruning by class/id names, for a second attempt when the first found next to nothing.
    `second_opinion` gives another extractor's main text of the page; it is asked only
    when the chosen container and the page's largest paragraph cluster disagree.
    `links_are_text=True` counts link text like any text (no link-density judgement),
    for pages whose content is a list of links. `url` (the page's address) tells links
    to other sites from the site's own."""
    body = root.find("body")
    if body is None:
        body = root
    etree.strip_elements(body, *DROP_TAGS, with_tail=False)
    prune_boilerplate(body, prune_names)
    chars, links, good = _count_text(body, links_are_text)
    main = _choose_main(body, good)
    for _ in range(_MAX_REJECTS):
        bad = rejected_container(main, body, good)
        if bad is None:
            break
        # A comment thread, dialog or promo box: take it out and choose again.
        drop_keep_tail(bad)
        chars, links, good = _count_text(body, links_are_text)
        main = _choose_main(body, good)
    site = _site(url)
    text = _serialise(main, chars, links, site)
    if second_opinion is None:
        return text
    cluster = _paragraph_cluster(body, good)
    if cluster is None or _related(main, cluster) or _cluster_good(cluster, good) < _DISAGREE_SHARE * good[main]:
        return text
    # Two strategies disagree strongly: the densest container and the largest run of
    # paragraphs are different parts of the page. Ask another extractor which one it saw.
    other = _serialise(cluster, chars, links, site)
    reference = set(second_opinion().split())
    return other if word_agreement(other, reference) > word_agreement(text, reference) else text



def _count_text(body: etree._Element, links_are_text: bool) -> tuple[dict, dict, dict]:
    """Per element: text chars, link chars, good (non-link, not link-dense) chars."""
    chars: dict[etree._Element, int] = {}
    links: dict[etree._Element, int] = {}
    good: dict[etree._Element, float] = {}
    # Reversed pre-order visits every child before its parent: bottom-up without recursion.
    for el in reversed(list(body.iter(tag=etree.Element))):
        text = el.text
        c = len(text.strip()) if text else 0
        g = float(c)
        lk = 0
        best_child = 0.0
        for child in el.iterchildren(tag=etree.Element):
            tail = child.tail
            t = len(tail.strip()) if tail else 0
            c += chars[child] + t
            lk += links[child]
            g += good[child] + t
            if good[child] > best_child:
                best_child = good[child]
        if el.tag == "a" and not links_are_text:
            lk = c
            g = 0.0
        elif el.tag in ("p", "pre", "blockquote"):
            g *= 1.5  # paragraphs are what articles are made of
        if c and lk / c > _LINK_DENSE and c < _LINK_DENSE_MAX_CHARS and best_child < _GOOD_BLOCK:
            # A menu or link list. A region holding a real text block, or a large
            # one, is judged by its parts instead.
            g = 0.0
        chars[el] = c
        links[el] = lk
        good[el] = g
    return chars, links, good



def _choose_main(body: etree._Element, good: dict) -> etree._Element:
    # A container the page names as its content is trusted more: leave it only for a
    # child that holds nearly all of its text.
    hinted = _hinted_container(body, good)
    node, share = (body, _DESCEND_SHARE) if hinted is None else (hinted, _DESCEND_SHARE_HINTED)
    while True:
        total = good[node]
        if total <= 0:
            return node
        best = max(node.iterchildren(tag=etree.Element), key=good.__getitem__, default=None)
        if best is None or good[best] < share * total or _prose_beside(best, good, preceding=True):
            return node
        if _is_catalogue(best, good) and _prose_beside(best, good, preceding=False):
            # A grid of cards (a portfolio, product or teaser list) next to a text: no
            # one block is the page's text, so keep the page whole rather than the grid.
            return node
        node = best



def _prose_beside(child: etree._Element, good: dict, preceding: bool) -> bool:
    """Paragraph text in the siblings before `child` (a lead or first paragraph that the
    template set apart from the body: descending would lose the article's opening), or
    after it."""
    prose = 0.0
    for sibling in child.itersiblings(tag=etree.Element, preceding=preceding):
        g = good.get(sibling, 0.0)
        if g and (sibling.tag == "p" or sibling.find(".//p") is not None):
            prose += g
    return prose >= _LEAD_MIN_GOOD



def _is_catalogue(el: etree._Element, good: dict) -> bool:
    """Many short cards, each under its own heading, none holding much of the text: a
    portfolio, product grid or teaser list rather than one text."""
    units = [c for c in el.iterchildren(tag=etree.Element) if good.get(c, 0.0) > 0]
    if len(units) < _CATALOGUE_MIN_UNITS:
        return False
    sizes = sorted(good[c] for c in units)
    if sizes[-1] > _CATALOGUE_MAX_UNIT_SHARE * good[el] or sizes[len(sizes) // 2] > _CARD_MAX_GOOD:
        return False  # one block dominates, or the units are sections of one long text
    headed = sum(1 for c in units if next(c.iter(*_HEADINGS), None) is not None)
    return headed >= _CATALOGUE_HEADED_SHARE * len(units)



def _cluster_good(el: etree._Element, good: dict) -> float:
    return sum(good.get(p, 0.0) for p in el.iterchildren("p"))



def _paragraph_cluster(body: etree._Element, good: dict) -> etree._Element | None:
    """The element whose own <p> children hold the most good text: the largest
    coherent block of prose, found without any container scores."""
    sums: dict[etree._Element, float] = {}
    for p in body.iter("p"):
        parent = p.getparent()
        if parent is not None:
            sums[parent] = sums.get(parent, 0.0) + good.get(p, 0.0)
    if not sums:
        return None
    best = max(sums, key=sums.__getitem__)
    return best if sums[best] >= _CLUSTER_MIN_GOOD else None



def _related(a: etree._Element, b: etree._Element) -> bool:
    """One contains the other (or they are the same element)."""
    return a is b or any(x is b for x in a.iterancestors()) or any(x is a for x in b.iterancestors())



def word_agreement(text: str, reference: set[str]) -> float:
    """F1 of the word sets of `text` and the reference text."""
    words = set(text.split())
    if not words or not reference:
        return 0.0
    shared = len(words & reference)
    return 2 * shared / (len(words) + len(reference))



def _hinted_container(body: etree._Element, good: dict) -> etree._Element | None:
    """The largest element the page marks as its content (<article>, <main>,
    itemprop=articleBody, "entry-content"...), if it holds a fair share of the text."""
    total = good.get(body, 0.0)
    best, best_good = None, _HINT_MIN_SHARE * total
    for el in body.iter(tag=etree.Element):
        g = good.get(el, 0.0)
        if g <= best_good:
            continue
        if el.tag in ("article", "main") or el.get("role") == "main" or (
                el.get("itemprop") or "").lower() in ("articlebody", "text", "maincontentofpage"):
            best, best_good = el, g
            continue
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _CONTENT_HINT.search(names):
            best, best_good = el, g
    return best



def _norm(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).split())



class _Writer:
    """Accumulates inline text into blocks; blocks become paragraphs of the output."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        # Per block: an item of an off-site link list the article gives (see _offsite_list).
        self.cited: list[bool] = []
        self.parts: list[str] = []
        self.prefix = ""
        self.citing = 0  # depth of off-site link lists being written

    def text(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def line_break(self) -> None:
        self.parts.append("\n")

    def flush(self) -> None:
        if self.parts:
            lines = [_norm(line) for line in "".join(self.parts).split("\n")]
            body = "\n".join(line for line in lines if line)
            if body and not is_noise_block(body):
                self.blocks.append(self.prefix + body if self.prefix else body)
                self.cited.append(self.citing > 0)
            self.parts = []
        self.prefix = ""

    def raw_block(self, text: str) -> None:
        self.flush()
        if text.strip():
            self.blocks.append(text)
            self.cited.append(False)



def _serialise(main: etree._Element, chars: dict, links: dict, site: str | None) -> str:
    out = _Writer()
    list_depth = 0
    cited_lists: set[etree._Element] = set()
    # Events: (element, entering?) - an explicit stack instead of recursion.
    stack: list[tuple[etree._Element, bool]] = [(main, True)]
    while stack:
        el, entering = stack.pop()
        tag = el.tag
        if not entering:
            if tag in _LIST_TAGS:
                list_depth -= 1
            if tag in _BLOCK_TAGS:
                out.flush()
            if el in cited_lists:
                out.citing -= 1
            out.text(el.tail if el is not main else None)
            continue
        skip = el is not main and not out.citing and _skip(el, tag, chars, links)
        if el is not main and (_boxed_in(el, main, chars) or (
                skip and not (tag in _LIST_TAGS and _offsite_list(el, site)))):
            out.text(el.tail)
            continue
        if tag == "br":
            out.line_break()
            out.text(el.tail)
            continue
        if tag == "table" and _is_data_table(el):
            out.raw_block(_table_rows(el))
            out.text(el.tail)
            continue
        if tag == "pre":
            out.raw_block("".join(el.itertext()).strip("\n"))
            out.text(el.tail)
            continue
        if tag in _BLOCK_TAGS:
            out.flush()
            if tag == "li":
                out.prefix = "  " * max(list_depth - 1, 0) + "- "
        if tag in _LIST_TAGS:
            list_depth += 1
            if skip:
                cited_lists.add(el)  # kept above as an off-site list: its items are kept too
                out.citing += 1
        out.text(el.text)
        stack.append((el, False))
        stack.extend((child, True) for child in reversed(list(el.iterchildren(tag=etree.Element))))
    out.flush()
    return join_blocks(trim_tail(out.blocks, out.cited))



def _skip(el: etree._Element, tag: str, chars: dict, links: dict) -> bool:
    c = chars.get(el, 0)
    if not c:
        return False
    density = links.get(el, 0) / c
    if tag in _LINK_DENSE_CONTAINERS:
        return density > _LINK_DENSE
    if tag == "p":
        return density > _LINK_DENSE_PARAGRAPH
    return False



def _site(url: str | None) -> str | None:
    """The site of a URL ("bbc" for www.bbc.co.uk and bbc.com), for telling the site's own links
    from links elsewhere."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return site_name(host) if host else None


def _offsite_list(el: etree._Element, site: str | None) -> bool:
    """A link list whose links nearly all lead to other sites and read as titles: the
    sources, products or references an article lists (menus and related-article lists
    stay on the site; social icons and buttons are a word or two)."""
    if site is None:
        return False
    total = offsite = count = words = 0
    for a in el.iter("a"):
        text = text_of(a)
        n = len(text.strip())
        total += n
        count += 1
        words += len(text.split())
        href = (a.get("href") or "").strip()
        if not href.startswith(("http://", "https://", "//")):
            continue  # relative: the site's own
        other = _site(href if not href.startswith("//") else "http:" + href)
        if other is not None and other != site:
            offsite += n
    # Titles of what is cited, not buttons or icons ("Order here", "Twitter").
    return total > 0 and offsite >= _OFFSITE_SHARE * total and words >= _CITED_MIN_WORDS * count



def _boxed_in(el: etree._Element, main: etree._Element, chars: dict) -> bool:
    """A small box inside the article named like a comment, promo, newsletter, author
    or sharing box (names glued together escape the part-wise pruning); the entries of
    a live ticker's commentary are not comment boxes."""
    c = chars.get(el, 0)
    if not 0 < c <= _BOX_MAX_SHARE * chars.get(main, 0):
        return False
    kind = flagged_by_name(el, box=True)
    if kind != "comments":
        return kind is not None
    page = chars.get(main, 0)
    for region in el.iterancestors():
        if region is main:
            break
        if flagged_by_name(region) == "comments" and is_commentary(region, chars.get(region, 0), page):
            return False
    return True



def _is_data_table(table: etree._Element) -> bool:
    """A table of data rather than page layout: no nested tables or paragraph blocks."""
    for el in table.iter("table", "p", "div", "ul", "ol", "h1", "h2", "h3", "blockquote"):
        if el is not table:
            return False
    return True



def _table_rows(table: etree._Element) -> str:
    rows: list[str] = []
    for tr in table.iter("tr"):
        cells = [_norm(text_of(cell)).replace("|", "\\|")
                 for cell in tr.iterchildren("td", "th")]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
            if len(rows) == 1:
                rows.append("|" + " --- |" * len(cells))
    if len(rows) == 2:  # a one-row table reads better as a line than as a Markdown table
        return rows[0]
    return "\n".join(rows)

