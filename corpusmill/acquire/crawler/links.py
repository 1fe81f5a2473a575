"""Out-links of an HTML page, honouring <base href> and robots meta / X-Robots-Tag nofollow."""
from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from corpusmill.extract.charset import decode_html

from .urls import join_url


@dataclass(slots=True)
class PageLinks:
    links: list[str]
    nofollow: bool      # the page asked not to follow its links


def decode_page(payload: bytes, http_charset: str | None) -> str:
    return decode_html(payload, http_charset).text


def _robots_directives(values: list[str], token: str) -> set[str]:
    out: set[str] = set()
    for v in values:
        v = v.lower()
        # "googlebot: nofollow" applies to that bot only; bare directives to all.
        if ":" in v.split(",")[0]:
            name, _, v = v.partition(":")
            if name.strip() not in (token.lower(), "robots"):
                continue
        out.update(d.strip() for d in v.split(","))
    return out


def extract_links(html: str, base_url: str, x_robots_tag: list[str], ua_token: str) -> PageLinks:
    tree = HTMLParser(html)
    metas = [n.attributes.get("content") or "" for n in tree.css("meta[name]")
             if (n.attributes.get("name") or "").lower() in ("robots", ua_token.lower())]
    directives = _robots_directives(x_robots_tag, ua_token) | _robots_directives(metas, ua_token)
    if "nofollow" in directives or "none" in directives:
        return PageLinks([], True)
    base = base_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = join_url(base_url, base_node.attributes.get("href") or "") or base_url
    seen: set[str] = set()
    links: list[str] = []
    for node in tree.css("a[href], area[href], iframe[src], frame[src]"):
        href = node.attributes.get("href") or node.attributes.get("src")
        if not href:
            continue
        url = join_url(base, href)
        if url is not None and url not in seen:
            seen.add(url)
            links.append(url)
    return PageLinks(links, False)
