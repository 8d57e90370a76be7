"""`--plot FILE` writes the format its extension names, and refuses extensions it cannot honour.

Magic numbers: PNG starts with 89 50 4E 47 0D 0A 1A 0A, PDF with "%PDF-", SVG is XML whose root
element is <svg>.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from igproof.cli.main import main

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


def _is_svg(data: bytes) -> bool:
    import xml.etree.ElementTree as ET

    return ET.fromstring(data).tag.endswith("svg")


def _check_format(path, suffix: str) -> None:
    data = path.read_bytes()
    if suffix == ".svg":
        assert _is_svg(data)
    else:
        assert data.startswith(MAGIC[suffix]), data[:16]


@pytest.fixture
def one_datum(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('{"x": [[1]], "y": [1]}')
    return str(path)


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_flow_plot_honours_the_extension(one_datum, tmp_path, capsys, suffix):
    plot = tmp_path / f"flow{suffix}"
    assert main(["flow", "neuron", "--data", one_datum, "--init", "1/2,3/10", "--method",
                 "float", "--plot", str(plot), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["plot"] == str(plot)
    _check_format(plot, suffix)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_minnorm_plot_honours_the_extension(tmp_path, capsys, suffix):
    data = tmp_path / "d.json"
    data.write_text('{"x": [-1, 0, 1], "y": [1, 0, 1]}')
    plot = tmp_path / f"interp{suffix}"
    assert main(["minnorm", "--data", str(data), "--plot", str(plot)]) == 0
    capsys.readouterr()
    _check_format(plot, suffix)


@pytest.mark.parametrize("command", ["flow", "minnorm"])
def test_an_unknown_plot_extension_is_one_line_and_exit_2(one_datum, tmp_path, capsys, command):
    plot = tmp_path / "figure.jpg"
    argv = (["flow", "neuron", "--data", one_datum, "--init", "1/2,3/10"] if command == "flow"
            else ["minnorm", "--data", one_datum])
    assert main([*argv, "--plot", str(plot)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".png, .pdf, .svg" in err[0]
    assert not plot.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_plots_follow_the_umask(one_datum, tmp_path, capsys):
    plot = tmp_path / "flow.png"
    previous = os.umask(0o002)
    try:
        main(["flow", "neuron", "--data", one_datum, "--init", "1/2,3/10", "--method", "float",
              "--plot", str(plot)])
    finally:
        os.umask(previous)
    capsys.readouterr()
    assert stat.S_IMODE(plot.stat().st_mode) == 0o664


def test_flow_json_carries_the_envelope(one_datum, capsys):
    assert main(["flow", "neuron", "--data", one_datum, "--init", "1/2,3/10", "--method",
                 "float", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload)[:4] == ["command", "igproof", "exit_code", "verdict"]
    assert payload["command"] == "flow" and payload["exit_code"] == 0
    assert payload["verdict"] == "SUPPORTED"
