"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``, so
this folder is on ``sys.path``): the best CPU time of a function, and the CPU and wall time of a
child process."""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any


def best_cpu(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """(best process_time of ``repeats`` calls, the last value): robust to other jobs."""
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()
        value = fn()
        best = min(best, time.process_time() - start)
    return best, value


def child_cpu(argv: Sequence[str], **run: Any) -> tuple[float, float, subprocess.CompletedProcess]:
    """(CPU (user + system of the child and every process it waited for), wall, the completed
    process) of ``subprocess.run(argv, capture_output=True, text=True, **run)``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False, **run)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done
