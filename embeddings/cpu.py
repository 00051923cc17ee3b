"""How many cores this process may use, and how many of them are idle right now.

``os.cpu_count()`` counts the machine's cores, not the ones this process may run on: a CPU affinity
mask (``taskset``, a container's cpuset) or a container's CPU quota (cgroup ``cpu.max``) give it
fewer. torch, ONNX Runtime, FAISS (OpenMP) and the tokenizers' Rayon pool each sized their thread
pools by the machine's count; under contention the threads of one pool wait for each other's time
slices (measured: ``python -m benchmarks.index_speed --threads``). Every pool in docbot is sized
from :func:`available_cores` instead.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

_CGROUP = Path("/sys/fs/cgroup")


def _cgroup_quota(root: Path = _CGROUP) -> float | None:
    """CPUs the cgroup's quota allows (cgroup v2 ``cpu.max``, or v1 ``cfs_quota_us``), None when unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max" and float(period) > 0:
            return float(quota) / float(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = float((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = float((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def available_cores() -> int:
    """Cores this process may run on: its affinity mask, capped by a container's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


def runnable_others(loadavg: Path = Path("/proc/loadavg")) -> int:
    """Threads that want a CPU right now besides the caller: the kernel's instantaneous count of
    runnable tasks (the fourth field of ``/proc/loadavg``, which counts the caller too), not the
    one-minute average, which lags a burst by tens of seconds. 0 where it cannot be read."""
    try:
        running = int(loadavg.read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - 1)


def idle_cores() -> int:
    """Available cores that no other runnable thread is waiting for, at least 1 (the caller's own)."""
    return max(1, available_cores() - runnable_others())
