"""Run a sweep: split the unfinished points into chunks, evaluate them on a local process pool,
in this process, or on a Dask cluster, and store each chunk as soon as it finishes.

Backends (one function each, all yielding finished chunks in completion order):

- ``workers = 0``: in this process (tests, debugging);
- ``workers = N``: a :class:`concurrent.futures.ProcessPoolExecutor` of N processes, started by
  a fork server that has imported the worker module once (safe next to the progress bar's
  thread, cheap per process);
- ``scheduler = ADDRESS``: ``dask.distributed.Client(ADDRESS)`` (``dask scheduler`` /
  ``dask worker`` on real machines, docs/sweep.md); ``scheduler = "local:N"`` starts an
  in-process ``LocalCluster`` of N single-threaded worker processes. Dask is imported only here.

Re-running a sweep into the same folder skips every point already stored (by point id).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from igproof.errors import IgproofError, InvalidArgument
from igproof.search.regularizers import get_regularizer
from igproof.sweep.config import SweepConfig
from igproof.sweep.design import Point, design_points
from igproof.sweep.phase import phase_diagram
from igproof.sweep.store import SweepStore
from igproof.sweep.worker import evaluate_chunk, point_problem

__all__ = ["SweepReport", "default_workers", "run_sweep"]

Evaluate = Callable[[SweepConfig, list[Point]], list[dict[str, Any]]]
# Chunks queued ahead of the running ones per worker: enough to keep every worker busy while
# the parent writes a part file, few enough that an interrupt abandons little queued work.
QUEUE_PER_WORKER = 2
# Largest worker count accepted (a typo such as --workers 1000 would fork a thousand processes).
MAX_WORKERS = 256
# Prefix of --scheduler that starts an in-process Dask LocalCluster of N workers.
LOCAL_SCHEDULER = "local:"


@dataclass
class SweepReport:
    """What a run did: points in the design, skipped (already stored), computed now, failed."""

    total: int
    skipped: int
    computed: int
    errors: int
    complete: bool
    seconds: float
    backend: str
    workers: int
    files: list[Path] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Points computed per second of wall time (0 when nothing was computed)."""
        return self.computed / self.seconds if self.seconds > 0 and self.computed else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "skipped": self.skipped, "computed": self.computed,
                "errors": self.errors, "complete": self.complete,
                "seconds": round(self.seconds, 3), "points_per_second": round(self.rate, 3),
                "backend": self.backend, "workers": self.workers,
                "files": [str(p) for p in self.files]}


def default_workers() -> int:
    """The local pool size by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _chunks(points: list[Point], size: int) -> list[list[Point]]:
    return [points[k:k + size] for k in range(0, len(points), size)]


def _serial(config: SweepConfig, chunks: list[list[Point]], evaluate: Evaluate
            ) -> Iterator[list[dict[str, Any]]]:
    for chunk in chunks:
        yield evaluate(config, chunk)


def _pool(config: SweepConfig, chunks: list[list[Point]], workers: int, evaluate: Evaluate
          ) -> Iterator[list[dict[str, Any]]]:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    if "forkserver" in methods:
        context.set_forkserver_preload(["igproof.sweep.worker"])
    pending = list(reversed(chunks))
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        running: set[Any] = set()
        while pending or running:
            while pending and len(running) < workers * QUEUE_PER_WORKER:
                running.add(executor.submit(evaluate, config, pending.pop()))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    rows = future.result()
                except BrokenProcessPool:
                    raise IgproofError("a worker process of the pool died (killed, or out of "
                                       "memory); finished points are stored: re-run to "
                                       "resume") from None
                yield rows
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _dask(config: SweepConfig, chunks: list[list[Point]], scheduler: str, evaluate: Evaluate
          ) -> Iterator[list[dict[str, Any]]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InvalidArgument("--scheduler needs dask.distributed: pip install "
                              "'igproof[cluster]'") from None
    cluster = None
    if scheduler.startswith(LOCAL_SCHEDULER):
        n = _local_workers(scheduler)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidArgument(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        remote_config = client.scatter(config, broadcast=True)
        futures = [client.submit(evaluate, remote_config, chunk, pure=False)
                   for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _local_workers(scheduler: str) -> int:
    text = scheduler[len(LOCAL_SCHEDULER):]
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise InvalidArgument(f"--scheduler {scheduler}: use local:N with N from 1 to "
                              f"{MAX_WORKERS}, or the address of a dask scheduler")
    return int(text)


def dask_worker_count(scheduler: str) -> int:
    """Workers of ``local:N``; 0 (unknown until connected) for a remote scheduler."""
    return _local_workers(scheduler) if scheduler.startswith(LOCAL_SCHEDULER) else 0


def run_sweep(config: SweepConfig, out_dir: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, max_points: int | None = None,
              progress: bool = False, csv: bool = False, plot: str | Path | None = None,
              evaluate: Evaluate = evaluate_chunk) -> SweepReport:
    """Compute every design point not yet stored in ``out_dir``; merge and plot when complete.

    Parameters
    ----------
    config : SweepConfig
    out_dir : path
        The output folder (created); re-running into it resumes.
    workers : int, optional
        Local pool size (default: the usable CPUs); 0 runs in this process.
    scheduler : str, optional
        A Dask scheduler address, or ``local:N`` for an in-process LocalCluster.
    max_points : int, optional
        Compute at most this many new points, then stop (the sweep stays resumable).
    progress : bool
        Show a progress bar (points done, rate, ETA) on stderr.
    csv : bool
        Also write results.csv.
    plot : path, optional
        Phase-diagram file (its extension picks the format); default ``DIR/phase.png``.
    evaluate : callable
        The chunk evaluator (a picklable top-level function; tests count calls with it).
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 0 <= workers <= MAX_WORKERS):
        raise InvalidArgument(f"--workers {workers}: use 0 (this process) to {MAX_WORKERS}")
    if max_points is not None and max_points < 0:
        raise InvalidArgument(f"--max-points {max_points}: use a non-negative count")
    start = time.perf_counter()
    points = design_points(config)
    _precheck(config, points[0])
    store = SweepStore(out_dir, config)
    done = store.finished_ids()
    todo = [p for p in points if p.point_id not in done]
    skipped = len(points) - len(todo)
    if max_points is not None:
        todo = todo[:max_points]
    chunks = _chunks(todo, config.chunk)
    n_workers = default_workers() if workers is None else workers
    if scheduler:
        backend, n_workers = "dask", dask_worker_count(scheduler)
        stream = _dask(config, chunks, scheduler, evaluate)
    elif n_workers == 0 or len(chunks) <= 1:
        backend = "serial"
        stream = _serial(config, chunks, evaluate)
    else:
        backend = "pool"
        stream = _pool(config, chunks, min(n_workers, len(chunks)), evaluate)
    computed = errors = 0
    bar = _progress(progress, len(points), skipped)
    try:
        for rows in stream:
            store.write_part(rows)
            computed += len(rows)
            errors += sum(1 for r in rows if r.get("error"))
            if bar is not None:
                bar[0].advance(bar[1], len(rows))
    finally:
        if bar is not None:
            bar[0].stop()
    complete = skipped + computed == len(points)
    files: list[Path] = []
    if complete:
        table, files = store.write_results(csv=csv)
        errors = sum(1 for e in table.column("error").to_pylist() if e)
        target = Path(plot) if plot is not None else store.root / "phase.png"
        files.append(phase_diagram(table, config, target))
    return SweepReport(total=len(points), skipped=skipped, computed=computed, errors=errors,
                       complete=complete, seconds=time.perf_counter() - start,
                       backend=backend, workers=n_workers, files=files)


def _precheck(config: SweepConfig, point: Point) -> None:
    """Mistakes common to every point (dimension, theta0 length, the candidate G) fail here,
    once, as one line, instead of as an error row per point."""
    flow, _, _ = point_problem(config, point.as_dict())
    names = [str(p) for p in flow.parameters]
    value = dict(config.phase).get("value", "")
    if value.startswith("limit:") and value[6:].strip() not in names:
        raise InvalidArgument(f"[phase] value {value!r}: the model's parameters are "
                              f"{', '.join(names)}")
    if config.candidate:
        try:
            get_regularizer(config.candidate, parameter_names=names)
        except IgproofError as exc:
            raise InvalidArgument(f"[diagnostics] candidate: {exc}") from None


class RateColumn(ProgressColumn):
    """Points per second of the progress bar."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} pt/s" if speed else "-- pt/s")


def _progress(enabled: bool, total: int, done: int) -> tuple[Progress, Any] | None:
    """A rich progress bar on stderr: points done / total, points per second, ETA."""
    if not enabled:
        return None
    bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=False)
    task = bar.add_task("sweep", total=total, completed=done)
    bar.start()
    return bar, task
