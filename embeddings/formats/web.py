"""Saved web pages (.html, .htm) through Beautiful Soup with Python's own HTML parser (pure Python).

The main text is the page's ``<main>`` (or ``role="main"``), else its only ``<article>``, else the
element whose id says it is the content (``id="content"``, ``id="main-content"``) when it holds a good
share of the body's text (the innermost of several that does), else its ``<body>``, without what is
not the article: navigation, the site header and footer, sidebars, forms (not one that wraps the page,
as ASP.NET's ``<form id="aspnetForm">`` does), scripts, hidden elements and
blocks whose class or id names them (``site-footer``, ``cookie-banner``, ``share-buttons``,
``breadcrumbs``, ``top-bar``, ``gdpr-notice``, ...) and, outside ``<main>`` and ``<article>``, blocks
that are nothing but a row of three or more links (a menu, whatever its class); inside them,
breadcrumbs and page numbers. What the site's footer holds that people ask about (its ``<address>``, lines
with a postal address, a phone number, an e-mail address or opening hours) is kept after the article
(``_footer_facts``); its menus, notices and copyright line are not. It is written as Markdown-like blocks:
``#`` headings, ``-`` list items, table rows with ``|`` between cells (a table whose first row is
``<th>`` cells as a Markdown table: header, delimiter row, rows), paragraphs separated by a blank
line. Metadata comes from the page's head when present: the title (``og:title``, else the first
``<h1>`` of the main text, with what the page's ``<title>`` adds to it, its site's name: ``formats.named``;
else ``<title>``), the canonical URL (``<link rel="canonical">``, else
``og:url``) and the published date (``article:published_time`` and the other usual meta tags,
JSON-LD ``datePublished``, else a ``<time datetime>`` in the main text).

Why not trafilatura: it brings lxml, dateparser, babel, courlan and more, and its heuristics are
tuned for news sites; it drops short pages or paragraphs, which on a community's saved FAQ or rules
page loses exactly what people ask about. The rules here are few, predictable and tested.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import date

import charset_normalizer
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from bs4.dammit import EncodingDetector

from ..chunking import soft_wrap
from ..errors import DocumentRejected
from . import Extracted, join_blocks, named

_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "form",
    "button", "select", "input", "textarea", "nav", "aside", "footer", "dialog", "menu", "head",
})
_DROP_ROLES = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog",
    "alertdialog", "toolbar",
})
#: Words that, as a part of a class or id, mark a block that is not the article.
_BOILERPLATE = frozenset({
    "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "footer", "sidebar", "cookie",
    "cookies", "consent", "share", "sharing", "social", "related", "comments", "advert", "ads",
    "advertisement", "newsletter", "subscribe", "skip", "masthead", "promo", "popup", "modal", "toc",
    # A site's strip of links above its header, and its privacy banners ("top-bar", "gdpr-notice",
    # "privacy-notice", "cookie-notice"): a name written in two words is also read as one ("topbar").
    "topbar", "utilitybar", "gdpr", "privacynotice", "privacybanner", "cookienotice", "cookiebar", "consentbanner",
})
#: The ids a site gives the element holding its content, when it marks it with neither ``<main>`` nor one
#: ``<article>``: read before the body, whose strip of links and banners sit outside it.
_CONTENT_IDS = ("content", "main-content", "maincontent", "main")
#: What may stand between the links of a menu written as a line ("Home | News | Log in").
#: Not a comma: "<a>Brown bins</a>, <a>blue bins</a>, <a>green bins</a>" is a sentence's list.
_MENU_SEPARATORS = re.compile(r"[\s|\u00b7\u2022/>\u00bb\u203a\u2013\u2014-]*")
#: What separates the links of breadcrumbs or a strip of links, even in the article ("Home | Waste").
_ROW_SEPARATOR = re.compile(r"[|/>\u00bb\u203a]")
#: A link of page numbers: "2", "Next", "« Previous", "Last ›".
_PAGER_LINK = re.compile(
    r"[\W_]*(?:\d{1,4}|next|previous|prev|first|last|older|newer|next page|previous page)[\W_]*", re.IGNORECASE)
#: A block holding only links, at least this many, is a menu, not the article.
_MENU_LINKS = 3
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
#: The blocks that may be a menu by what they hold (``_only_links``).
_MENU_BLOCKS = ["div", "p", "ul", "ol", "section", "header", "center", "span"]
_BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "header", "ul", "ol", "dl", "dt", "dd", "blockquote",
    "figure", "figcaption", "address", "hr", "details", "summary", "center", "body", "html",
})
_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate", "publishdate",
    "publish-date", "publication_date", "dc.date", "dc.date.issued", "dcterms.date", "dcterms.issued",
    "dcterms.created", "citation_publication_date", "sailthru.date", "parsely-pub-date",
)
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})|^(\d{4})(\d{2})(\d{2})")
_WORD = re.compile(r"[a-z]+")
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
#: The bytes Python's cp1252 leaves undefined, which the WHATWG's windows-1252 reads as the C1 controls.
_UNDEFINED_1252 = {0xDC00 + b: b for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}

log = logging.getLogger(__name__)


def extract(name: str, data: bytes, *, max_chars: int) -> Extracted:
    """The main text as blocks, and the title, canonical URL and published date (see the module doc)."""
    nul = data.find(b"\x00")
    if nul >= 0 and not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 pages hold NUL bytes
        raise DocumentRejected(f"{name}: looks like a binary file, not a web page (a NUL byte at offset {nul:,})")
    soup = BeautifulSoup(_undeclared(name, data) or data, "html.parser")
    meta = _meta(soup)
    when = _published(soup, meta)  # JSON-LD lives in <script>, which the main text drops
    _unwrap_page_forms(soup)
    root, marked = _main_root(soup)
    h1 = root.find("h1")
    title = meta.get("og:title") or meta.get("twitter:title")
    if not title and isinstance(h1, Tag):
        title = _collapse(h1.get_text(" "))
    title = named(title or None, soup.title.get_text(" ") if soup.title is not None else None)
    facts = _footer_facts(soup)  # read before _strip, which drops a footer inside the main text
    _strip(root, menus=not marked)
    if when is None:
        when = _time_element(root)
    blocks = _Blocks().render(root)
    text = join_blocks(blocks + _beside_the_article(blocks, [fact for fact in facts if fact not in blocks]))
    return Extracted(text=text, title=title or None, date=when, url=_canonical(soup, meta))


def _undeclared(name: str, data: bytes) -> str | None:
    """A page that names no encoding (no byte order mark, ``<meta charset>`` or XML declaration),
    decoded as a browser does: UTF-8 when it is valid UTF-8, else windows-1252, the HTML standard's
    default for such pages in most locales, unless charset-normalizer reads the bytes as a page in
    another script (Cyrillic, Greek, CJK...). None for a page that names its own, which Beautiful Soup
    reads by it.

    Left to Beautiful Soup, an undeclared page is decoded by whatever charset-normalizer guesses, and
    a Windows-1252 "crème brûlée" came out as "crčme brűlée" (Windows-1250).
    """
    # The whole page is searched: a <meta charset> may come after a long <head> (browsers read it there too).
    if data.startswith(_BOMS) or EncodingDetector.find_declared_encoding(data, is_html=True, search_entire_document=True):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None and _mostly_other_script(_visible_text(str(guess))):
        # A Cyrillic, Greek, Arabic, CJK... page: browsers detect those too, and read as windows-1252 they
        # would be nothing but Latin accents ("Ïðèâåò, ìèð").
        log.info("%s: no encoding declared and not UTF-8: read as %s", name, guess.encoding)
        return str(guess)
    log.info("%s: no encoding declared and not UTF-8: read as windows-1252, as browsers do", name)
    return data.decode("cp1252", errors="surrogateescape").translate(_UNDEFINED_1252)


#: Fewer letters than this say too little to leave windows-1252 for: charset-normalizer reads a few
#: accented capitals ("Æ Ø Å", "Þjóðhátíð") as Japanese.
_MIN_GUESSED_LETTERS = 40


def _visible_text(page: str) -> str:
    """A page's text without its tags, scripts and styles: its markup is Latin whatever its language."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text(" ")


def _mostly_other_script(text: str) -> bool:
    """Whether ``text`` has enough letters to tell, and most of them are of a script other than Latin."""
    letters = [ch for ch in text if ch.isalpha()]
    other = sum(1 for ch in letters if ord(ch) > 0x24F)
    return len(letters) >= _MIN_GUESSED_LETTERS and other * 2 > len(letters)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta>`` contents by lower-cased property, name or itemprop (the first of each wins)."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop"):
            key = tag.get(attribute)
            if isinstance(key, str) and key.strip():
                found.setdefault(key.strip().lower(), _collapse(content))
    return found


def _canonical(soup: BeautifulSoup, meta: dict[str, str]) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        href = str(link["href"]).strip()
        if "canonical" in (r.lower() for r in rels) and href.startswith(("http://", "https://")):
            return href
    url = meta.get("og:url", "")
    return url if url.startswith(("http://", "https://")) else None


def _parse_date(text: str) -> date | None:
    match = _ISO_DATE.search(text.strip())
    if not match:
        return None
    year, month, day = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _json_ld_dates(soup: BeautifulSoup) -> Iterable[str]:
    """``datePublished`` values in the page's JSON-LD blocks (schema.org Article and friends)."""

    def walk(node: object) -> Iterable[str]:
        if isinstance(node, dict):
            value = node.get("datePublished")
            if isinstance(value, str):
                yield value
            for child in node.values():
                yield from walk(child)
        elif isinstance(node, list):
            for child in node:
                yield from walk(child)

    for script in soup.find_all("script", type="application/ld+json"):
        try:
            yield from walk(json.loads(script.get_text()))
        except ValueError:
            continue


def _published(soup: BeautifulSoup, meta: dict[str, str]) -> date | None:
    for key in _DATE_META:
        if key in meta and (when := _parse_date(meta[key])):
            return when
    for value in _json_ld_dates(soup):
        if when := _parse_date(value):
            return when
    return None


def _time_element(root: Tag) -> date | None:
    """A ``<time datetime>`` in the main text: the one marked as published, else the first."""
    times = [t for t in root.find_all("time") if isinstance(t.get("datetime"), str)]
    marked = [t for t in times if t.has_attr("pubdate") or t.get("itemprop") == "datePublished"]
    for tag in marked + times:
        if when := _parse_date(str(tag["datetime"])):
            return when
    return None


def _unwrap_page_forms(soup: BeautifulSoup) -> None:
    """Take out the ``<form>`` tags that wrap the page rather than a form in it (in place), their content
    left where it was: ASP.NET writes every page inside one ``<form id="aspnetForm">``, and as a form
    (furniture, like a search box or a sign-up box) the whole article was dropped ("no text found").

    A form wraps the page when it holds at least as much of the page's text (``_kept_length``) as
    everything outside the forms, and nothing else marks it as furniture: a search, login or newsletter
    form beside an article holds little of the page, and one named so ("newsletter-signup") or
    hidden stays a form, dropped with the rest."""
    body = soup.body or soup
    for form in body.find_all("form"):
        if _names_boilerplate(form) or str(form.get("role") or "").lower() in _DROP_ROLES or _hidden(form):
            continue
        own = _kept_length(form)
        if own and own >= _kept_length(body):  # the body's count leaves out every form's text
            form.unwrap()


def _main_root(soup: BeautifulSoup) -> tuple[Tag, bool]:
    """Where the article is: ``<main>``, ``role="main"``, the only ``<article>``, else the element whose id
    says it is the content (``_content_element``), else the body; and whether the page marked it as its
    article (``<main>``, ``role="main"``, ``<article>``), inside which no block is a menu for what it holds."""
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if isinstance(main, Tag):
        return main, True
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0], True
    body = soup.body or soup
    return _content_element(soup, body) or body, False


#: The id'd element is the content only if it holds at least this share of the body's text (both without
#: their furniture, ``_kept_length``): a strapline or a legal line beside it may be much of a short page.
_CONTENT_SHARE = 1 / 3


def _content_element(soup: BeautifulSoup, body: Tag) -> Tag | None:
    """The element whose id says it is the content (``_CONTENT_IDS``), if it holds a good share of the body's
    text; of several, the innermost that does (the outermost, ``<div id="main">`` around ``<div
    id="content">``, brought the boxes beside the article: "Popular", "Rated 4 stars ..."). An id names a
    place, not always the article: a "skip to content" link's target is an empty ``<a id="content">``
    (the page was refused as "no text found"), and a ``<ul id="content">`` of two links inside ``<div
    id="main">`` was all that was kept of the page."""
    found = [tag for name in _CONTENT_IDS for tag in soup.find_all(id=name)
             if isinstance(tag, Tag) and tag.name not in _DROP_TAGS]
    if not found:
        return None
    least = _CONTENT_SHARE * _kept_length(body)
    candidates = [tag for tag in found if (kept := _kept_length(tag)) and kept >= least]
    for tag in candidates:
        if not any(parent is tag for other in candidates for parent in other.parents):
            return tag
    return None


def _kept_length(tag: Tag) -> int:
    """How much text ``tag`` holds outside its furniture: what ``_strip`` drops for what it is or for what
    its class or id calls it. Each element below ``tag`` is judged once, however many strings it holds."""
    kept_in: dict[int, bool] = {id(tag): True}  # by element: whether its strings are kept

    def kept(element: Tag) -> bool:
        path: list[Tag] = []  # the elements walked up to one already judged
        node: Tag | None = element
        while node is not None and id(node) not in kept_in:
            path.append(node)
            node = node.parent
        verdict = True if node is None else kept_in[id(node)]
        for walked in reversed(path):  # outermost first: an element is kept only inside a kept one
            verdict = verdict and not (_dropped(walked) or _names_boilerplate(walked))
            kept_in[id(walked)] = verdict
        return verdict

    return sum(len(_collapse(string)) for string in tag.find_all(string=True)
               if not isinstance(string, _SKIPPED_STRINGS) and string.strip() and kept(string.parent))


def _names_boilerplate(tag: Tag, furniture: frozenset[str] = _BOILERPLATE) -> bool:
    """Whether a class or id of ``tag`` names ``furniture``: one of its words, or two neighbouring words read
    as one ("top-bar" as "topbar", "privacy-notice" as "privacynotice")."""
    classes = tag.get("class") or []
    names = [*(classes if isinstance(classes, list) else str(classes).split()), str(tag.get("id") or "")]
    for name in names:
        words = _WORD.findall(name.lower())
        if any(w in furniture for w in words) or any(a + b in furniture for a, b in zip(words, words[1:])):
            return True
    return False


def _only_links(tag: Tag) -> bool:
    """Whether ``tag`` is a menu by what it holds: three or more links and no other text than what
    separates them ("Home | News | Your council | Log in"). A site's strip of links is not always
    named as one; a paragraph with a link in it has text of its own and stays."""
    return _links_between(tag) is not None


def _links_between(tag: Tag) -> tuple[list[str], str] | None:
    """The texts of ``tag``'s links and what stands between them, if it holds three links or more and no
    other text than separators (``_MENU_SEPARATORS``)."""
    links = [a for a in tag.find_all("a") if _collapse(a.get_text(" "))]
    if len(links) < _MENU_LINKS:
        return None
    linked = {id(s) for a in links for s in a.find_all(string=True)}
    rest = "".join(s for s in tag.find_all(string=True)
                   if id(s) not in linked and not isinstance(s, _SKIPPED_STRINGS))
    if _MENU_SEPARATORS.fullmatch(rest) is None:
        return None
    return [_collapse(a.get_text(" ")) for a in links], rest


def _trail_or_pages(tag: Tag) -> bool:
    """Whether ``tag`` is, even inside ``<main>`` or ``<article>``, a row of links that is no part of the
    article: breadcrumbs or a strip of links separated by "|", ">", "›", "»" or "/" (not a ``<ul>`` or
    ``<ol>``: a list of links there is the article's), or page numbers ("1 2 3 Next"). They were quoted."""
    found = _links_between(tag)
    if found is None:
        return False
    links, rest = found
    if all(_PAGER_LINK.fullmatch(link) for link in links) and any(link[:1].isdigit() for link in links):
        return True
    return tag.name not in ("ul", "ol") and _ROW_SEPARATOR.search(rest) is not None


def _hidden(tag: Tag) -> bool:
    style = str(tag.get("style") or "").replace(" ", "").lower()
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden") or "").lower() == "true"
        or "display:none" in style
        or "visibility:hidden" in style
    )


def _dropped(tag: Tag) -> bool:
    """Whether ``tag`` is not the article for what it is: navigation, a script, hidden, the site's header..."""
    return (
        tag.name in _DROP_TAGS
        or str(tag.get("role") or "").lower() in _DROP_ROLES
        or (tag.name == "header" and tag.find_parent(("article", "main")) is None)  # the site's, not an article's
        or _hidden(tag)
    )


def _strip(root: Tag, *, menus: bool) -> None:
    """Remove what is not the article from ``root`` (in place).

    Elements are dropped for what they are (``<nav>``, ``role="navigation"``, hidden, the site's
    ``<header>``) first; then for what their class or id calls them, unless that would take half of
    what is left: a wrapper named ``has-sidebar`` holds the article itself; last, with ``menus``, blocks
    holding nothing but three or more links (``_only_links``), with the same care. Not inside the page's
    ``<main>`` or ``<article>``: a list of links there is the article's ("Calendars": "Large print
    calendar", "Welsh language calendar", ...), and was deleted with its answers; there only breadcrumbs,
    strips of links separated by "|" or "›" and page numbers are dropped (``_trail_or_pages``).
    """
    for tag in list(root.find_all(True)):
        if not tag.decomposed and _dropped(tag):
            tag.decompose()
    total = len(_collapse(root.get_text(" ")))
    for tag in list(root.find_all(True)):
        if not tag.decomposed and _names_boilerplate(tag) and len(_collapse(tag.get_text(" "))) * 2 < total:
            tag.decompose()
    for tag in list(root.find_all(_MENU_BLOCKS)):
        if tag.decomposed or len(_collapse(tag.get_text(" "))) * 2 >= total:
            continue
        in_article = not menus or tag.find_parent(("main", "article")) is not None
        if _trail_or_pages(tag) if in_article else _only_links(tag):
            tag.decompose()


#: Inside a site's footer, what names furniture: all ``_BOILERPLATE`` but the footer itself ("footer-address").
_FOOTER_FURNITURE = _BOILERPLATE - {"footer"}
#: A line a footer holds as a fact to ask about: an e-mail address, a phone number (``_phone``), opening
#: hours (a range of times, or a weekday and a range of hours after it: "Sat & Sun 9-22") or a postal address (a street and its number, a postcode
#: and its town, a British or a US postcode, a P.O. box).
_FOOTER_FACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?i:\b(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?|daily|(?:mo|di|mi|do|fr|sa|so)\s*[-\u2013]\s*"
    r"(?:mo|di|mi|do|fr|sa|so))\b.*?\b\d{1,2}(?:[:.]\d{2})?\s*(?:[-\u2013\u2014]|to|until)\s*\d{1,2}\b)"
    r"|\b\d{1,2}(?:[:.]\d{2})?\s*(?:[-\u2013\u2014]|to|until)\s*\d{1,2}(?:[:.]\d{2})?\s*(?i:[ap]\.?m\b|h\b|uhr\b)"
    r"|\b\d{1,2}[:.]\d{2}\s*(?:[-\u2013\u2014]|to|until)\s*\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?i:[ap]m)\b"
    r"|\b\d{1,5}[a-z]?,?(?:\s+[A-Z][\w'.-]*){1,3}\s+(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|place|pl"
    r"|square|sq|boulevard|blvd|court|ct|terrace|close|crescent|parade|row|highway|hwy)\b"
    r"|(?i:\b[\w\u00c0-\u017f-]*(?:stra\u00dfe|strasse|str\.|weg|platz|gasse|allee|damm|ufer|markt)\s+\d{1,4}[a-z]?\b)"
    r"|\b\d{4,5}\s+[A-Z\u00c0-\u00dd][\w\u00c0-\u017f-]+"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b|(?i:\bp\.?\s?o\.?\s+box\b)"
)
#: A run of digits, spaces and the marks between a phone number's parts ("+49 341 555-0199", "(020) 7946 0958").
_PHONE = re.compile(r"\+?\(?\d[\d ()./-]{5,}\d")
#: A footer's legal line: "© 2025 Blocwerk", "Copyright 2024 ...", "All rights reserved.", "Company no.
#: 01234567" (whose digits read as a phone number's), "Registered in England".
_COPYRIGHT = re.compile(r"^\W*(?:\u00a9|\(c\)|copyright\b)|all rights reserved|\bregistered (?:in|office)\b"
                        r"|\b(?:company|registration|vat|tax)\s+(?:no\b|number\b|nr\b|reg)", re.IGNORECASE)


def _footer_facts(soup: BeautifulSoup) -> list[str]:
    """What a site's footer (``<footer>``, ``role="contentinfo"``, a block whose class or id names the footer)
    holds that people ask about, as blocks: its ``<address>`` whole, and each line that holds an address, a
    phone number, an e-mail address or opening hours (``_footer_fact``), under the footer's heading above
    them if it has one ("Visit us"). Not its menus, link lists, cookie notices, newsletter boxes or copyright
    lines. The footer is dropped from the main text as furniture, and
    with it the gym's address: "what's the address?" was refused as not covered. Read from copies, so the
    page itself is left as it was."""
    body = soup.body or soup
    footers = [tag for tag in body.find_all(True) if (
        tag.name == "footer" or str(tag.get("role") or "").lower() == "contentinfo"
        or _names_boilerplate(tag, frozenset({"footer"}))) and not _hidden(tag)]
    within = {id(footer) for footer in footers}
    facts: list[str] = []
    for footer in footers:
        if any(id(parent) in within for parent in footer.parents):
            continue  # read with the footer it is part of
        copy = _footer_copy(footer)
        addresses: set[str] = set()
        for address in copy.find_all("address"):
            lines = _address_lines([block for block in _Blocks().render(address) if not _COPYRIGHT.search(block)])
            addresses.update(lines)
            address.replace_with(*(_paragraph(copy, line) for line in lines))
        heading = None  # the footer's heading above the facts that follow it ("Visit us")
        for block in _Blocks().render(copy):
            if _HEADING_BLOCK.match(block):
                heading = block
            elif block in addresses or _footer_fact(block):
                facts.extend([heading, block] if heading else [block])
                heading = None
    return list(dict.fromkeys(facts))


_HEADING_BLOCK = re.compile(r"#{1,6} ")
_HEADING_LEVEL = re.compile(r"(#{1,6}) ")


def _beside_the_article(blocks: list[str], facts: list[str]) -> list[str]:
    """The footer's facts (``_footer_facts``) with their headings raised to the article's top section level, so
    that they close the article's last section instead of lying inside it: the footer's "### Visit us" after
    an article's "## Machines and training" showed its address as "under: Machines and training › Visit us".
    The page's headline (a level-1 heading opening it) heads the whole page and is not such a section."""
    levels = [len(m.group(1)) for at, block in enumerate(blocks)
              if (m := _HEADING_LEVEL.match(block)) and not (at == 0 and m.group(1) == "#")]
    if not levels:
        return facts
    top = min(levels)
    return [("#" * top + " " + fact[m.end():]) if (m := _HEADING_LEVEL.match(fact)) and len(m.group(1)) > top else fact
            for fact in facts]



def _paragraph(soup: BeautifulSoup, text: str) -> Tag:
    """A ``<p>`` holding ``text``, to stand in ``soup``."""
    tag = soup.new_tag("p")
    tag.string = text
    return tag


#: An address's line is at most this long: longer, it is a sentence ("Visit us at ...") and stays one.
_ADDRESS_LINE = 60


def _address_lines(lines: list[str]) -> list[str]:
    """An ``<address>``'s lines as one line, joined by ", " as an address is written in a sentence ("Kestrel
    Climbing eG, Gleisstraße 7, 04275 Leipzig"): line by line, a quote held "Gleisstraße 7" without its town.
    Lines that are sentences or long stay as they are."""
    if len(lines) > 1 and all(len(line) <= _ADDRESS_LINE and not line.endswith((".", ",", ";", ":")) for line in lines):
        return [", ".join(lines)]
    return lines


def _footer_copy(footer: Tag) -> Tag:
    """A copy of ``footer`` without what is furniture in it: navigation, forms, scripts, hidden blocks,
    blocks named as furniture other than the footer itself (``footer-nav``, ``cookie-notice``) and menus
    by what they hold (``_footer_menu``)."""
    copy = BeautifulSoup(str(footer), "html.parser")
    for tag in list(copy.find_all(True))[1:]:
        if not tag.decomposed and (
                (tag.name in _DROP_TAGS and tag.name != "footer") or _hidden(tag)
                or str(tag.get("role") or "").lower() in _DROP_ROLES - {"contentinfo"}
                or _names_boilerplate(tag, _FOOTER_FURNITURE) or _footer_menu(tag)):
            tag.decompose()
    return copy


def _footer_menu(tag: Tag) -> bool:
    """Whether ``tag`` is a menu in a footer: nothing but three links or more (``_only_links``), none of them
    to write or call (``mailto:``, ``tel:``: a line of contacts may be all links), outside an ``<address>``.
    Unnamed, a footer's list of links was kept for a link that reads like a fact ("2024 Annual Report" as a
    postcode and a town, "Open day on Sat 10 - 14 May" as opening hours)."""
    if tag.name not in _MENU_BLOCKS or tag.find_parent("address") is not None or not _only_links(tag):
        return False
    return not any(str(a.get("href") or "").lower().startswith(("mailto:", "tel:")) for a in tag.find_all("a"))


def _footer_fact(block: str) -> bool:
    """Whether a footer's line holds a fact (``_FOOTER_FACT``, or a phone number of seven digits or more, not a
    date) and is not its copyright line."""
    if _COPYRIGHT.search(block):
        return False
    return _FOOTER_FACT.search(block) is not None or any(
        sum(c.isdigit() for c in m.group()) >= 7 and not _ISO_DATE.match(m.group()) for m in _PHONE.finditer(block))


class _Blocks:
    """Walks the main text, collecting Markdown-like blocks; inline text is joined and collapsed.

    A ``<br>`` ends a block, as a newline ends a line of a text file, unless the sentence goes on
    across it: "Refunds are processed within 14 days<br>of the request." is one sentence, which read
    as two blocks was quoted as "Refunds are processed within 14 days". Whether it goes on is the rule
    that joins a text file's wrapped lines (``chunking.soft_wrap``), asked of the lines either side of
    the break; they are then joined by a space, as the browser's line break is only layout (the
    stored text stays plain prose, whatever a later splitter makes of newlines). A break after a
    full sentence, between an address's lines or below a label still ends its block.
    """

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.inline: list[str] = []
        self.lines: list[str] = []  # the text before each <br> of the block being collected
        self.prefix = ""  # the marker of the list item whose text is being collected

    def render(self, root: Tag) -> list[str]:
        self._walk(root, ordered=None)
        self._flush()
        return self.blocks

    def _flush(self) -> None:
        lines = [_collapse(line) for line in [*self.lines, "".join(self.inline)]]
        self.lines.clear()
        self.inline.clear()
        texts: list[str] = []
        joinable = False  # the line above holds text and no empty line (``<br><br>``) came between
        for line in lines:
            if not line:
                joinable = False  # two breaks in a row end the paragraph, as a blank line does
                continue
            if joinable and soft_wrap(texts[-1], line):
                texts[-1] += " " + line
            else:
                texts.append(line)
            joinable = True
        for n, text in enumerate(texts):
            self.blocks.append((self.prefix if n == 0 else "") + text)
        self.prefix = ""

    def _walk(self, node: Tag, ordered: list[int] | None) -> None:
        for child in node.children:
            if isinstance(child, _SKIPPED_STRINGS):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
            elif isinstance(child, Tag):
                self._element(child, ordered)

    def _element(self, tag: Tag, ordered: list[int] | None) -> None:
        name = tag.name
        if name in _HEADINGS:
            self._flush()
            text = _collapse(tag.get_text(" "))
            if text:
                self.blocks.append("#" * _HEADINGS[name] + " " + text)
        elif name == "br":
            self.lines.append("".join(self.inline))
            self.inline.clear()
        elif name == "li":
            self._flush()
            if ordered is not None:
                ordered[0] += 1
                self.prefix = f"{ordered[0]}. "
            else:
                self.prefix = "- "
            self._walk(tag, None)
            self._flush()
        elif name in ("ul", "ol"):
            self._flush()
            self._walk(tag, [0] if name == "ol" else None)
            self._flush()
        elif name == "table":
            self._flush()
            rows: list[tuple[str, int, bool]] = []  # a row's text, its cells with text, whether all are <th>
            for row in tag.find_all("tr"):
                cells = row.find_all(("td", "th"))
                texts = [t for t in (_collapse(c.get_text(" ")) for c in cells) if t]
                if texts:
                    rows.append((" | ".join(texts), len(texts), all(c.name == "th" for c in cells)))
            if len(rows) > 1 and rows[0][2] and rows[0][1] > 1:
                # A header row of <th> cells: written as a Markdown table (header, delimiter row, rows), so
                # the header names the columns and is never quoted by itself (``sentences.layout``).
                self.blocks.append("\n".join([rows[0][0], " | ".join(["---"] * rows[0][1])]
                                             + [text for text, _, _ in rows[1:]]))
            else:
                self.blocks.extend(text for text, _, _ in rows)
        elif name == "pre":
            self._flush()
            lines = [line.rstrip() for line in tag.get_text().strip("\n").split("\n")]
            text = "\n".join(line for line in lines if line.strip())
            if text:
                self.blocks.append(text)
        elif name == "img":
            return
        elif name in _BLOCKS:
            self._flush()
            self._walk(tag, ordered)
            self._flush()
        else:  # inline markup: a, span, em, strong, code, ...
            self._walk(tag, ordered)
