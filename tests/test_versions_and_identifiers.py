"""A software project's documents: versions ("2.4.1") and identifiers ("request_timeout") are words a
reader asks by, so the tokenizer reads them (``lexical._compound``) and an answer quotes by them."""

from __future__ import annotations

import json

import pytest

from embeddings import Engine, store
from embeddings.answer import SECTION_SEPARATOR
from embeddings.lexical import LEXICAL_VERSION
from tests.conftest import indexed_notes, make_docs

CHANGELOG = """# Changelog

All notable changes to Quillpad are documented in this file. The format follows Keep a Changelog.

## [Unreleased]

### Added
- Spell checking for Norwegian and Danish notes.

## [2.4.1] - 2025-10-02

### Fixed
- Notes saved with a byte order mark no longer open as empty pages.
- The sync server sent pinned notes twice when a note sat in two notebooks.

### Security
- Session cookies are now marked `SameSite=Lax`.

## [2.4.0] - 2025-08-19

### Added
- Markdown tables can be edited cell by cell.
- `quillpad export --format html` command.

### Changed
- The default autosave interval went from 30 seconds to 60 seconds to spare laptop batteries.

## [2.3.2] - 2025-04-11

### Fixed
- Importing an Evernote file with nested notebooks lost the notebook names.
- Memory leak in the thumbnail renderer when an image was a broken link.

## [2.0.0] - 2024-06-28

### Changed
- Storage moved from JSON files to SQLite; run `quillpad migrate` once to convert your notes.
"""

CONFIGURATION = """# Configuration reference

Quillpad reads `quillpad.toml` from its data folder. Every option can also be set with an environment
variable named `QUILLPAD_` and the option's name in capitals, for example `QUILLPAD_PORT=9100`.

| Option | Default | Description |
| --- | --- | --- |
| `host` | `127.0.0.1` | Address the sync server listens on. |
| `port` | `9100` | Port of the sync server and the web editor. |
| `autosave_interval` | `60` | Seconds between two automatic saves of an open note. |
| `sync_workers` | `4` | Number of notebooks synchronised in parallel. |
| `request_timeout` | `20` | Seconds before a sync request is abandoned. |
| `keep_trash_days` | `30` | Deleted notes older than this are removed for good. |
"""

TROUBLESHOOTING = """# Troubleshooting

## The sync stops with "timed out"

A slow network can make a request give up before the server answers. Raise the timeout in the
configuration and restart the server. If a request still times out, check the proxy settings.
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory, session_index) -> Engine:
    return indexed_notes(tmp_path_factory.mktemp("project"), {
        "CHANGELOG.md": CHANGELOG, "configuration.md": CONFIGURATION, "troubleshooting.md": TROUBLESHOOTING,
    }, session_index)


def test_a_question_by_version_quotes_that_versions_entry(project):
    """"2.4.0" was no word at all (one-character tokens dropped): "what was added in 2.4.0" searched for
    "ad" and was refused; the release's entries are found under its heading now, and only they are quoted."""
    answer = project.ask("what was added in 2.4.0")
    assert answer.answered, answer
    assert answer.excerpts[0].text in ("Markdown tables can be edited cell by cell.", "`quillpad export --format html` command.")
    assert answer.excerpts[0].section == SECTION_SEPARATOR.join(["[2.4.0] - 2025-08-19", "Added"])
    assert all(e.section and e.section.startswith("[2.4.0] - 2025-08-19") for e in answer.excerpts), answer.excerpts
    fixed = project.ask("what did 2.3.2 fix")
    assert fixed.answered and all(e.section == SECTION_SEPARATOR.join(["[2.3.2] - 2025-04-11", "Fixed"])
                                  for e in fixed.excerpts), fixed


def test_a_question_asked_of_the_changelog_alone_quotes_the_release_it_names(project):
    """`docbot ask --doc CHANGELOG.md "what changed in 2.4.1"` was refused: every chunk looked alike to it."""
    answer = project.ask("what changed in 2.4.1", doc_ids=["CHANGELOG.md"])
    assert answer.answered and answer.excerpts, answer
    assert all(e.section and e.section.startswith("[2.4.1] - 2025-10-02") for e in answer.excerpts), answer.excerpts


def test_a_version_no_document_names_is_refused(project):
    """No release 2.4.2 is documented: "2.4.x"-like passages must not answer for it."""
    assert not project.ask("when was 2.4.2 released").answered


def test_an_option_is_found_by_the_words_of_its_name(project):
    """"request_timeout" was one word: "timeout" was charged as absent from every document and the
    question refused, though the options row names it."""
    answer = project.ask("whats the default request timeout")
    assert answer.answered, answer
    assert answer.excerpts[0].text == "`request_timeout` | `20` | Seconds before a sync request is abandoned."


def test_the_exact_identifier_still_ranks_its_row_first(project):
    for question in ("request_timeout", "what is QUILLPAD_PORT"):
        answer = project.ask(question)
        assert answer.answered and answer.excerpts[0].doc_id == "configuration.md", (question, answer)
    assert project.ask("request_timeout").excerpts[0].text.startswith("`request_timeout` | `20`")


def test_an_index_of_another_tokenizer_is_written_again_without_embedding(fresh, monkeypatch, tmp_path):
    """An index whose BM25 terms an older tokenizer wrote misses "2.4.1" and "timeout": the next `docbot
    index` writes its word index again from the stored chunks, embeds nothing, and says why; the one after
    has nothing to do."""
    settings = fresh(docs=make_docs(tmp_path / "project", extra={"configuration.md": CONFIGURATION}))
    with monkeypatch.context() as m:
        m.setattr(store, "LEXICAL_VERSION", 1)
        Engine(settings).reindex()
    engine = Engine(settings)
    assert engine.load().generation.manifest.lexical == 1
    manifest = json.loads((engine.generation.path / "manifest.json").read_text())
    del manifest["lexical"]  # a generation written before the tokenizer was recorded reads as 1 too
    (engine.generation.path / "manifest.json").write_text(json.dumps(manifest))
    report = Engine(settings).reindex()
    assert report.published and report.chunks_embedded == 0 and report.unchanged == report.documents_total
    assert any("reads words differently" in n for n in report.notes), report.notes
    engine = Engine(settings).load()
    assert engine.generation.manifest.lexical == LEXICAL_VERSION
    assert engine.ask("whats the default request timeout").excerpts[0].text.startswith("`request_timeout`")
    again = engine.reindex()
    assert not again.published and not again.notes
