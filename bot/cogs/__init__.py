"""One cog per feature: ``ask`` (questions and feedback), ``sources`` (look-ups), ``admin`` (index upkeep)."""
