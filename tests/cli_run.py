"""Running `docbot` (or `python -m bot`) in a subprocess on this checkout, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """This checkout on the path, offline, and no DOCBOT_ variable from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOT_")}
    return {**env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **extra}


def run(*args: str, module: str = "embeddings.cli", cwd: Path = ROOT, env: dict[str, str] | None = None,
        **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd,
                          env=clean_env(**(env or {})), timeout=300, **kwargs)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
