"""The checker's structure: modules in layers (a module imports only lower layers), no
function-local imports, a literal obligation table, and machine-readable rejection locations."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import igproof.checker as checker
from igproof.checker import OBLIGATIONS, check_certificate
from igproof.checker.kernel import WHOLE_KINDS

CHECKER = Path(checker.__file__).parent
ROOT = CHECKER.parent.parent
# Lowest first; a module may import only modules of strictly lower rank (the tiers trajectory,
# isolated and minnorm share a rank and do not import one another).
RANK = {"errors": 0, "intervals": 1, "expr": 2, "context": 3, "obligations": 4,
        "trajectory": 5, "isolated": 5, "minnorm": 5, "nuclear": 5,
        "kernel": 6, "__init__": 7}


def _imports(path: Path) -> tuple[set[str], list[int]]:
    """The igproof.checker modules ``path`` imports, and the lines of imports inside a def."""
    tree = ast.parse(path.read_text())
    found, local = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            local += [n.lineno for n in ast.walk(node)
                      if isinstance(n, ast.Import | ast.ImportFrom)]
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("igproof.checker"):
            if node.module == "igproof.checker":
                found |= {a.name for a in node.names}
            else:
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names
                      if a.name.startswith("igproof.checker.")}
    return found, local


def test_every_module_imports_only_lower_layers_and_nothing_inside_functions():
    """No import circle can exist: each checker module imports strictly lower ranks only, and
    no function hides an import (the circle kernel <-> trajectory was hidden that way)."""
    modules = sorted(CHECKER.glob("*.py"))
    assert {p.stem for p in modules} == set(RANK)
    for path in modules:
        imported, local = _imports(path)
        assert not local, f"{path.name}: function-local imports at lines {local}"
        for name in imported:
            assert RANK[name] < RANK[path.stem], f"{path.stem} imports {name} (not lower)"


def test_obligation_table_is_literal_and_complete():
    """Every obligation type of the shipped certificates is in the table, and the table is a
    dict literal in kernel.py (one line per type: no registration by import side effects)."""
    source = (CHECKER / "kernel.py").read_text()
    for name in OBLIGATIONS:
        assert re.search(rf'^    "{re.escape(name)}": Obligation\(', source, re.M), name
    used = set()
    for path in (ROOT / "certificates").glob("*.json"):
        cert = json.loads(path.read_text())
        if cert["kind"] in WHOLE_KINDS:  # checked whole; its embedded limit has obligations
            assert re.search(r'^    \w+\.KIND: \w+\.check_\w+,', source, re.M)
            cert = cert["limit"]
        used |= {ob["type"] for ob in cert["obligations"]}
    assert used <= set(OBLIGATIONS)


def test_trajectory_rejection_carries_segment_and_step():
    """A Taylor step with a missing field (segment 1, step 5 of a shipped certificate) is
    rejected; the report entry names the obligation, segment 1 and step 5 as integers, and they
    agree with the message (producers read the integers, never the text)."""
    cert = json.loads((ROOT / "certificates" / "zhang2023-two-point-relu.json").read_text())
    bad = copy.deepcopy(cert)
    ob = next(o for o in bad["obligations"] if o["id"] == "S1.trajectory")
    del ob["segments"][1]["steps"][5]["A"]
    report = check_certificate(bad)
    assert not report.accepted
    entry = next(o for o in report.obligations if o["id"] == "S1.trajectory")
    assert entry["status"] == "rejected"
    assert (entry["segment"], entry["step"]) == (1, 5)
    assert "segments[1].steps[5]" in entry["reason"]
    accepted = [o for o in check_certificate(cert).obligations if o["type"] == "trajectory"]
    assert accepted and all("step" not in o for o in accepted)
