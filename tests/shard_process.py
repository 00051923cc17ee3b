"""One bot process of a sharded deployment, for ``tests/test_bot_shards.py``: a real ``DocBot`` in its own
Python process, aimed at the test's fake Discord.

``python -m tests.shard_process PORT CA_FILE TAG``: settings come from the ``DOCBOT_`` environment (shards,
database, data folder), as in production; ``TAG`` is appended to the HTTP User-Agent so the fake can tell
which process sent a request. SIGTERM closes the bot.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.client import DocBot
from bot.settings import BotSettings
from embeddings import Engine
from tests.fake_discord import loopback_client_kwargs


async def run(port: int, cafile: str, tag: str) -> None:
    settings = BotSettings(_env_file=None)
    assert settings.discord_token is not None
    bot = DocBot(settings, Engine(settings), guild_ready_timeout=0.05, **loopback_client_kwargs(port, cafile))
    bot.http.user_agent += f" {tag}"
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(settings.discord_token.get_secret_value())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format=f"{sys.argv[3]} %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
