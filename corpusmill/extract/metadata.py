"""Page metadata from what sites publish for machines: JSON-LD, OpenGraph, meta tags, <time>.

Sources are tried from the most to the least specific: a schema.org Article object names
the headline, authors and publication date of the article itself; OpenGraph and meta tags
describe the page; <title>, <h1>, <time> and byline elements are the fallback. Must run
before boilerplate pruning, which removes bylines and <head>.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterator
from urllib.parse import urlsplit

import orjson
from lxml import etree

from corpusmill.extract.dom import text_of

_ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "scholarlyarticle", "techarticle", "report", "posting",
    "socialmediaposting", "liveblogposting", "review", "recipe", "webpage", "itempage",
    "medicalwebpage", "aboutpage", "qapage", "product", "event", "creativework",
})
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?:T|\b)"),
)
_DMY = re.compile(r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|-)")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•:»]\s+")
_WS = re.compile(r"\s+")
_BYLINE_CLASS = re.compile(r"\b(byline|author|autor|by-line|article-author)\b", re.IGNORECASE)
_BY_PREFIX = re.compile(r"^(by|von|par|de|por|przez|written by|posted by)\s*:?\s+", re.IGNORECASE)

_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "date", "dc.date",
    "dc.date.issued", "dcterms.date", "dcterms.created", "pubdate", "publishdate",
    "publish-date", "published_time", "sailthru.date", "parsely-pub-date", "article.published",
    "citation_publication_date", "citation_date", "dc.date.created", "og:updated_time",
    "article:modified_time", "last-modified",
)


def extract_metadata(root: etree._Element, url: str | None) -> dict[str, Any]:
    meta = _meta_tags(root)
    ld = _json_ld_article(root)
    title_tag = _text(root.find(".//title"))
    sitename = (_ld_name(ld.get("publisher")) or meta.get("og:site_name")
                or meta.get("application-name") or _sitename_from_title(title_tag))
    page_url = _link(root, "canonical") or meta.get("og:url") or url
    return {
        "title": _title(ld, meta, root, title_tag, sitename),
        "author": _author(ld, meta, root),
        "date": _date(ld, meta, root, page_url or url),
        "sitename": sitename,
        "language": _language(root, meta),
        "description": meta.get("description") or meta.get("og:description")
        or meta.get("twitter:description"),
        "url": page_url,
    }


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    text = _WS.sub(" ", text).strip()
    return text or None


def _text(el: etree._Element | None) -> str | None:
    return _clean(text_of(el)) if el is not None else None


def _meta_tags(root: etree._Element) -> dict[str, str]:
    """name/property/itemprop/http-equiv (lowercased) -> content; the first one wins."""
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        content = _clean(el.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), content)
    return found


def _link(root: etree._Element, rel: str) -> str | None:
    for el in root.iter("link"):
        if (el.get("rel") or "").lower() == rel and el.get("href"):
            href = el.get("href").strip()
            if href.startswith(("http://", "https://")):
                return href
    return None


def _json_ld_objects(root: etree._Element) -> Iterator[dict]:
    for el in root.iter("script"):
        if (el.get("type") or "").lower() != "application/ld+json" or not el.text:
            continue
        try:
            data = orjson.loads(el.text.strip())
        except orjson.JSONDecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def _ld_types(obj: dict) -> set[str]:
    t = obj.get("@type")
    types = t if isinstance(t, list) else [t]
    return {x.lower() for x in types if isinstance(x, str)}


def _json_ld_article(root: etree._Element) -> dict:
    """The most article-like JSON-LD object: an Article beats a WebPage beats nothing."""
    best: dict = {}
    best_rank = 99
    for obj in _json_ld_objects(root):
        types = _ld_types(obj)
        if not types & _ARTICLE_TYPES:
            continue
        rank = 0 if any("article" in t or "posting" in t for t in types) else 1
        if rank < best_rank:
            best, best_rank = obj, rank
    return best


def _ld_name(value: Any) -> str | None:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        name = value.get("name")
        return _clean(name) if isinstance(name, str) else None
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return "; ".join(dict.fromkeys(names)) or None
    return None


def _title(ld: dict, meta: dict, root: etree._Element, title_tag: str | None,
           sitename: str | None) -> str | None:
    headline = ld.get("headline") if isinstance(ld.get("headline"), str) else None
    candidates = [_clean(headline), meta.get("og:title"), meta.get("twitter:title")]
    for c in candidates:
        if c:
            return _strip_sitename(c, sitename)
    h1s = [t for t in (_text(h) for h in root.iter("h1")) if t]
    if len(h1s) == 1:
        return h1s[0]
    if title_tag:
        return _strip_sitename(title_tag, sitename)
    return h1s[0] if h1s else None


def _strip_sitename(title: str, sitename: str | None) -> str:
    """"Headline | Site" -> "Headline": keep the longest part of a separated title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if sitename:
        kept = [p for p in parts if p.lower() != sitename.lower()]
        if len(kept) == len(parts) - 1 and kept:
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # Only the ends of a title name the site; a separator in the middle belongs to it.
    first, last = parts[0], parts[-1]
    if len(last) < len(first) / 2:
        return title[: title.rfind(last)].rstrip(" |-–—·•:»")
    if len(first) < len(last) / 2:
        return title[len(first):].lstrip(" |-–—·•:»")
    return title


def _sitename_from_title(title: str | None) -> str | None:
    if not title:
        return None
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) >= 2 and len(parts[-1]) < len(parts[0]) / 2:
        return parts[-1]
    return None


def _author(ld: dict, meta: dict, root: etree._Element) -> str | None:
    author = _ld_name(ld.get("author"))
    if author:
        return author
    for key in ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author",
                "citation_author", "byl", "twitter:creator"):
        value = meta.get(key)
        if value and not value.startswith(("http://", "https://", "@")):
            return _BY_PREFIX.sub("", value)
    for el in root.iter("a", "span", "div", "p", "address"):
        if el.get("rel") == "author" or el.get("itemprop") == "author" or _BYLINE_CLASS.search(
                el.get("class") or ""):
            name = _text(el)
            if name and len(name) <= 80:
                return _BY_PREFIX.sub("", name)
    return None


def _date(ld: dict, meta: dict, root: etree._Element, url: str | None) -> str | None:
    for key in ("datePublished", "dateCreated", "dateModified"):
        value = ld.get(key)
        if isinstance(value, str) and (d := parse_date(value)):
            return d
    for key in _DATE_META:
        value = meta.get(key)
        if value and (d := parse_date(value)):
            return d
    for el in root.iter("time"):
        value = el.get("datetime") or _text(el)
        if value and (d := parse_date(value)):
            return d
    if url and (m := _URL_DATE.search(urlsplit(url).path)):
        return _valid_date(m.group(1), m.group(2), m.group(3))
    return None


def fallback_date(html: str, url: str | None) -> str | None:
    """htmldate's reading of a page that declares no date in machine-readable form: it
    knows the date formats and places of many CMSs (6 ms a page, so only as a fallback)."""
    from htmldate import find_date

    try:
        found = find_date(html, url=url, extensive_search=False, original_date=True)
    except Exception:  # noqa: BLE001 - a failed guess is no date, not a failed page
        return None
    return parse_date(found) if found else None


def parse_date(value: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from a date or datetime string, or None."""
    for pattern in _DATE_PATTERNS:
        m = pattern.search(value)
        if m and (d := _valid_date(m.group(1), m.group(2), m.group(3))):
            return d
    m = _DMY.search(value)
    if m:
        return _valid_date(m.group(3), m.group(2), m.group(1))
    return None


def _valid_date(year: str, month: str, day: str) -> str | None:
    try:
        d = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if not 1990 <= d.year <= 2100:
        return None
    return d.isoformat()


def _language(root: etree._Element, meta: dict) -> str | None:
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") \
        or root.get("xml:lang") or meta.get("content-language") or meta.get("og:locale") \
        or meta.get("language") or meta.get("dc.language")
    if not lang:
        return None
    primary = re.split(r"[-_,;\s]", lang.strip().lower(), maxsplit=1)[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None
