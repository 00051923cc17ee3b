"""The quiet rule (``bot.quiet.is_question``): in busy channels only questions get an answer."""

from __future__ import annotations

import pytest

from bot.quiet import is_question


@pytest.mark.parametrize("text", [
    "When does the reading room close on Fridays?",
    "what did Peskov say about a meeting",
    "and what did Lavrov say?",
    "How long does the sourdough loaf bake",
    "Is the grain corridor open again",
    "tell me more about the second source",
    "Explain the expense policy",
    "hey, who mediated the talks?",
    "ok so where is the centre going to be",
    "I need the rules about the annual picnic",
    "I'd like to know when the picnic is",
    "looking for the release notes of 2.1",
    "grain corridor?",
    "Thanks! And when was that?",
    "<@123> what is the refund policy?",
    "why did the talks collapse 🤔",
    "Wer hat den Vertrag vermittelt?",  # another language still asks with a question mark
    "why?",
    "when was that?",
])
def test_questions_are_answered(text: str) -> None:
    assert is_question(text), text


@pytest.mark.parametrize("text", [
    "thanks!",
    "Thank you so much 🙏",
    "thx",
    "lol",
    "ok",
    "👍",
    "🎉🎉🎉",
    "<:pepe_happy:123456789012345678>",
    ":thumbsup:",
    "https://example.org/news/grain-corridor",
    "<https://example.org/a?b=1>",  # a question mark inside a link is not a question
    "good morning everyone!",
    "how are you?",
    "anyone here?",
    "what's up?",
    "I agree with you",
    "check out this article https://example.org/x",
    "the grain corridor reopened today",  # a statement: mention the bot or use /ask to ask it anyway
    "<@123>",
    "",
    "   ",
    "?!",
])
def test_small_talk_emoji_links_and_statements_are_not(text: str) -> None:
    assert not is_question(text), text
