"""A question about something no document mentions is refused, however on-topic it sounds.

"Is there an official Orbit subreddit?" over a community's notes is close in meaning to them and
shares "Orbit" with them; only a reader's check tells it apart from an answerable question: no
note says "subreddit". ``evidence.absent_words`` is that check; abbreviations, acronyms and typos
of words the passage spells out are not charged (``embeddings.variants``).
"""

from __future__ import annotations

import dataclasses

import pytest

from embeddings import Engine
from embeddings.evidence import COMMON_RARITY, DEFAULT_PARAMS, absent_words, best_sentence, rarity
from embeddings.variants import held_as_variant, is_acronym, one_edit_apart

from .conftest import SEEDS, indexed_engine, indexed_notes
from .doc_fixtures import make_docx, make_lines_pdf

NOTE = """# Orbit community

Orbit is an open-source photo library that you run on your own server.
The Discord server is the official place to ask questions about Orbit, and the moderators answer within a day.
New releases are announced in the #announcements channel.
The Berlin meetup takes place at c-base on 14 June; space is limited to 60 guests.
"""


@pytest.fixture(scope="module")
def one_note(tmp_path_factory, session_index):
    """One community note, indexed as `make run` would (the session's ONNX export linked in)."""
    return indexed_notes(tmp_path_factory.mktemp("one-note"), {"community.md": NOTE}, session_index)


def _absent(engine: Engine, question: str) -> float:
    passage, _ = best_sentence(engine.passages(question)[0])
    return passage.absent


@pytest.fixture(scope="module")
def seeds_only(tmp_path_factory, session_index):
    """seeds/ alone (one news article), as `make run` indexes it."""
    return indexed_engine(tmp_path_factory.mktemp("seeds-absent"), SEEDS, session_index)


REFUSED = "How many Ukrainian refugees have fled to Poland?"  # on the article's topic; it never says "refugees"


def test_a_question_about_words_the_document_lacks_is_refused_and_paraphrases_answered(seeds_only):
    assert _absent(seeds_only, REFUSED) > 0
    assert not seeds_only.ask(REFUSED).answered
    # Paraphrases of what the article does say, in words of their own: common words are not charged.
    for question, phrase in [("Which country was the go-between in the peace talks?", "mediated in large part by Turkey"),
                             ("What does Kyiv want before negotiating again?", "complete withdrawal of Russian troops")]:
        assert _absent(seeds_only, question) == 0, question
        ans = seeds_only.ask(question)
        assert ans.answered, question
        assert any(phrase in e.text for e in ans.excerpts), [e.text for e in ans.excerpts]


def test_without_the_absent_words_the_on_topic_question_would_be_answered(seeds_only):
    """What the feature is for: the rest of the model reads the refugee question as on-topic."""
    blind = Engine(seeds_only.settings, evidence_params=dataclasses.replace(DEFAULT_PARAMS, a_absent=0.0)).load()
    assert blind.ask(REFUSED).answered


def test_abbreviations_and_typos_of_a_notes_words_are_not_charged(one_note):
    assert _absent(one_note, "Is there an official Orbit subreddit?") > 0
    assert _absent(one_note, "How fast do the mods answer?") == 0  # "mods": "moderators"
    assert _absent(one_note, "Who answers qeustions on the Discord server?") == 0  # a typo of "questions"


def test_typos_and_chat_shorthand_do_not_refuse_an_answerable_question(one_note):
    """People type fast in a Discord channel: a mistyped question word ("waht", "hw"), a filler ("pls"),
    a misspelt word whose stem is further from the note's than the word is ("moderaters": "moderat" vs
    "moder"), or two letters swapped in a short word ("fsat") is no word "the documents lack"."""
    for question in ("waht channel announces new releases?", "hw fast do the moderators answer pls",
                     "How fast do the moderaters answer?", "how fsat do the moderators answer?",
                     "WAHT CHANNEL ANNOUNCES NEW RELEASES?"):  # in capitals, every word is not a name
        assert _absent(one_note, question) == 0, question
        assert one_note.ask(question).answered, question
    # A word the note lacks is still charged beside them.
    assert _absent(one_note, "waht is the Orbit subreddit pls") == pytest.approx(rarity("subreddit") - COMMON_RARITY)
    # Real words a letter from a stop word are not typos: "bots" is not "both", "THC" not "the", "broth"
    # not "both" (read as such, the questions were answered with any sentence of the note).
    for question in ("Are bots allowed on the Discord server?", "Is THC allowed at the Berlin meetup?",
                     "Is there broth at the Berlin meetup?", "Is Ito coming to the Berlin meetup?",
                     "Is there a trough at the Berlin meetup?"):  # "Ito" a name, not "into"; "trough" not "through"
        assert _absent(one_note, question) > 0, question


@pytest.mark.parametrize("question", [
    "whos answering questions on the discord server?",  # "who's" typed without its apostrophe
    "yo where is the berlin meetup",  # a greeting (Zipf 4.5: uncommon enough to be charged)
    "cant find where new releases are announced",  # "can't"
    "wats the official place to ask questions about orbit",  # "what's", a letter dropped and no apostrophe
    "im new, where are releases announced?",  # "I'm"
])
def test_chat_words_are_not_what_a_question_is_about(one_note, question):
    """A question typed as Discord chat writes it: "whos on the moderation team?" was refused at P 0.0
    where "who is on the moderation team" was answered at 0.999, as "whos" (Zipf 3.1) is a word no
    document holds. A contraction without its apostrophe, a greeting or a mistyped "what's" asks nothing."""
    assert _absent(one_note, question) == 0, question
    assert one_note.ask(question).answered, question


def test_a_word_one_apostrophe_from_a_contraction_may_be_a_word_of_its_own(one_note):
    """"shed", "hell" and "wed" are "she'd", "he'll" and "we'd" typed bare, but words of their own, written
    as often as the contraction or more: a note that never says "shed" does not answer a question about one."""
    for question in ("Is there a bike shed at the Berlin meetup?", "Is the Berlin meetup on a wed?"):
        assert _absent(one_note, question) > 0, question


def test_over_one_short_note_an_on_topic_question_about_an_absent_word_is_refused(one_note):
    assert not one_note.ask("Is there an official Orbit subreddit?").answered


def test_a_word_naming_the_kind_of_answer_is_not_charged_when_absent(one_note):
    """"What is the capacity of the Berlin meetup?" is answered by "space is limited to 60 guests", not by
    the word "capacity", which the note never writes: the word names the kind of answer asked for, not
    its topic. A word the question is *about* is still charged beside it."""
    question = "What is the capacity of the Berlin meetup?"
    assert _absent(one_note, question) == 0
    ans = one_note.ask(question)
    assert ans.answered
    assert any("limited to 60 guests" in e.text for e in ans.excerpts), [e.text for e in ans.excerpts]
    assert _absent(one_note, "What's the deadline for the Orbit hackathon?") == pytest.approx(
        rarity("hackathon") - COMMON_RARITY)


def test_a_rare_form_of_a_common_word_is_as_common_as_the_word(one_note):
    """"handing" is rare as a form (Zipf 3.8) but a form of "hand" (5.5), which a paraphrase swaps as
    freely as any common word: its absence from the note is not charged, a rare word's still is."""
    assert rarity("handing") > COMMON_RARITY >= rarity("hand")
    assert _absent(one_note, "Is the Orbit release handing out photos?") == 0
    assert _absent(one_note, "Is the Orbit release handing out subreddits?") > 0


def test_only_uncommon_words_count_and_by_how_rare_they_are():
    unheld = {"subreddit": rarity("subreddit"), "helm": rarity("helm")}
    assert absent_words(unheld, set(), []) == pytest.approx(sum(w - COMMON_RARITY for w in unheld.values()))
    assert absent_words({"subreddit": rarity("subreddit")}, set(), []) > absent_words({"helm": rarity("helm")}, set(), [])
    assert rarity("long") <= COMMON_RARITY  # "How long until someone replies?": common words are never charged


@pytest.mark.parametrize(
    ("term", "terms", "tokens", "held"),
    [
        ("mod", {"moder", "answer"}, [], True),  # the start of a longer word
        ("recogntion", {"recognition"}, [], True),  # one letter dropped
        ("recieve", {"receive"}, [], True),  # two neighbours swapped
        ("pr", set(), ["open", "a", "pull", "request", "first"], True),  # initials
        ("cla", set(), ["sign", "the", "contributor", "license", "agreement"], True),
        ("subreddit", {"discord", "server"}, ["the", "discord", "server"], False),
        ("port", {"post"}, [], False),  # one edit apart, but too short to call a typo
        ("helm", set(), ["help", "each", "new", "member"], False),
        ("wifi", {"wi", "fi"}, ["free", "wi", "fi", "is", "available"], True),  # a hyphenated word typed as one
        ("cowork", {"co", "work"}, ["the", "co", "working", "space"], True),  # ... and stemmed
        ("creme", {"crème", "brûlée"}, ["crème", "brûlée"], True),  # typed without its accents
        ("brule", {"crème", "brûlée"}, ["crème", "brûlée"], True),  # its stem; the accented word stays unstemmed
        ("café", {"cafe"}, ["the", "cafe"], True),  # or with them
        ("into", set(), ["in", "to"], False),  # too short to join
        ("teapot", {"tea", "pot"}, ["a", "tea", "and", "a", "pot"], False),  # not neighbours
    ],
)
def test_held_as_variant(term, terms, tokens, held):
    assert held_as_variant(term, terms, tokens) is held


@pytest.mark.parametrize(
    ("term", "word", "tokens", "held"),
    [
        ("coordinat", "coordinater", ["the", "coordinator", "is", "rhiannon"], True),  # the stems differ by two
        ("lnog", "lnog", ["shifts", "last", "long"], True),  # a non-word with two letters swapped
        ("form", "form", ["from", "the", "office"], False),  # a word of its own, not a typo of "from"
        ("sorting", "sorting", ["sorted", "by", "date"], False),  # two edits from "sorted"
        ("cake", "cakes", ["it", "takes", "an", "hour"], False),  # a word of its own, one letter from "takes"
        ("buisness", "buisness", ["the", "business", "office"], True),  # a misspelling the web has (Zipf 2.4)
    ],
)
def test_a_typo_is_read_against_the_words_as_written(term, word, tokens, held):
    assert held_as_variant(term, set(), tokens, word) is held


def test_a_word_english_knows_is_no_typo_of_a_notes_word():
    """"cannon" is one letter from "canon", but it is a word of its own (Zipf 4.0), as "trough" is no
    "through": a note about a saga's canon does not hold it, and its absence is charged. A word no
    dictionary knows ("recogntion") is still read as the note's word mistyped, stemmed or as typed."""
    assert not held_as_variant("cannon", {"canon", "saga"}, ["canon", "saga"], "cannon")
    assert held_as_variant("cannon", {"canon", "saga"}, ["canon", "saga"])  # how it was typed unknown: maybe a typo
    assert held_as_variant("recognt", {"recognit"}, ["recognition"], "recogntion")


def test_one_edit_apart_and_acronyms():
    assert one_edit_apart("grant", "grants") and one_edit_apart("grants", "grant")
    assert one_edit_apart("travel", "trevel") and not one_edit_apart("travel", "travel")
    assert not one_edit_apart("travel", "trivial")
    assert is_acronym("pr", ["a", "pull", "request"]) and not is_acronym("pr", ["pull", "the", "request"])


SPELLED_OUT = """Free Wi-Fi is available in all branches; the network name is GPL-Guest and no password is needed.

A desk in the co-working space costs 150 euros per month.

Our crème brûlée costs 7.50 euros and contains eggs and milk.
"""


@pytest.fixture(scope="module")
def spelled_out(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("spelled"), {"branches.md": SPELLED_OUT}, session_index)


@pytest.mark.parametrize(("question", "phrase"), [
    ("is there free wifi", "Free Wi-Fi is available"),
    ("how much is a coworking desk", "150 euros per month"),
    ("how much is the creme brulee", "7.50 euros"),
])
def test_a_word_typed_as_chat_writes_it_is_not_charged_as_absent(spelled_out, question, phrase):
    """"wifi", "coworking" and "creme brulee" are how people type "Wi-Fi", "co-working" and "crème brûlée";
    charged as words no document holds, they were refused ("The documents don't seem to cover this")."""
    answer = spelled_out.ask(question)
    assert answer.answered and phrase in answer.excerpts[0].text, (answer.message, answer.excerpts)


BISTRO_PAGE = """<html><head><title>Le Petit Bistro \u2013 Menu</title></head><body><main><h1>Our menu</h1>
<p>Our cr\u00e8me br\u00fbl\u00e9e is made with Madagascar vanilla and costs 7.50 euros.</p>
<p>We are closed on Mondays; on Sundays we serve lunch only, from 12:00 to 15:00.</p></main></body></html>"""


SETTER_HEADER = "Kestrel Climbing Co-op - Route Setter Handbook"
SETTER_PAGES = [
    ["Route Setter Handbook", "This handbook is for the volunteers who set boulder problems on Tuesdays.",
     "Tools", "Use the impact drivers only with the 6 mm hex bit."],
    ["Safety", "Nobody climbs in a sector while it is being set.", "Helmets are mandatory on the mats during setting."],
    ["Washing holds", "Wash the old holds in the big sink, never in the dishwasher."],
]


@pytest.fixture(scope="module")
def named_outside_the_text(tmp_path_factory, session_index):
    """A web page named in its <title> only ("Le Petit Bistro"), a Word file and a PDF in their page
    header only."""
    base = tmp_path_factory.mktemp("named-outside")
    (base / "docs").mkdir()
    (base / "docs" / "bistro-menu.html").write_text(BISTRO_PAGE)
    (base / "docs" / "handbook.docx").write_bytes(make_docx(title=None, header="Kingsmoor Rowing Club\tPage 1"))
    (base / "docs" / "setters.pdf").write_bytes(make_lines_pdf(SETTER_PAGES, header=SETTER_HEADER))
    return indexed_engine(base, base / "docs", session_index)


def test_a_word_in_a_pages_title_or_a_files_header_is_the_documents(named_outside_the_text):
    """"Is the bistro open on Mondays?" was refused as not covered: "bistro" is only in the page's <title>,
    which the page's <h1> ("Our menu") titled instead, so no document held it; so was a question naming
    the club in a Word file's page header, never read, and one naming the co-op in a PDF's running header,
    dropped from its text as page furniture. The name is added to the title (and so embedded with every
    chunk): its words are the document's."""
    engine = named_outside_the_text
    titles = {s.doc_id: s.title for s in engine.sources()}
    assert titles == {"bistro-menu.html": "Our menu | Le Petit Bistro",
                      "handbook.docx": "Volunteer handbook | Kingsmoor Rowing Club",  # no page number
                      "setters.pdf": SETTER_HEADER}
    for question, doc, phrase in (("Is the bistro open on Mondays?", "bistro-menu.html", "closed on Mondays"),
                                  ("Where does the first Kingsmoor volunteer of the day collect the boathouse key?",
                                   "handbook.docx", "collects the boathouse key from the harbour office"),
                                  ("Can Kestrel setters wash the holds in the dishwasher?", "setters.pdf",
                                   "never in the dishwasher")):
        assert _absent(engine, question) == 0, question
        answer = engine.ask(question)
        assert answer.answered and answer.excerpts[0].doc_id == doc, (question, answer.message)
        assert phrase in answer.excerpts[0].text
        assert all(engine.source(e.doc_id).text[e.start:e.end] == e.text for e in answer.excerpts)
    assert not engine.ask("Does the bistro have a vegan menu?").answered


def test_a_name_the_stemmer_cuts_to_a_common_word_is_looked_for_as_written(tmp_path_factory, session_index):
    """"Feedly" stems to "feed", which notes about a feed reader hold everywhere: the vocabulary (stems) said
    the word was there, and "how do I import from Feedly?" was answered with the OPML import. The name is
    looked for as written."""
    notes = {"faq.md": "# Feeds FAQ\n\nYou can import your feeds with OPML import and export, so you can move your "
                       "subscriptions from another reader.\nEvery feed is refreshed once an hour.\n"}
    engine = indexed_notes(tmp_path_factory.mktemp("renamed"), notes, session_index)
    assert _absent(engine, "how do I import from Feedly") == pytest.approx(rarity("feedly") - COMMON_RARITY)
    assert not engine.ask("how do I import from Feedly").answered
    assert _absent(engine, "how do I import my feeds") == 0
    assert engine.ask("how do I import my feeds from another reader").answered
    named = indexed_notes(tmp_path_factory.mktemp("renamed-held"),
                          {"faq.md": notes["faq.md"] + "Feedly users can export an OPML file from Feedly's settings.\n"},
                          session_index)
    assert _absent(named, "how do I import from Feedly") == 0
