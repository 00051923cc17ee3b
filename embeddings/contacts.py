"""Contact facts as an answer type: a question asking for an address, an e-mail address or a phone number,
and the sentences that hold one.

"What's the address?", "whats ur email", "phone number?" and "how do i contact you" name only the kind of
answer they want, and the answer seldom repeats that word: a venue's page says "Bergstraße 7 · 10115
Berlin", "hello@example.org", "+49 30 1234567" (its footer's facts, ``formats.web._footer_facts``), never
"our address is". Read by its words, such a question shares nothing with its answer, and was refused. The
expected answer type, the oldest trick of extractive QA (``evidence._NUMERIC_QUESTION`` does it for
quantities and dates), reads it: the question asks for a value of a kind, and a sentence holding a value of
that kind is what it asks for (``evidence.score``).

The kinds are told from the question's words and phrases (``asked``), and a sentence's values by their
shape (``held``): an e-mail address, a phone number (seven digits or more, not a date, a year's range or a
number grouped by thousands), a street and its number ("Bergstraße 7", "221B Baker Street", "12 rue de la
Paix"), a postcode and its town ("10115 Berlin", "1010 Wien" but not "2025 Berlin"), a British or US
postcode ("EC1A 1BB", "CA 94107") or a P.O. box. The shapes are stricter than the footer's
(``formats.web._FOOTER_FACT``), which reads lines a site's footer already marks as its facts, where these
read any sentence of any document.
"""

from __future__ import annotations

import re

#: The kinds of contact fact.
ADDRESS, EMAIL, PHONE, HOURS = "address", "email", "phone", "hours"

# --- what a question asks for -------------------------------------------------------------------------

#: "address" naming a postal address, not an e-mail's, a web page's or a machine's ("what's your email
#: address?" asks for an e-mail address), and a place asked for ("where are you located?", "location",
#: "directions", "where r u", "how do i get there", "postcode").
_ASKS_ADDRESS = re.compile(
    r"\b(?<!web )(?<!ip )(?<!mac )(?<!mail )(?<!email )(?<!e-mail )(?:address(?:es)?|addy)\b"
    r"|\b(?:located|whereabouts|directions|post\s?code|zip\s?code|postal code)\b"
    # "what's the location?", "your location", not a file's ("the default log file location")
    r"|\b(?:the|your|ur|yr|ya)\s+(?:exact\s+)?location\b"
    r"|\bwhere(?:\s+(?:are|r|is|'?s)|'s|s)\s+(?:you|u|ya|y'all|your (?:place|shop|venue|office|studio|space|club|gym))\b"
    r"|\bwhere\s+(?:are|r)\s+you\s+(?:based|located)\b"
    r"|\bhow\s+(?:do|can|would)\s+(?:i|we)\s+(?:get|find)\s+(?:there|to you|you)\b"
    r"|\bfind\s+you\b",
    re.IGNORECASE,
)
_ASKS_EMAIL = re.compile(r"\b(?:e-?mails?|mail\s+address|mail\s+you|mail\s+to)\b", re.IGNORECASE)
_ASKS_PHONE = re.compile(
    r"\b(?:(?:tele)?phone|tel|mobile\s+number|cell\s+number|whats\s?app|call\s+(?:you|u|us|someone|them)"
    r"|ring\s+(?:you|u|us)|number\s+to\s+call)\b",
    re.IGNORECASE,
)
#: "What are your opening hours?", "when are you open on Saturday?", "what time do you close?" (not "how many
#: hours does the tour take?", a duration, or "is the café open to guests?").
_ASKS_HOURS = re.compile(
    r"\b(?:opening|business|office|open)\s+(?:hours|times)\b|\bwhat\s+(?:are|r)\s+(?:the|your|ur)\s+hours\b"
    r"|\bwhen\s+(?:are|r|is)\s+(?:you|u|ya|it|the\s+\w+)\s+open\b"
    r"|\b(?:what\s+time|when)\s+(?:do|does|are|r)\s+(?:you|u|ya|it|the\s+\w+)\s+(?:open|close|closing|opening)\b"
    r"|\b(?:are|r)\s+(?:you|u|ya)\s+open\b|\b(?:open|closed)\s+(?:on|today|tomorrow|tonight|late|now)\b",
    re.IGNORECASE,
)
#: "How do I contact you?", "how can i reach you", "get in touch": written to or called.
_ASKS_CONTACT = re.compile(
    r"\b(?:contact|reach\s+(?:you|u|us|them|someone|anyone|the\s+\w+)|get\s+in\s+touch|get\s+hold\s+of)\b",
    re.IGNORECASE,
)

#: The words of the questions above that name the kind of answer: the answer gives a value of that kind and
#: seldom the word, so a sentence holding the value holds what the word names (``evidence.score``).
WORDS = frozenset({"address", "addresses", "addy", "location", "located", "email", "emails", "mail", "phone",
                   "telephone", "tel", "contact", "whatsapp", "postcode", "number", "details", "info",
                   "information", "reach", "touch", "call", "find", "directions", "based", "open", "opening",
                   "hours", "times", "close", "closing", "closed"})
#: Words of a chat question that name nothing ("whats ur email pls", "hey where r u guys"): with the stop words
#: and ``WORDS``, what a question asking only for the collection's own contact fact is made of (``topic_free``).
FILLERS = frozenset({"please", "pls", "plz", "hey", "hi", "hello", "again", "thanks", "thx", "ok", "okay", "also",
                     "then", "now", "btw", "just", "quick", "question", "ur", "u", "r", "ya",
                     "yall", "guys", "folks", "exact", "exactly", "current", "correct", "best", "way", "get", "go",
                     "know", "tell", "give", "need", "want", "send", "write"})


def asked(question: str) -> frozenset[str]:
    """The kinds of contact fact ``question`` asks for (empty: none). "How do I contact you?" asks for an
    e-mail address or a phone number: what one writes to or calls."""
    kinds = set()
    if _ASKS_ADDRESS.search(question):
        kinds.add(ADDRESS)
    if _ASKS_EMAIL.search(question):
        kinds.add(EMAIL)
    if _ASKS_PHONE.search(question):
        kinds.add(PHONE)
    if _ASKS_HOURS.search(question):
        kinds.add(HOURS)
    if _ASKS_CONTACT.search(question):
        kinds.update((EMAIL, PHONE))
    return frozenset(kinds)


# --- what a sentence holds ------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
#: A run of digits and the marks between a phone number's parts ("+49 30 1234567", "(020) 7946 0958").
_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d ()./-]{5,}\d(?![\w,]|\.\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A number grouped by thousands ("1 000 000", "1.250.000"), two years ("2019-2023", "1990 2000"), a date
#: written with dots or slashes ("24.12.2025", "12/24/2025", "12.03.-14.03.2026") or a range of times written with
#: dots ("9.00-17.00", "14.30 - 18.30"): a page's opening hours or its "updated" line is no phone number.
_NOT_PHONE = re.compile(
    r"\d{1,3}(?:[ .]\d{3})+|(?:19|20)\d\d\s*[-/ ]\s*(?:19|20)?\d\d"
    r"|\d{1,2}([./])\d{1,2}\1(?:19|20)\d\d|\d{1,2}\.\d{1,2}\.?\s*-\s*\d{1,2}\.\d{1,2}\.(?:19|20)\d\d"
    r"|\d{1,2}\.\d{2}\s*-\s*\d{1,2}\.\d{2}")
_STREET = re.compile(
    # "221B Baker Street", "10 Downing St", "1600 Pennsylvania Avenue"
    # (not a year after "since", "in", "by"...: "Since 2019 New York Court rulings ...")
    r"(?<!(?i:since) )(?<!(?i:in) )(?<!(?i:by) )(?<!(?i:until) )(?<!(?i:from) )(?<!(?i:before) )(?<!(?i:after) )"
    r"\b\d{1,5}[A-Za-z]?,?(?:\s+[A-Z][\w'.-]*){1,3}\s+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Place|Pl"
    r"|Square|Sq|Boulevard|Blvd|Court|Ct|Terrace|Close|Crescent|Parade|Row|Highway|Hwy)\b"
    # "12 rue de la Paix"
    r"|\b\d{1,4},?\s+(?i:rue|avenue|boulevard|place|chemin|quai|impasse|calle|avenida|plaza|via|viale|piazza)\s+\w"
)
#: "Via Roma 5", "Calle Mayor 3": the street's word first, its number after its name.
_NAMED_FIRST = re.compile(r"\b(?:Rue|Via|Calle|Avenida|Piazza|Viale|Plaza)\s+[\w' \u00c0-\u017f-]{2,40}?,?\s+\d{1,4}\b")
_NAMED_FIRST_WORDS = ("Rue ", "Via ", "Calle ", "Avenida ", "Piazza ", "Viale ", "Plaza ")
#: A house number after a space ("Bergstraße 7", "Am Markt 3a", "Hauptstr. 12"), whose street is the word before it.
_HOUSE_NUMBER = re.compile(r"(?<=\S)\s+\d{1,4}[a-z]?\b")
_STREET_ENDINGS = ("stra\u00dfe", "strasse", "str.", "weg", "platz", "gasse", "allee", "damm", "ufer", "markt", "gracht",
                   "laan", "straat", "gata", "gatan", "vej")


def _street(text: str) -> bool:
    """Whether ``text`` names a street and its number (``_STREET``, ``_NAMED_FIRST``, or a word ending as a
    street's name does before a house number: found by the number, as a regular expression for the endings
    tried them at every letter)."""
    if _STREET.search(text):
        return True
    if any(w in text for w in _NAMED_FIRST_WORDS) and _NAMED_FIRST.search(text):
        return True
    return any(text[:m.start()].rsplit(None, 1)[-1].lower().endswith(_STREET_ENDINGS)
               for m in _HOUSE_NUMBER.finditer(text))


#: A postcode of five digits, or of four that is no year, before its town ("10115 Berlin", "1010 Wien"); it
#: counts opening the line or after a comma or a separator (``_postcode``: not "10000 Ukrainians fled").
# The town closes its part of the line ("10115 Berlin", "10115 Berlin, Germany", "80331 München · Tel ..."),
# where a count before a name goes on as a sentence ("1500 Students attended", "4000 Leipzig fans came").
_POSTCODE = re.compile(
    r"\b(?:\d{5}|(?!(?:1[89]|20)\d\d\b)\d{4})\s+[A-Z\u00c0-\u00dd][a-z\u00df-\u00ff][\w\u00c0-\u017f-]*"
    r"(?:[ -][A-Z\u00c0-\u00dd][\w\u00c0-\u017f.-]*){0,2}[ \t]*(?=$|[,;\u00b7|()\n/]|\s[-\u2013]\s)", re.MULTILINE)
#: British ("EC1A 1BB", "M1 1AE") and US ("CA 94107", "NY 10001-1234") postcodes.
_POSTCODE_UK_US = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
_PO_BOX = re.compile(r"\bp\.?\s?o\.?\s+box\s+\d", re.IGNORECASE)


def _postcode(text: str) -> bool:
    """Whether ``text`` holds a postcode (``_POSTCODE`` where it opens the line or follows a comma or a
    separator, "Bergstraße 7 · 10115 Berlin"; ``_POSTCODE_UK_US``) or a P.O. box."""
    for m in _POSTCODE.finditer(text):
        before = text[:m.start()].rstrip(" \t")
        if not before or before.endswith((",", "\u00b7", "|", "\n", " -", " \u2013")):
            return True
    return _POSTCODE_UK_US.search(text) is not None or ("box" in text.lower() and _PO_BOX.search(text) is not None)


#: Opening hours: a weekday (or "daily") and a range of hours after it ("Mon-Fri 10-22", "Sat & Sun 9-22",
#: "Mo-Fr 10-22 Uhr"), or a range of times of the day ("10:00-22:00", "9am to 5pm", "10-18 Uhr").
_HOURS = re.compile(
    r"(?i:\b(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?|daily|weekdays?|weekends?"
    r"|(?:mo|di|mi|do|fr|sa|so)\s*[-\u2013]\s*(?:mo|di|mi|do|fr|sa|so))\b[^.!?]{0,40}?\b\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"\s*(?:[-\u2013\u2014]|to|until|till)\s*\d{1,2}(?:[:.]\d{2})?\b)"
    r"|\b\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:[-\u2013\u2014]|to|until|till)\s*\d{1,2}(?:[:.]\d{2})?\s*(?i:[ap]\.?m\b|h\b|uhr\b)"
    r"|\b\d{1,2}[:.]\d{2}\s*(?:[-\u2013\u2014]|to|until|till)\s*\d{1,2}[:.]\d{2}\b"
)


#: A range of numbers, which every line of opening hours holds: looked for first, as it is quick to find.
_RANGE = re.compile(r"\d\s*(?:[ap]\.?m\.?)?\s*(?:[-\u2013\u2014]|to\b|until\b|till\b)\s*\d")
_ALL = frozenset({ADDRESS, EMAIL, PHONE, HOURS})


def held(text: str, kinds: frozenset[str] = _ALL) -> frozenset[str]:
    """The kinds of contact fact, of ``kinds``, that ``text`` holds (see the module doc). Only the kinds asked
    for are looked for: a question's ~60 candidate sentences cost ~1 ms for all four."""
    found = set()
    if EMAIL in kinds and "@" in text and _EMAIL.search(text):
        found.add(EMAIL)
    if not any(ch.isdigit() for ch in text):
        return frozenset(found)
    if PHONE in kinds and any(_phone_at(text, m) for m in _PHONE.finditer(text)):
        found.add(PHONE)
    if ADDRESS in kinds and (_street(text) or _postcode(text)):
        found.add(ADDRESS)
    if HOURS in kinds and _RANGE.search(text) and _HOURS.search(text):
        found.add(HOURS)
    return frozenset(found)


#: A label that says a long number is a record's, not a phone's: "Company no. 01234567", "ISBN 978-3-16-...".
_RECORD_LABEL = re.compile(
    r"\b(?:company|registration|reg|vat|tax|isbn|issn|iban|account|order|invoice|ticket|case|reference|ref|serial"
    r"|member(?:ship)?|id)\W*(?:no\b|number\b|nr\b|#)?\W*$", re.IGNORECASE)


def _phone_at(text: str, match: re.Match[str]) -> bool:
    """Whether ``match`` (``_PHONE``) in ``text`` is a phone number: not a record's number by its label."""
    return _phone(match.group()) and not _RECORD_LABEL.search(text[max(0, match.start() - 30):match.start()])


def _phone(run: str) -> bool:
    """Whether a run of digits and separators is a phone number: seven digits or more (up to fifteen, the
    longest an international number has), not a date, a range of years or a number grouped by thousands."""
    run = run.strip(" ()./-")
    digits = sum(ch.isdigit() for ch in run)
    return 7 <= digits <= 15 and not _ISO_DATE.fullmatch(run) and not _NOT_PHONE.fullmatch(run)
