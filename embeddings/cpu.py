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
import time
from collections.abc import Callable
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


def _busy_seconds(stat: Path = Path("/proc/stat")) -> float | None:
    """CPU seconds all cores spent busy since boot (None where /proc/stat cannot be read)."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class ThreadBudget:
    """Threads for the next batch of a long CPU job (embedding while indexing).

    ``fixed`` > 0 is used as it is. Otherwise: the available cores that other processes left
    unused since the previous batch (busy time of all cores in ``/proc/stat`` less this process's
    own), at least 1, and ``reserve()`` fewer (the bot leaves a core to its event loop while it
    answers questions). A job with more threads than free cores is slower than with fewer: its
    threads wait at every operation for the one the scheduler parked (``benchmarks.index_speed``).
    """

    def __init__(self, fixed: int = 0, reserve: Callable[[], int] = lambda: 0) -> None:
        self.fixed = fixed
        self.reserve = reserve
        self._last: tuple[float, float, float] | None = None

    def _sample(self) -> tuple[float, float, float] | None:
        busy = _busy_seconds()
        if busy is None:
            return None
        own = os.times()
        return time.monotonic(), busy, own.user + own.system

    def next(self) -> int:
        cores = available_cores()
        if self.fixed:
            return self.fixed
        now, last = self._sample(), self._last
        self._last = now
        free = float(cores)
        if now is not None and last is not None and now[0] - last[0] > 0.05:
            others = ((now[1] - last[1]) - (now[2] - last[2])) / (now[0] - last[0])
            free = cores - max(0.0, others)
        return max(1, min(cores - self.reserve(), round(free)))
