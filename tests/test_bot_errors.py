"""What the bot tells a user for each engine error: one line that says what to do."""

from __future__ import annotations

from bot.errors import user_message
from embeddings import IndexDamaged, IndexNotFound
from embeddings.errors import DataDirUnusable, StoreUnavailable


def test_a_damaged_index_is_not_called_empty_and_its_files_stay_on_the_server():
    """Everyone in the channel reads the reply: what is damaged names the server's files (and a command for
    its shell), which the log keeps; the channel is told what an admin can do."""
    text = user_message(IndexDamaged("index generation /srv/docbot/data/generations/gen-1 is damaged: vectors.npy "
                                     "is truncated (1,024 of 151,233,152 bytes); run `docbot index` to rebuild it"))
    assert "damaged" in text and "/reindex" in text
    assert "/srv/docbot" not in text and "vectors.npy" not in text and "docbot index" not in text
    assert "No documents are indexed" not in text
    assert "No documents are indexed yet" in user_message(IndexNotFound("no index yet"))


def test_the_servers_paths_and_addresses_are_never_shown():
    for error in (DataDirUnusable("cannot write to /srv/docbot/data: read-only file system"),
                  StoreUnavailable("cannot reach Milvus at http://10.0.0.7:19530: connection refused")):
        text = user_message(error)
        assert "/srv/docbot" not in text and "10.0.0.7" not in text and "admin" in text
        # To the admin alone (a re-index's reply), what to act on: the full disk, the address.
        assert str(error) in user_message(error, private=True)


def test_a_document_that_is_not_indexed_points_to_slash_sources():
    """The engine's message names the command line's `sources`; on Discord the listing is /sources. The
    reply was the engine's text with "(see `sources`)" replaced, wherever it appeared: in the name too."""
    from embeddings.errors import SourceNotFound

    name = "notes (see `sources`).md"
    assert str(SourceNotFound(missing=name)) == f"no document {name!r} in the index (see `sources`)"
    assert user_message(SourceNotFound(missing=name)) == f"🔎 no document {name!r} in the index (see /sources)"
    assert user_message(SourceNotFound("'faq.md' has chunks 0 to 3; there is no chunk '9'")) == (
        "🔎 'faq.md' has chunks 0 to 3; there is no chunk '9'")
