"""Every notebook under notebooks/ executes from top to bottom without an error, from any folder.

The notebooks must run in an installed copy of igproof as well as in a checkout: they execute
in a temporary working folder, and their code never reaches into the repository (no
``igproof.__file__`` parents, no reading of the shipped ``certificates/`` folder); what they need
they rebuild with igproof's public functions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# Per-notebook budget: the notebooks are walkthroughs, not computations.
TIMEOUT_SECONDS = 300

# Code that only works inside a checkout: the package's file location or the shipped folders.
REPOSITORY_ACCESS = re.compile(r"__file__|certificates/|[\"']certificates[\"']|\.parent\.parent")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_code_does_not_read_the_repository(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    offending = [line for cell in cells if cell["cell_type"] == "code"
                 for line in "".join(cell["source"]).splitlines()
                 if REPOSITORY_ACCESS.search(line.split("#")[0])]
    assert not offending, offending


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=TIMEOUT_SECONDS, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
