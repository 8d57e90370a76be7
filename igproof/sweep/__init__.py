"""Parameter sweeps over families of gradient flows (``igproof sweep``, docs/sweep.md).

A TOML config declares a dataset family with symbolic parameters (the data and the
initialization are expressions in them), a grid or random design over the parameters, and the
diagnostics to record. Each design point's flow limit, loss, final activation pattern,
convergence time and diagnostics become one row of a Parquet table, written incrementally so
that an interrupted sweep resumes without recomputing; a phase diagram shows one output over two
parameters. Points run on a local process pool or a Dask cluster.
"""

from __future__ import annotations

from igproof.sweep.config import SweepConfig, load_config, parse_config
from igproof.sweep.design import Point, design_points
from igproof.sweep.runner import SweepReport, run_sweep

__all__ = ["Point", "SweepConfig", "SweepReport", "design_points", "load_config",
           "parse_config", "run_sweep"]
