"""Running a sweep: the same table from this process, a process pool and a Dask LocalCluster;
resuming an interrupted sweep without recomputing; metadata; plot formats."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from igproof import __version__
from igproof.errors import InvalidArgument
from igproof.sweep.config import parse_config
from igproof.sweep.runner import run_sweep
from igproof.sweep.store import LIMIT_TOLERANCE, limit_differences, read_metadata
from igproof.sweep.worker import evaluate_chunk

CALLS: list[str] = []


def counting(config, points):
    """evaluate_chunk that records every point it computes (run in this process)."""
    CALLS.extend(p.point_id for p in points)
    return evaluate_chunk(config, points)


def test_pool_and_dask_local_cluster_give_the_same_table(small_config, tmp_path):
    pytest.importorskip("dask.distributed")
    pool = run_sweep(small_config, tmp_path / "pool", workers=2)
    dask = run_sweep(small_config, tmp_path / "dask", scheduler="local:2")
    assert (pool.backend, pool.workers, dask.backend, dask.workers) == ("pool", 2, "dask", 2)
    tables = [pq.read_table(tmp_path / name / "results.parquet") for name in ("pool", "dask")]
    assert all(t.num_rows == 6 for t in tables)
    assert all(t.column("index").to_pylist() == list(range(6)) for t in tables)
    worst, mismatched = limit_differences(*tables)
    assert mismatched == [] and worst <= LIMIT_TOLERANCE


def test_resume_recomputes_nothing_finished(small_config, tmp_path):
    CALLS.clear()
    first = run_sweep(small_config, tmp_path, workers=0, max_points=3, evaluate=counting)
    assert (first.computed, first.skipped, first.complete) == (3, 0, False)
    assert not (tmp_path / "results.parquet").exists()
    assert len(CALLS) == 3
    second = run_sweep(small_config, tmp_path, workers=0, evaluate=counting)
    assert (second.computed, second.skipped, second.complete) == (3, 3, True)
    assert len(CALLS) == 6 and len(set(CALLS)) == 6  # no point computed twice
    third = run_sweep(small_config, tmp_path, workers=0, evaluate=counting)
    assert (third.computed, third.skipped) == (0, 6) and len(CALLS) == 6
    table = pq.read_table(tmp_path / "results.parquet")
    assert table.num_rows == 6 and len(set(table.column("point_id").to_pylist())) == 6


def test_results_carry_the_config_and_version(small_config, small_text, tmp_path):
    report = run_sweep(small_config, tmp_path, workers=0, csv=True)
    meta = read_metadata(tmp_path / "results.parquet")
    assert meta["igproof.config"] == small_text
    assert meta["igproof.version"] == __version__
    assert meta["igproof.config_sha256"] == small_config.fingerprint
    for part in sorted((tmp_path / "parts").glob("part-*.parquet")):
        assert read_metadata(part)["igproof.config"] == small_text
    csv = (tmp_path / "results.csv").read_text().splitlines()
    assert csv[0].startswith("index,point_id,exact,gamma,init,parameters,limit")
    assert len(csv) == 7
    assert {p.name for p in report.files} == {"results.parquet", "results.csv", "phase.png"}
    assert (tmp_path / "phase.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_folder_of_another_config_is_refused(small_config, small_text, tmp_path):
    run_sweep(small_config, tmp_path, workers=0, max_points=2)
    other = parse_config(small_text.replace('"16", "18"', '"16", "20"'))
    with pytest.raises(InvalidArgument, match="different sweep config"):
        run_sweep(other, tmp_path, workers=0)


@pytest.mark.parametrize(("suffix", "magic"), [(".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_phase_diagram_format_follows_the_extension(small_config, tmp_path, suffix, magic):
    target = tmp_path / f"diagram{suffix}"
    report = run_sweep(small_config, tmp_path / "out", workers=0, plot=target)
    assert target in report.files and target.read_bytes().startswith(magic)


def test_bad_plot_extension_and_workers_are_one_line(small_config, tmp_path):
    with pytest.raises(InvalidArgument, match=r"png, \.pdf or \.svg"):
        run_sweep(small_config, tmp_path, workers=0, plot=tmp_path / "x.jpeg")
    with pytest.raises(InvalidArgument, match="--workers"):
        run_sweep(small_config, tmp_path, workers=-1)
    with pytest.raises(InvalidArgument, match="local:N"):
        run_sweep(small_config, tmp_path, scheduler="local:zero")


def test_a_bad_candidate_fails_once_before_any_point(small_text, tmp_path):
    config = parse_config(small_text.replace('candidate = "l2"', 'candidate = "w1^2 + v^2"'))
    with pytest.raises(InvalidArgument, match=r"\[diagnostics\] candidate") as info:
        run_sweep(config, tmp_path, workers=0)
    assert "\n" not in str(info.value) and not (tmp_path / "parts").exists()


RANDOM_NEURON = """
[sweep]
design = "random"
points = 6
seed = 3
chunk = 3

[parameters]
activation = ["relu", "tanh"]
scale = { log = ["1/100", 1] }

[model]
kind = "neuron"
dim = 1

[data]
x = [["1"]]
y = ["1/2"]

[init]
theta0 = ["scale", "scale"]

[phase]
x = "scale"
y = "activation"
value = "limit:a"
"""


def test_random_design_with_a_categorical_model_key(tmp_path, capsys):
    config = parse_config(RANDOM_NEURON)
    report = run_sweep(config, tmp_path, workers=0, progress=True,
                       plot=tmp_path / "phase.svg")
    assert report.complete and report.errors == 0
    table = pq.read_table(tmp_path / "results.parquet")
    assert str(table.schema.field("activation").type) == "string"
    for row in table.to_pylist():
        a, w = row["limit"]
        # the limit interpolates: a sigma(w) = 1/2 (sigma = relu or tanh), checked directly
        sigma = max(w, 0.0) if row["activation"] == "relu" else __import__("math").tanh(w)
        assert abs(a * sigma - 0.5) < 1e-8
        assert row["pattern"] == ("1" if row["activation"] == "relu" else "")
    assert (tmp_path / "phase.svg").read_text().lstrip().startswith("<?xml")
    assert "6/6" in capsys.readouterr().err  # the progress bar: points done / total


def test_unknown_limit_coordinate_fails_before_any_point(small_text, tmp_path):
    config = parse_config(small_text.replace('value = "distance"', 'value = "limit:a"'))
    with pytest.raises(InvalidArgument, match="w1, w2, w3"):
        run_sweep(config, tmp_path, workers=0)
