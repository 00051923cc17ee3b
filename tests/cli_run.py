"""Running `docbot` (or `python -m bot`) in a subprocess on this checkout, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def snapshot(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file of an index (size, mtime), links not followed: equal snapshots = untouched index."""
    files = {}
    for folder, _, names in os.walk(data_dir):
        for name in names:
            path = Path(folder, name)
            if name != "reindex.lock" and not path.is_symlink():
                st = path.stat()
                files[str(path.relative_to(data_dir))] = (st.st_size, st.st_mtime_ns)
    return files


def unprivileged() -> list[str]:
    """A command prefix that makes file permissions apply (root ignores them), or a skip."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    # Both capabilities: without DAC_OVERRIDE root still reads any file and lists any folder (DAC_READ_SEARCH).
    return ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search",
            "--"]
