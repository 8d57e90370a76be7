"""The results of a sweep on disk: Parquet part files written as chunks finish, then one table.

Layout of the output folder ``DIR``::

    DIR/parts/part-<first index>-<point id>.parquet   one per finished chunk (atomic)
    DIR/results.parquet                               all points, by index (written at the end)
    DIR/results.csv                                   with --csv (lists as JSON text)

Every file carries the config text, its fingerprint and the igproof version in the Parquet
schema metadata (keys ``igproof.config``, ``igproof.config_sha256``, ``igproof.version``). A
part file is written to a temporary name and renamed (:mod:`igproof.atomic`), so a sweep killed
at any moment leaves only whole part files; a re-run reads their point ids and skips them. A
folder holding parts of a different config is refused rather than mixed.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from igproof import __version__
from igproof.atomic import write_bytes_atomic, write_text_atomic
from igproof.errors import InvalidArgument
from igproof.sweep.config import MODEL_KEYS, SweepConfig

__all__ = ["METADATA_KEYS", "SweepStore", "read_metadata", "schema_for"]

METADATA_KEYS = ("igproof.config", "igproof.config_sha256", "igproof.version",
                 "igproof.sweep")
PARTS = "parts"
RESULTS = "results.parquet"
CSV = "results.csv"

_MODEL_TYPES = {"kind": pa.string(), "activation": pa.string(), "dim": pa.int64(),
                "width": pa.int64(), "bias": pa.bool_(), "skip": pa.bool_()}
_OUTPUTS = [
    ("parameters", pa.list_(pa.string())), ("limit", pa.list_(pa.float64())),
    ("loss", pa.float64()), ("t", pa.float64()), ("grad_norm", pa.float64()),
    ("pattern", pa.string()), ("switches", pa.int64()), ("converged", pa.bool_()),
    ("verdict", pa.string()), ("evidence", pa.string()), ("norm", pa.float64()),
    ("violation", pa.float64()), ("distance", pa.float64()), ("error", pa.string()),
]
_PROVE = [("prove_verdict", pa.string()), ("prove_evidence", pa.string()),
          ("radius", pa.float64()), ("centre", pa.list_(pa.string())),
          ("centre_gap", pa.float64())]


def schema_for(config: SweepConfig) -> pa.Schema:
    """The table's columns: index, point_id, exact (JSON of the exact parameters), one column
    per parameter (float64, or the model key's type), the outputs, [prove columns], seconds."""
    fields = [pa.field("index", pa.int64()), pa.field("point_id", pa.string()),
              pa.field("exact", pa.string())]
    for p in config.parameters:
        fields.append(pa.field(p.name, _MODEL_TYPES[p.name] if p.name in MODEL_KEYS
                               else pa.float64()))
    fields += [pa.field(n, t) for n, t in _OUTPUTS]
    if config.prove:
        fields += [pa.field(n, t) for n, t in _PROVE]
    fields.append(pa.field("seconds", pa.float64()))
    metadata = {"igproof.config": config.text, "igproof.config_sha256": config.fingerprint,
                "igproof.version": __version__,
                "igproof.sweep": json.dumps({"name": config.name, "design": config.design})}
    return pa.schema(fields, metadata=metadata)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The igproof keys of a Parquet file's schema metadata, as text."""
    meta = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items() if k.decode() in METADATA_KEYS}


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


class SweepStore:
    """The output folder of one sweep: finished ids, part files, the merged table."""

    def __init__(self, out_dir: str | Path, config: SweepConfig) -> None:
        self.root = Path(out_dir)
        self.config = config
        self.schema = schema_for(config)
        if self.root.exists() and not self.root.is_dir():
            raise InvalidArgument(f"--out {self.root}: exists and is not a folder")

    @property
    def parts_dir(self) -> Path:
        return self.root / PARTS

    @property
    def results_path(self) -> Path:
        return self.root / RESULTS

    def part_files(self) -> list[Path]:
        if not self.parts_dir.is_dir():
            return []
        return sorted(self.parts_dir.glob("part-*.parquet"))

    def finished_ids(self) -> set[str]:
        """Point ids of the rows already on disk; refuses parts of another config."""
        done: set[str] = set()
        for path in self.part_files():
            try:
                meta = read_metadata(path)
                ids = pq.read_table(path, columns=["point_id"]).column("point_id").to_pylist()
            except (OSError, pa.ArrowException) as exc:
                raise InvalidArgument(f"--out {self.root}: unreadable part file {path.name} "
                                      f"({exc}); remove it to recompute its points") from None
            if meta.get("igproof.config_sha256") != self.config.fingerprint:
                raise InvalidArgument(f"--out {self.root}: holds results of a different sweep "
                                      f"config ({path.name}); use another --out folder")
            done.update(ids)
        return done

    def table(self, rows: Iterable[dict[str, Any]]) -> pa.Table:
        return pa.Table.from_pylist(list(rows), schema=self.schema)

    def write_part(self, rows: list[dict[str, Any]]) -> Path:
        """Write one finished chunk atomically; returns its path."""
        first = min(rows, key=lambda r: r["index"])
        path = self.parts_dir / f"part-{first['index']:07d}-{first['point_id']}.parquet"
        write_bytes_atomic(path, _parquet_bytes(self.table(rows)))
        return path

    def read_parts(self) -> pa.Table:
        """Every finished row, sorted by index, duplicates (same point id) dropped."""
        tables = [pq.read_table(p, schema=self.schema) for p in self.part_files()]
        if not tables:
            return self.schema.empty_table()
        table = pa.concat_tables(tables).sort_by("index")
        ids = table.column("point_id").to_pylist()
        seen: set[str] = set()
        keep = []
        for k, pid in enumerate(ids):
            if pid not in seen:
                seen.add(pid)
                keep.append(k)
        if len(keep) != len(ids):
            table = table.take(pa.array(keep))
        return table.replace_schema_metadata(self.schema.metadata)

    def write_results(self, *, csv: bool = False) -> tuple[pa.Table, list[Path]]:
        """The merged table of every finished point, written atomically (and as CSV)."""
        table = self.read_parts()
        written = [self.results_path]
        write_bytes_atomic(self.results_path, _parquet_bytes(table))
        if csv:
            write_text_atomic(self.root / CSV, table_to_csv(table))
            written.append(self.root / CSV)
        return table, written


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        text = json.dumps(value)
    elif isinstance(value, float):
        text = "nan" if math.isnan(value) else repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if any(c in text for c in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def table_to_csv(table: pa.Table) -> str:
    """CSV text of ``table``: floats by repr (round-trip exact), lists as JSON."""
    lines = [",".join(table.column_names)]
    for row in table.to_pylist():
        lines.append(",".join(_csv_cell(row[name]) for name in table.column_names))
    return "\n".join(lines) + "\n"


# Limits of two runs of the same config agree to this (absolute, times max(1, |theta*|_inf)):
# the float integrator stops at |grad L| <= 1e-10 with rtol 1e-13, which puts a limit within
# ~1e-10 / (smallest curvature) of the true one; the same code on another worker gives the same
# bits, so any larger gap means the runs did not compute the same thing.
LIMIT_TOLERANCE = 1e-9


def limit_differences(first: pa.Table, second: pa.Table) -> tuple[float, list[str]]:
    """max_i |theta*_i(first) - theta*_i(second)|_inf / max(1, |theta*|_inf) over the common
    point ids, and the ids whose pattern, verdict or point set differ (empty when equal)."""
    rows_a = {r["point_id"]: r for r in first.to_pylist()}
    rows_b = {r["point_id"]: r for r in second.to_pylist()}
    mismatched = sorted(set(rows_a) ^ set(rows_b))
    worst = 0.0
    for pid in sorted(set(rows_a) & set(rows_b)):
        a, b = rows_a[pid], rows_b[pid]
        if (a["pattern"], a["verdict"], len(a["limit"])) != (b["pattern"], b["verdict"],
                                                            len(b["limit"])):
            mismatched.append(pid)
            continue
        scale = max([1.0, *(abs(v) for v in a["limit"])])
        for u, v in zip(a["limit"], b["limit"], strict=True):
            worst = max(worst, abs(u - v) / scale)
    return worst, mismatched
