"""The Discord face of the document engine: a thin adapter from Discord events to ``embeddings.Engine``.

Nothing in here knows how answers are found; it only turns Discord events into engine calls (in worker
threads) and engine results into messages that respect Discord's limits. See ``bot.client.DocBot``.
"""
