"""PDF, HTML and Word documents indexed with the real engine: answers cite a PDF's page in the CLI,
its JSON and on Discord; bad files are skipped with their reason; pages survive re-indexing; an
index written before pages were stored still answers."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import render
from embeddings import Engine, EngineSettings
from embeddings import cli
from embeddings.indexer import onnx_dir

from .doc_fixtures import (
    FERRY_BOILERPLATE, FERRY_HTML, GYM_PAGE, HARBOUR_PDF_SHOWN, KEEPER_FACT, KEEPER_QUESTION, make_docx, make_lines_pdf,
    make_pdf, make_scanned_pdf,
)

pytestmark = pytest.mark.slow

MAX_CHARS = 20_000
GOOD = {"report.pdf", "ferry.html", "handbook.docx", "notes.md"}
BAD = {
    "locked.pdf": "the PDF is protected by a password",
    "scanned.pdf": "no text layer on its 2 page(s)",
    "truncated.pdf": "the PDF is truncated",
    "corrupt.pdf": "cannot be read as a PDF file",
    "huge.txt": "over the limit of 20,000 (DOCBOT_MAX_DOCUMENT_CHARS)",
}


def _write_docs(docs: Path) -> None:
    docs.mkdir(parents=True)
    pdf = make_pdf()
    (docs / "report.pdf").write_bytes(pdf)
    (docs / "ferry.html").write_text(FERRY_HTML)
    (docs / "handbook.docx").write_bytes(make_docx())
    (docs / "notes.md").write_text("# Pier notes\n\nThe crane on pier seven lifts boats of up to twelve tonnes.\n")
    (docs / "locked.pdf").write_bytes(make_pdf(user_password="secret"))
    (docs / "scanned.pdf").write_bytes(make_scanned_pdf(2))
    (docs / "truncated.pdf").write_bytes(pdf[: len(pdf) * 2 // 3])
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    (docs / "huge.txt").write_text("All work and no play makes a very long text. " * 700)


def _settings(root: Path, session_index: EngineSettings) -> EngineSettings:
    settings = EngineSettings(data_dir=root / "data", docs_dir=root / "docs", max_document_chars=MAX_CHARS,
                              _env_file=None)
    target = onnx_dir(settings)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(onnx_dir(session_index))
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, session_index: EngineSettings):
    root = tmp_path_factory.mktemp("formats")
    _write_docs(root / "docs")
    settings = _settings(root, session_index)
    report = Engine(settings).reindex()
    return settings, report


@pytest.fixture
def copy(built, tmp_path: Path, session_index: EngineSettings) -> EngineSettings:
    """A private copy of the documents and the index, for tests that change them."""
    settings, _ = built
    shutil.copytree(settings.docs_dir, tmp_path / "docs")
    shutil.copytree(settings.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("onnx", "reindex.lock"))
    return _settings(tmp_path, session_index)


def test_every_bad_file_is_skipped_with_its_reason_and_the_rest_is_indexed(built) -> None:
    settings, report = built
    assert set(report.added) == GOOD and report.published
    assert len(report.skipped) == len(BAD)
    for name, reason in BAD.items():
        lines = [s for s in report.skipped if s.startswith(f"{name}: ")]
        assert len(lines) == 1 and reason in lines[0], (name, report.skipped)
    shown = cli.render_report(report)
    assert all(f"skipped: {name}: " in shown for name in BAD)
    sources = {d.doc_id: d for d in Engine(settings).sources()}
    assert set(sources) == GOOD and sources["report.pdf"].pages == 3 and sources["ferry.html"].pages is None


def test_an_answer_on_page_3_cites_page_3(built) -> None:
    settings, _ = built
    engine = Engine(settings)
    answer = engine.ask(KEEPER_QUESTION)
    assert answer.answered
    first = answer.excerpts[0]
    assert first.doc_id == "report.pdf" and KEEPER_FACT in first.text and first.page == 3
    source = next(s for s in answer.sources if s.number == first.number)
    assert source.title == HARBOUR_PDF_SHOWN and source.pages == [3] and source.ref == first.ref
    # the quote is a verbatim slice of the text the engine stored, which `source` shows
    assert engine.source("report.pdf").text[first.start:first.end] == first.text


def test_cli_text_and_json_show_the_page(built, capsys: pytest.CaptureFixture[str]) -> None:
    settings, _ = built
    assert cli.main(["ask", KEEPER_QUESTION], settings=settings) == 0
    out = capsys.readouterr().out
    assert f"[1] {HARBOUR_PDF_SHOWN}, p. 3 (2024-03-15)" in out
    assert re.search(r"\u201d \(p\. 3\)", out), "the quote says its page"
    ref = re.search(r"docbot source (report\.pdf#\d+)", out).group(1)

    assert cli.main(["ask", KEEPER_QUESTION, "--json"], settings=settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["excerpts"][0]["page"] == 3 and data["sources"][0]["pages"] == [3]

    # `docbot source REF`, as the answer printed it, opens the cited passage and says its page
    assert cli.main(["source", ref], settings=settings) == 0
    out = capsys.readouterr().out
    assert f"passage #{ref.split('#')[1]}, p. 3" in out and KEEPER_FACT in out.replace("\n>> ", " ")
    assert "report.pdf: " in out and ", 3 pages" in out
    assert cli.main(["source", ref, "--json"], settings=settings) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["page"] == 3 and view["focus"] == int(ref.split("#")[1])

    assert cli.main(["search", "Carrickfin keeper retired", "-k", "1", "--json"], settings=settings) == 0
    assert json.loads(capsys.readouterr().out)[0]["page"] == 3


def test_discord_rendering_shows_the_page(built) -> None:
    settings, _ = built
    engine = Engine(settings)
    answer = engine.ask(KEEPER_QUESTION)
    rendered = render.render_answer(answer)
    embed = rendered.embeds[0]
    assert "**[1, p. 3]**" in embed.description
    sources = [line for f in embed.fields if f.name.startswith("Sources") for line in f.value.splitlines()]
    assert sources[0] == f"[1] {HARBOUR_PDF_SHOWN}, p. 3 (2024-03-15)"
    view = engine.source(answer.sources[0].ref)
    shown = render.render_source(view)["embeds"][0]
    assert shown.fields[0].name == f"Passage {view.focus} of report.pdf, p. 3"
    assert KEEPER_FACT in shown.description and "3 page(s)" in shown.fields[0].value


def test_html_answers_quote_only_the_article(built) -> None:
    settings, _ = built
    engine = Engine(settings)
    answer = engine.ask("When does the first ferry to Inishmore leave on weekdays?")
    assert answer.answered and answer.excerpts[0].doc_id == "ferry.html"
    assert "7:15" in answer.excerpts[0].text and answer.excerpts[0].page is None
    source = answer.sources[0]
    # og:title, with the site's name the page's <title> adds ("Ferry timetable | Example Town News")
    assert source.title == "New ferry timetable for Inishmore | Example Town News" and source.pages == []
    assert source.url == "https://example.org/news/ferry-timetable" and str(source.date) == "2024-05-02"
    stored = engine.source("ferry.html").text
    for boilerplate in FERRY_BOILERPLATE:
        assert boilerplate not in stored
    for hit in engine.search("cookies privacy policy share on Facebook", k=5):
        assert not any(b in hit.text for b in FERRY_BOILERPLATE)


def test_docx_answers_quote_paragraphs_not_headings(built) -> None:
    settings, _ = built
    answer = Engine(settings).ask("Where does the first volunteer collect the boathouse key?")
    assert answer.answered and answer.excerpts[0].doc_id == "handbook.docx"
    assert "harbour office" in answer.excerpts[0].text
    assert all(not e.text.startswith("#") and e.text != "Opening the boathouse" for e in answer.excerpts)
    assert answer.sources[0].title == "Rowing club volunteer handbook"


def test_docx_table_rows_are_quoted_one_at_a_time(built) -> None:
    """A Word table's rows were one paragraph to the answer builder: "Role | Contact" and "Captain |
    Niamh" were quoted together, as one line on Discord."""
    settings, _ = built
    answer = Engine(settings).ask("Who is the captain?")
    assert answer.answered and "Captain | Niamh" in [e.text for e in answer.excerpts], answer.excerpts


def test_unchanged_pdfs_keep_their_pages_and_a_broken_one_keeps_its_last_good_version(copy: EngineSettings) -> None:
    (copy.docs_dir / "slipway.md").write_text("# Slipway\n\nThe slipway is closed for repairs until April.\n")
    report = Engine(copy).reindex()
    assert report.added == ["slipway.md"] and report.published and "report.pdf" not in report.changed
    assert Engine(copy).ask(KEEPER_QUESTION).excerpts[0].page == 3

    # the PDF is damaged after it was indexed, while another document changes: its stored text and
    # pages are written into the new generation
    (copy.docs_dir / "report.pdf").write_bytes(b"%PDF-1.4\ngarbage\n%%EOF\n")
    (copy.docs_dir / "slipway.md").write_text("# Slipway\n\nThe slipway reopens on the first of May.\n")
    report = Engine(copy).reindex()
    assert report.changed == ["slipway.md"] and report.published
    assert any(s.startswith("report.pdf: ") and "kept the previously indexed version" in s for s in report.skipped)
    answer = Engine(copy).ask(KEEPER_QUESTION)
    assert answer.excerpts[0].doc_id == "report.pdf" and answer.excerpts[0].page == 3


def test_a_sentence_across_a_page_break_is_quoted_whole_with_both_pages(copy: EngineSettings) -> None:
    """Page 1 ends "... Complaints about" and page 2 goes on "water pressure fell by a third ...": the second
    half was quoted alone, as page 2's, which says the opposite of the report."""
    (copy.docs_dir / "service.pdf").write_bytes(make_lines_pdf([[
        "Customer service",
        "Customer satisfaction rose to 87 percent in 2023, and the contact centre answered 91 percent",
        "of calls within 60 seconds. Complaints about",
    ], ["water pressure fell by a third after the new booster station at Kingsmoor came into service."],
        ["The east pumping station was inspected in May and its two pumps were found to be in good order."]],
        header="Riverbend Water - Annual Report"))
    Engine(copy).reindex()
    answer = Engine(copy).ask("What fell by a third after the Kingsmoor booster station came into service?")
    quotes = [e for e in answer.excerpts if "Kingsmoor" in e.text]
    assert quotes and all(e.text.startswith("Complaints about") for e in quotes), answer.excerpts
    assert quotes[0].page == 1 and answer.sources[0].pages == [1, 2]


def _drop_pages_table(data_dir: Path) -> None:
    """Make the published generation look as one written before pages were stored (checksums agree)."""
    from embeddings.store import _file_records

    gen = data_dir / "generations" / (data_dir / "CURRENT").read_text().strip()
    con = sqlite3.connect(gen / "store.sqlite")
    con.execute("DROP TABLE pages")
    con.commit()
    con.execute("VACUUM")
    con.close()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["files"] = {k: v for k, v in _file_records(gen).items() if k != "manifest.json"}
    (gen / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_an_index_written_before_pages_still_answers_without_re_embedding(copy: EngineSettings) -> None:
    _drop_pages_table(copy.data_dir)
    engine = Engine(copy)
    answer = engine.ask(KEEPER_QUESTION)
    assert answer.answered and KEEPER_FACT in answer.excerpts[0].text
    assert answer.excerpts[0].page is None and answer.sources[0].pages == []
    assert engine.verify().intact
    assert "p. " not in cli.render_answer(answer)
    report = engine.reindex()  # publishes only to record that the copied sources moved with the data dir
    assert report.chunks_embedded == 0 and report.unchanged == 4, "nothing is embedded again"
    again = engine.reindex()
    assert again.chunks_embedded == 0 and not again.published


@pytest.fixture(scope="module")
def gym(tmp_path_factory: pytest.TempPathFactory, session_index: EngineSettings) -> Engine:
    """A gym's web page whose address, hours and contacts are in its footer only."""
    root = tmp_path_factory.mktemp("gym")
    (root / "docs").mkdir()
    (root / "docs" / "visit.html").write_text(GYM_PAGE)
    (root / "docs" / "notes.md").write_text("# Pier notes\n\nThe crane on pier seven lifts boats of up to twelve tonnes.\n")
    settings = _settings(root, session_index)
    engine = Engine(settings)
    engine.reindex()
    return engine


@pytest.mark.parametrize(("question", "phrase"), [
    ("what's the phone number?", "0341 555 0199"),
    ("when are you open on saturday?", "Sat & Sun 9:00-22:00"),
])
def test_a_question_about_a_pages_footer_is_answered_from_it(gym: Engine, question: str, phrase: str) -> None:
    """The footer was dropped as furniture, so a question about the phone number or the opening hours it
    held was refused as not covered. (The address is kept too, test_formats; "what's the address?" is still
    refused by the evidence check, which finds nothing in "Gleisstraße 7, 04275 Leipzig" that says address.)"""
    answer = gym.ask(question)
    assert answer.answered and phrase in answer.excerpts[0].text, (answer.message, answer.excerpts)
    assert all(gym.source(e.doc_id).text[e.start:e.end] == e.text for e in answer.excerpts)
