"""A member asks a venue's notes for its address, e-mail, phone or opening hours, and gets the footer's line.

A makerspace's saved welcome page keeps its address, hours, e-mail and phone in the footer
(``formats.web._footer_facts``), beside a few Markdown notes. "what's the address?", "whats ur email",
"phone number?" and "how do i contact you" share no word with "Bergstraße 7 · 10115 Berlin" or
"hello@example.org", and were refused ("the documents don't seem to cover this"); "what are the opening
hours?" was answered with the open evening's line. A question that asks only for such a fact is
answered with it (``embeddings.contacts``, ``evidence._own_value``); one about another place's
("the Louvre", "the Eiffel tower") or another person's is still refused.
"""

from __future__ import annotations

import pytest

from embeddings.contacts import ADDRESS, EMAIL, HOURS, PHONE, asked, held

from .conftest import indexed_notes

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Welcome | Werkbank Makerspace</title></head>
<body>
<header class="site-header">
  <nav><a href="/">Home</a> <a href="/workshops">Workshops</a> <a href="/membership">Membership</a>
  <a href="/contact">Contact</a></nav>
</header>
<main>
<h1>Welcome to Werkbank</h1>
<p>Werkbank is a community makerspace run by volunteers. Members share a wood shop, a metal corner, two laser
cutters and a row of 3D printers.</p>
<h2>Your first visit</h2>
<p>Come to an open evening, meet a host and take the safety tour. The tour takes about an hour and is free.</p>
<p>After the tour you can book machines through the member portal.</p>
<h2>Machines and training</h2>
<p>Each machine needs a short induction before you use it alone. The laser cutter induction runs every Thursday
evening.</p>
<p>Bring closed shoes; long hair must be tied back near the lathe.</p>
</main>
<footer class="site-footer">
  <h3>Visit us</h3>
  <p>Bergstraße 7 · 10115 Berlin</p>
  <p>Mon-Fri 10-22, Sat 12-18</p>
  <p><a href="mailto:hello@example.org">hello@example.org</a></p>
  <p><a href="tel:+49301234567">+49 30 1234567</a></p>
  <ul><li><a href="/imprint">Imprint</a></li><li><a href="/privacy">Privacy</a></li><li><a href="/jobs">Jobs</a></li></ul>
  <p>© 2025 Werkbank e.V.</p>
</footer>
</body>
</html>
"""

NOTES = {
    "welcome.html": PAGE,
    "membership.md": "# Membership\n\nA regular membership costs 35 euros a month; students and people on benefits "
                     "pay 20 euros.\nMembership includes unlimited access during opening hours and one free "
                     "induction per month.\nYou can cancel at the end of any month by telling the board in person.\n"
                     "Day passes are 12 euros and include the safety tour.\n",
    "house-rules.md": "# House rules\n\n- Clean your workspace before you leave.\n- Never use a machine you have not "
                      "been inducted on.\n- Sawdust goes in the blue bins, metal shavings in the grey ones.\n"
                      "- Children under 14 must be accompanied by an adult at all times.\n"
                      "- Report broken tools to the host on duty.\n",
    "events.md": "# Events\n\n## Repair café\nEvery first Sunday of the month we fix toasters, bikes and lamps "
                 "together. Bring your broken things and a bit of patience.\n\n## Open evening\nEvery Wednesday "
                 "from 18:00 anyone can drop in, look around and talk to members.\n\n## Soldering workshop\nOur "
                 "soldering workshop for beginners runs on the last Saturday of each month and costs 15 euros "
                 "including the kit.\n",
}


@pytest.fixture(scope="module")
def makerspace(tmp_path_factory, session_index):
    """The makerspace's welcome page and three notes, indexed as `make run` would."""
    return indexed_notes(tmp_path_factory.mktemp("makerspace"), NOTES, session_index)


@pytest.mark.parametrize("question, line", [
    ("what's the address?", "Bergstraße 7 · 10115 Berlin"),
    ("where are you located?", "Bergstraße 7 · 10115 Berlin"),
    ("what is the address of Werkbank?", "Bergstraße 7 · 10115 Berlin"),
    ("whats ur email", "hello@example.org"),
    ("hey whats ur email pls", "hello@example.org"),
    ("phone number?", "+49 30 1234567"),
    ("how do i contact you", "+49 30 1234567"),
    ("what are the opening hours?", "Mon-Fri 10-22, Sat 12-18"),
    ("when are you open on saturday?", "Mon-Fri 10-22, Sat 12-18"),  # not "Every Wednesday from 18:00 ..."
])
def test_a_members_contact_question_is_answered_with_the_footers_line(makerspace, question, line):
    answer = makerspace.ask(question)
    assert answer.answered, (question, answer.evidence)
    assert answer.excerpts[0].text == line, [e.text for e in answer.excerpts]


def test_contact_means_writing_or_calling(makerspace):
    quotes = [e.text for e in makerspace.ask("how do i contact you").excerpts]
    assert "hello@example.org" in quotes and "+49 30 1234567" in quotes, quotes


@pytest.mark.parametrize("question", [
    "what's the address of the Louvre?",
    "where is the Eiffel tower located?",
    "what's the email of the mayor of Berlin?",
    "what's Anna's phone number?",
])
def test_another_places_or_persons_contact_is_refused(makerspace, question):
    answer = makerspace.ask(question)
    assert not answer.answered, (question, [e.text for e in answer.excerpts], answer.evidence)


def test_other_questions_over_the_notes_are_answered_as_before(makerspace):
    answer = makerspace.ask("how much is a day pass?")
    assert answer.answered and "Day passes are 12 euros" in answer.excerpts[0].text


def test_what_a_question_asks_for():
    assert asked("what's the address?") == {ADDRESS}
    assert asked("where r u located") == {ADDRESS}
    assert asked("what's your email address?") == {EMAIL}  # an e-mail's address, not a street's
    assert asked("phone number?") == {PHONE}
    assert asked("how do i contact you") == {EMAIL, PHONE}
    assert asked("when are you open on saturday?") == {HOURS}
    for question in ("what's the default log file location", "how many hours does the tour take?",
                     "where did the shooting happen?", "what's the web address?", "is the café open to guests?"):
        assert not asked(question), question


def test_what_a_sentence_holds():
    assert held("Bergstraße 7 · 10115 Berlin") == {ADDRESS}
    for text in ("10115 Berlin", "10115 Berlin, Germany", "80331 München · Tel. 089 123456", "Am Markt 3\n04109 Leipzig\n",
                 "2000 Main Street, Springfield"):
        assert ADDRESS in held(text), text
    assert held("Meet at 221B Baker Street, London NW1 6XE.") == {ADDRESS}
    assert held("Write to hello@example.org") == {EMAIL}
    assert held("Call (020) 7946 0958 or +49 30 1234567") == {PHONE}
    assert held("Mon-Fri 10-22, Sat 12-18") == {HOURS}
    # Opening hours written with dots are hours, not a phone number ("phone?" quoted them).
    assert held("Open daily 9.00-17.00") == {HOURS}
    assert held("Mo-Fr 14.30 - 18.30 Uhr") == {HOURS}
    assert held("Tel. 030.123.4567") == {PHONE}
    # Numbers that are no contact facts: years, thousands, dates, records, a count before a name.
    for text in ("In 2022 Berlin hosted the games.", "The 2019-2023 plan cost 1 000 000 euros.",
                 "published 2022-06-01", "Company no. 01234567", "ISBN 978-3-16-148410-0",
                 "From 10000 Ukrainians fled", "@everyone read the rules", "we raised 1,234,567 dollars",
                 "Updated 24.12.2025", "Tickets for 12/24/2025", "Festival 12.03.-14.03.2026",
                 "1500 Students attended the fair.", "4000 Leipzig fans came", "Since 2019 New York Court rulings changed"):
        assert not held(text), text


def test_the_footers_facts_lie_under_its_own_heading_not_the_articles_last_section(makerspace):
    """The footer's "Visit us" (an h3) came after the article's "## Machines and training", and the address
    was shown "under: Machines and training › Visit us"; the footer's heading now closes the article's sections."""
    answer = makerspace.ask("what's the address?")
    assert answer.excerpts[0].section == "Visit us", answer.excerpts[0].section


def test_a_conversation_asks_for_one_fact_after_another(makerspace):
    """In a chat the next fact is asked for in a few words: "and your email?", "ok what about the phone number"
    ("ok" names nothing: it was read as the question's subject, which no line names, and refused)."""
    from embeddings import Turn

    address = makerspace.ask("what's the address?")
    email = makerspace.ask("and your email?", history=[Turn.of(address)])
    assert email.answered and email.excerpts[0].text == "hello@example.org", [e.text for e in email.excerpts]
    phone = makerspace.ask("ok what about the phone number", history=[Turn.of(address), Turn.of(email)])
    assert phone.answered and phone.excerpts[0].text == "+49 30 1234567", [e.text for e in phone.excerpts]


NEWS = {
    "bike-lanes.txt": "Council approves new bike lanes\n\nThe city council voted on Tuesday to build six kilometres of "
                      "protected bike lanes along the river by next summer. The plan costs 4 million euros and was "
                      "backed by 31 of the 45 councillors.\n\nDana Reed covers the city for the Gazette: "
                      "dreed@gazette.example, 555-201-3344.\n",
    "dredging.txt": "Harbour dredging starts in May\n\nDredgers will deepen the harbour's main channel from May, so "
                    "that larger cargo ships can dock. Ferries keep running, with short delays on weekday mornings."
                    "\n\nTom Hale writes about the port for the Chronicle: tom.hale@chronicle.example, @tomhale\n",
}


@pytest.fixture(scope="module")
def articles(tmp_path_factory, session_index):
    """Two news articles, each ending with its reporter's contact line."""
    return indexed_notes(tmp_path_factory.mktemp("articles"), NEWS, session_index)


@pytest.mark.parametrize("question", ["whats ur email", "how do i contact you"])
def test_a_reporters_line_is_no_collections_contact(articles, question):
    """Each article's reporter gives their own e-mail and phone, and none of them is "yours": the question is
    refused, as it was before contact facts were read (read as the collection's own, it was answered)."""
    answer = articles.ask(question)
    assert not answer.answered, (question, [e.text for e in answer.excerpts], answer.evidence)
