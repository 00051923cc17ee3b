"""A question's words in the form the documents use (``embeddings.spelling``).

"Who is organizing the meetup?" over a note saying "organised by Felix Brandt", "Who leads support?"
over "the support team led by Priya Raman": the stemmer keeps those forms apart, a reader does not.
The question is read in the corpus's forms before BM25, sentence coverage and the absent words see it.
"""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.evidence import Query, best_sentence
from embeddings.lexical import stems
from embeddings.spelling import as_meant, corpus_forms, other_forms, respellings

from .conftest import indexed_notes

NOTES = {
    "events.md": """# Events

## Berlin meetup

The first in-person Orbit meetup takes place on 14 June at c-base in Berlin. Doors open at 10:00.
Lunch is provided for everyone who registers. The meetup is organised by Felix Brandt.

## Community calls

Community calls happen on the first Thursday of every month and are recorded.
""",
    "faq.md": """# FAQ

## Support

Volunteers answer most questions, together with the support team led by Priya Raman.
We aim to reply to every question within 48 hours.

## Licensing

Orbit does not require a contributor license agreement, but every commit must be signed off.
""",
    "onboarding.md": """# Onboarding

Mentors are experienced members who answer questions and help you make a first contribution.
Say hello in the welcome channel and pick a role that suits you.
""",
}


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("spelling"), NOTES, session_index)


@pytest.mark.parametrize(
    ("word", "other"),
    [("organizing", "organising"), ("organised", "organized"), ("color", "colour"), ("behaviour", "behavior"),
     ("center", "centre"), ("analyze", "analyse"), ("license", "licence"), ("catalog", "catalogue")],
)
def test_british_and_american_spellings(word, other):
    assert other in respellings(word)
    assert word in respellings(other)


@pytest.mark.parametrize("word", ["hour", "tour", "four", "genre", "acre", "door", "meetup"])
def test_words_that_only_look_like_a_pair_have_no_other_spelling(word):
    """"genre" is not "gener" (general's stem), "hour" not "hor": such a rule would match other words."""
    assert respellings(word) == []


def test_irregular_past_forms():
    assert "led" in other_forms("leads") and "led" in other_forms("leading") and "lead" in other_forms("led")
    assert other_forms("fed") == []  # "the Fed": a form that is also a name is left out


def test_a_word_is_respelled_only_into_a_form_the_corpus_holds():
    words = ["organizing", "meetup"]
    corpus = {"organis", "meetup"}

    def held(terms):
        return set(terms) & corpus

    assert corpus_forms(words, stems(words), held, stems) == (["organis", "meetup"], {}, [])
    # Both spellings in the corpus: the question's own stays, the other is searched as an alias.
    both = corpus | {"organiz"}
    assert corpus_forms(words, stems(words), lambda t: set(t) & both, stems) == (
        ["organiz", "meetup"], {"organis": "organiz"}, ["organis"])
    # A spelling no document uses changes nothing; nor does a backend that cannot tell (Milvus: None).
    assert corpus_forms(words, stems(words), lambda t: set(t) & {"meetup"}, stems) == (stems(words), {}, [])
    assert corpus_forms(words, stems(words), lambda t: None, stems) == (stems(words), {}, [])


def test_an_irregular_form_is_counted_but_not_searched():
    """"struck" is "strike" for a reader of the retrieved passage, but BM25 searching "strike" over a
    news archive finds labour strikes."""
    words = ["leads", "support"]
    forms = corpus_forms(words, stems(words), lambda t: set(t) & {"lead", "led", "support"}, stems)
    assert forms == (["lead", "support"], {"led": "lead"}, [])
    q = Query.make("Who leads support?", np.zeros(3), held=lambda t: set(t) & {"lead", "led", "support"})
    assert q.aliases == {"led": "lead"} and "led" not in q.terms


def test_a_days_short_name_in_a_timetable_is_the_day_asked_about():
    """"wen do u open on saturday" over "Sat, Sun & public holidays 9-22": the line that answers held none
    of the question's words, and lost to "Tuesdays we open at 12:00"; like an irregular form, "sat" is
    read in the retrieved passages but not searched (it is a verb in a news archive)."""
    assert "sat" in other_forms("saturday") and "sat" in other_forms("saturdays") and "sept" in other_forms("september")
    # A corpus that never writes the day out: the question is read in its words.
    q = Query.make("wen do u open on saturday", np.zeros(3), held=lambda t: set(t) & {"sat", "sun", "open"})
    assert "sat" in q.terms and "saturday" not in q.terms
    # One that writes both (news): the short name counts where it is read, and is not searched.
    q = Query.make("wen do u open on saturday", np.zeros(3), held=lambda t: set(t) & {"sat", "saturday", "open"})
    assert q.aliases == {"sat": "saturday"} and "sat" not in q.terms
    assert other_forms("sat") == []  # a question's "sat" is the verb


def test_an_abbreviation_the_corpus_spells_out_is_read_as_its_word():
    """"where is the defib" over "The defibrillator (AED) hangs in the corridor": BM25 and coverage did not
    count "defib", and the question was refused at P 0.0. A word the corpus lacks that begins exactly one
    longer corpus word is read as it; not a common word ("mode" is no "moderator"), not one that begins
    several ("temp"), not one the corpus holds itself."""
    from embeddings.spelling import spelt_out

    vocabulary = ["corridor", "defibril", "moder", "tempera", "templat", "config", "configur"]

    def held(terms):
        return set(terms) & set(vocabulary)

    def extends(prefix, limit):
        return [t for t in vocabulary if t.startswith(prefix) and t != prefix][:limit]

    words = ["defib", "mode", "temp", "config", "corridor"]
    assert spelt_out(words, stems(words), held, extends) == ["defibril", "mode", "temp", "config", "corridor"]
    assert spelt_out(words, stems(words), held, None) == stems(words)  # a backend that cannot tell
    q = Query.make("where is the defib?", np.zeros(3), held=held, extends=extends)
    assert q.terms == ["defibril"]


def test_american_spelling_finds_the_british_sentence(notes):
    question = "Who is organizing the Berlin meetup?"
    q = Query.make(question, notes.embed_query(question), held=notes.generation.corpus_terms)
    assert "organis" in q.terms and "organiz" not in q.terms
    ans = notes.ask(question)
    assert ans.answered
    assert any("organised by Felix Brandt" in e.text for e in ans.excerpts), [e.text for e in ans.excerpts]
    # Without reading it in the corpus's spelling, the sentence holds none of the question's rarer words.
    best, i = best_sentence(notes.passages(question)[0])
    assert best.absent == 0


def test_an_irregular_past_form_covers_the_question_word(notes):
    """"Who leads support?": the sentence naming the lead says "led"; it covers both words of the question."""
    passages, texts = notes.passages("Who leads support?")
    best, i = best_sentence(passages)
    a, b = best.spans[i][:2]
    assert "led by Priya Raman" in texts[best.doc][a:b]
    assert best.coverage[i] == pytest.approx(1.0)


def test_an_acronym_spelt_out_in_another_passage_is_not_an_absent_word(notes):
    """"CLA" is spelt out in the FAQ; the question's best-scoring sentence may sit in another note, but a
    word some document holds is not "in no document", so no passage is charged for it."""
    passages, _ = notes.passages("do i have to sign a CLA before contributing")
    assert all(p.absent == 0 for p in passages)
    passages, _ = notes.passages("Is there an official Orbit subreddit?")
    assert all(p.absent > 0 for p in passages)
    assert not notes.ask("Is there an official Orbit subreddit?").answered


def test_a_question_is_read_as_its_writer_meant_it():
    """Chat shorthand, mistyped function words and swapped letters, read only where the corpus lacks
    the word as typed."""
    def held_except(*missing):
        return lambda found: {s for s in found if s not in stems(list(missing))}

    lacks = held_except("ppl", "pls", "waht", "hw", "lnog", "doe")
    assert as_meant(["waht", "ppl", "come", "pls"], lacks, stems) == ["people", "come"]
    assert as_meant(["hw", "lnog", "shift"], lacks, stems) == ["long", "shift"]
    assert as_meant(["doe", "shift"], lacks, stems) == ["doe", "shift"]  # a word of its own (Zipf 3.8)
    assert as_meant(["aws", "bots", "hoa"], held_except("aws", "bots", "hoa"), stems, capitals=["aws"]) == [
        "aws", "bots", "hoa"]  # an acronym ("AWS", not "was" mistyped), a letter changed ("both", "how")
    assert as_meant(["ppl", "pls"], held_except(), stems) == ["ppl", "pls"]  # the corpus uses them as written
    assert as_meant(["waht", "ppl"], None, stems) == ["waht", "ppl"]  # the backend cannot tell
    # Contractions typed without their apostrophe, greetings, and "whats" with a letter dropped.
    chat = ["whos", "cant", "im", "yo", "wats", "shed", "moderation"]
    assert as_meant(chat, held_except(*chat), stems) == ["shed", "moderation"]
    # Any stop word with two neighbouring letters swapped ("their", "because"); not a word of its own.
    typed = ["thier", "becuase", "form", "aws", "moderators"]  # "AWS" lower-cased is no "was" (Zipf 3.2)
    assert as_meant(typed, held_except(*typed), stems) == ["form", "aws", "moderators"]


def test_bare_contractions_are_the_rule_applied_to_every_stop_word():
    """``spelling._BARE_CONTRACTIONS`` is written out so that a question need not load wordfreq (0.3 s);
    this is the rule it was derived with: a stop word and a clitic run together, whose form with the
    apostrophe wordfreq finds at least ten times as often (and at Zipf 3 or more)."""
    from wordfreq import zipf_frequency

    from embeddings.lexical import stop_words
    from embeddings.spelling import _BARE_CONTRACTIONS

    derived = set()
    for base in stop_words():
        for clitic in ("s", "t", "m", "ve", "re", "ll", "d"):
            bare, restored = base + clitic, f"{base}'{clitic}"
            if "'" not in base and zipf_frequency(restored, "en") >= max(3.0, zipf_frequency(bare, "en") + 1.0):
                derived.add(bare)
    assert derived == _BARE_CONTRACTIONS
