"""An acronym and the phrase it stands for find each other, whichever of the two a question uses.

"u need a cla?" over a CONTRIBUTING note saying "We do not require a Contributor License Agreement." was
refused: no document holds "cla", BM25 found nothing and the abstention charged the word. Minutes that
write "the AGM" did not answer "when is the annual general meeting?". ``embeddings.acronyms`` reads
both, from a table of the documents' phrases and acronyms collected when the index is written.
"""

from __future__ import annotations

import pytest

from embeddings import Engine, acronyms
from embeddings.acronyms import AcronymTable, collect

from .conftest import indexed_notes
from .milvus_fixtures import require_milvus

CONTRIBUTING = """# Contributing to Quillpad

Thanks for helping with Quillpad, the note-taking app for the terminal.

## Pull requests

Every pull request needs one approving review from a maintainer before it is merged.
We squash-merge, so the pull request title becomes the commit message.

## Legal

We use the Developer Certificate of Origin (DCO). Sign off every commit with `git commit -s`.
We do not require a Contributor License Agreement.
Questions about licensing go to Priya Raman, who keeps the project's legal notes.
"""

MINUTES = """# Board minutes, 3 February

Present: Ines, Tomasz, Wen.

1. The AGM will be held on 14 March at 19:00 in the back room of the Linden café.
2. Members must renew their membership before the AGM to be allowed to vote.
3. The Cultural Arts Trust (CAT) grant of 2,000 euros pays for the new shelves.
4. The bake sale raised 340 euros.
"""

EVENTS = """# Club events

The monthly members' meeting is on the first Tuesday of every month at 19:30 in room 2.
The general cleaning day is on 2 May; bring gloves.
Our annual summer party takes place on 21 June in the garden.
"""


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    """A project's CONTRIBUTING note and a club's minutes and events, indexed as `make run` would."""
    return indexed_notes(tmp_path_factory.mktemp("acronyms"),
                         {"CONTRIBUTING.md": CONTRIBUTING, "minutes.md": MINUTES, "events.md": EVENTS}, session_index)


def _quotes(engine, question: str) -> list[str]:
    answer = engine.ask(question)
    return [e.text for e in answer.excerpts] if answer.answered else []


@pytest.mark.parametrize("question", ["u need a cla?", "do i need to sign a CLA"])
def test_an_acronym_the_documents_spell_out_is_answered_by_their_phrase(notes, question):
    quotes = _quotes(notes, question)
    assert quotes and "Contributor License Agreement" in quotes[0], (question, quotes)


@pytest.mark.parametrize("question", ["when is the annual general meeting?", "what time does the annual general meeting start"])
def test_a_phrase_the_documents_abbreviate_is_answered_by_their_acronym(notes, question):
    """The events' "monthly members' meeting" and "annual summer party" share more words with the question;
    the minutes' "AGM" is what it asks about."""
    quotes = _quotes(notes, question)
    assert quotes and "14 March" in quotes[0], (question, quotes)


def test_the_table_is_collected_when_the_index_is_written_and_kept_with_the_generation(notes):
    gen = notes.generation
    record = gen.read_derived(acronyms.STORED_AS)
    assert record is not None and record["version"] == acronyms.VERSION
    table = notes.acronym_table(gen)
    assert table is not None
    assert table.phrase_for("cla", capitals=False) == "Contributor License Agreement"
    assert table.phrase_for("dco", capitals=True) == "Developer Certificate of Origin"
    assert "agm" in table.written


def test_the_phrases_come_from_capitals_and_definitions():
    record = collect([CONTRIBUTING, MINUTES, "the annual general meeting (AGM) elects the board"])
    phrases = {a: [p[0] for p in found] for a, found in record["phrases"].items()}
    assert phrases["cla"] == ["Contributor License Agreement"]
    assert phrases["dco"] == ["Developer Certificate of Origin"]  # the initials of its content words
    assert phrases["agm"] == ["annual general meeting"]  # defined in brackets, in lower case
    assert record["written"]["dco"] == 1 and record["written"]["agm"] == 3
    assert "quillpad" not in record["written"]


def _all_held(terms):
    return set(terms) - {"cla", "coc", "art", "cat", "pr", "tc", "ppl"}


def test_a_real_word_is_no_acronym():
    """"art" and "cat" are words of their own, whatever the documents capitalise."""
    table = AcronymTable(collect(["The Annual Report Team (ART) meets monthly.", MINUTES]))
    assert table.reading("is there an art class?", _all_held).text == "is there an art class?"
    assert table.reading("can i bring my cat?", _all_held).text == "can i bring my cat?"
    # Chat shorthand is read as its word ("ppl": people), not as a note's "Public Parking Lot".
    table = AcronymTable(collect(["Park in the Public Parking Lot behind the hall."]))
    assert table.reading("where do ppl park?", _all_held).text == "where do ppl park?"
    assert table.reading("where is the PPL?", _all_held).text == "where is the Public Parking Lot?"


def test_a_name_written_with_letters_beyond_ascii_is_one_word():
    """"Gdańsk" is no "Gda" and "sk": news2022's "Giorgian de Arrascaeta" made "what happened in Gdańsk?" a question
    about "Giorgian de Arrascaetańsk"."""
    table = AcronymTable(collect(["Giorgian de Arrascaeta scored twice.", "Giorgian de Arrascaeta signed on."]))
    for question in ("what happened in Gdańsk?", "what did Erdoğan say?", "where is Orbán from?"):
        assert table.reading(question, lambda terms: set()).text == question
    assert table.reading("who is GDA?", lambda terms: set()).text == "who is Giorgian de Arrascaeta?"


def test_two_letters_are_read_only_when_the_documents_define_them():
    """"PR" is as often a person's initials ("Priya Raman"); only a definition in brackets says what it is."""
    table = AcronymTable(collect([CONTRIBUTING]))
    assert table.reading("do i need a PR for typos?", _all_held).text == "do i need a PR for typos?"
    table = AcronymTable(collect(["Open a pull request (PR) against main."]))
    assert table.reading("do i need a PR for typos?", _all_held).text == "do i need a pull request for typos?"
    assert table.reading("do i need a pr for typos?", _all_held).text == "do i need a pr for typos?"  # not typed as one


def test_an_ambiguous_acronym_is_left_alone():
    table = AcronymTable(collect(["The Code of Conduct applies everywhere.", "The Chamber of Commerce sponsors us."]))
    assert table.reading("where is the coc?", _all_held).text == "where is the coc?"
    table = AcronymTable(collect(["The Code of Conduct applies everywhere."]))
    assert table.reading("where is the coc?", _all_held).text == "where is the Code of Conduct?"


def test_a_phrase_the_documents_name_themselves_is_not_abbreviated():
    """Minutes that write "Annual General Meeting" in full are searched by those words; nothing is added."""
    table = AcronymTable(collect([MINUTES, "The Annual General Meeting elects the board."]))
    reading = table.reading("when is the annual general meeting?", _all_held)
    assert reading.text == "when is the annual general meeting?" and not reading.expands
    table = AcronymTable(collect([MINUTES]))
    reading = table.reading("when is the annual general meeting?", _all_held)
    assert reading.text == "when is the annual general meeting (AGM)?"
    assert reading.expands == {"agm": ("annual", "general", "meet")}


def test_a_run_of_words_is_no_acronym_by_chance():
    """Two letters, an acronym written once, words across punctuation, or a collection writing so many
    acronyms of that length that any three words make one: no acronym is added."""
    table = AcronymTable(collect([MINUTES, "The DJ and the DJ booth (Studio Room) were booked.", "One VIP guest."]))
    assert not table.reading("where is the dance jockey?", _all_held).expands  # two letters
    assert not table.reading("is there a very important person?", _all_held).expands  # written once
    assert not table.reading("annual, general meeting?", _all_held).expands  # not a run
    assert table.reading("the annual general meeting?", _all_held).expands
    crowded = [" ".join(f"{a}{b}{c}".upper() for b in "abcdefghijklmnopqrstuvwxyz" for c in "abcdefghijklmnop") * 2
               for a in "abcdefgh"]
    table = AcronymTable(collect([MINUTES, *crowded]))
    assert not table.reading("when is the annual general meeting?", _all_held).expands



def test_milvus_keeps_the_table_with_its_generation_and_answers_as_local_does(fresh, tmp_path):
    """The table is a row of the Milvus generation's docs collection: another process's engine reads it."""
    require_milvus()
    docs = tmp_path / "notes"
    docs.mkdir()
    for name, text in {"CONTRIBUTING.md": CONTRIBUTING, "minutes.md": MINUTES, "events.md": EVENTS}.items():
        (docs / name).write_text(text)
    settings = fresh(docs=docs, store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db"))
    Engine(settings).index()
    second = Engine(settings)  # nothing in memory: the table is read from Milvus
    table = second.acronym_table(second.generation)
    assert table is not None and table.phrase_for("cla", capitals=False) == "Contributor License Agreement"
    for question, phrase in [("u need a cla?", "Contributor License Agreement"),
                             ("when is the annual general meeting?", "14 March")]:
        quotes = _quotes(second, question)
        assert quotes and phrase in quotes[0], (question, quotes)


def test_an_index_written_before_the_table_gets_it_from_the_next_index_never_from_a_question(fresh, tmp_path):
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "CONTRIBUTING.md").write_text(CONTRIBUTING)
    settings = fresh(docs=docs)
    Engine(settings).index()
    record = next(settings.data_dir.glob(f"generations/*/derived/{acronyms.STORED_AS}.json"))
    record.unlink()  # as an older docbot wrote it
    older = Engine(settings)
    assert older.acronym_table(older.generation) is None
    assert older._read_acronyms(older.generation, "u need a cla?").text == "u need a cla?"  # read as written
    assert not record.exists()  # no question collects it
    report = older.index()  # nothing changed: the table is collected all the same
    assert not report.published and record.exists()
    assert older._read_acronyms(older.generation, "u need a cla?").text == "u need a Contributor License Agreement?"
