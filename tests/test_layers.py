"""The architecture's import rules, checked on the source with ``ast``.

- A layer imports only the layers below it (docs/architecture.md).
- The checker imports the Python standard library and its own modules, nothing else.
- ``igproof --help`` imports neither sympy, flint, mpmath nor numpy (fast start).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "igproof"

# Lower rank = lower layer. Top-level helper modules are below every layer.
RANK = {
    "errors": 0, "verdict": 0, "rationals": 0, "atomic": 0,
    "symbolic": 1, "numeric": 2, "proof": 3, "certificate": 4,
    "search": 5, "strategies": 5, "papers": 6, "cli": 7,
}


def _sources(layer: str) -> list[Path]:
    path = PACKAGE / layer
    return sorted(path.rglob("*.py")) if path.is_dir() else [PACKAGE / f"{layer}.py"]


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported by the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((name, node.lineno))
    return found


@pytest.mark.parametrize("layer", sorted(k for k in RANK if (PACKAGE / k).exists()
                                         or (PACKAGE / f"{k}.py").exists()))
def test_each_layer_imports_only_layers_below_it(layer):
    offences = []
    for path in _sources(layer):
        for module, line in _imported_modules(path):
            parts = module.split(".")
            if parts[0] != "igproof" or len(parts) < 2:
                continue
            target = parts[1]
            if target == "checker" and layer != "checker":
                continue  # anyone may call the independent checker
            if target not in RANK:
                offences.append(f"{path.name}:{line} imports unknown layer {module}")
            elif RANK[target] > RANK[layer]:
                offences.append(f"{path.name}:{line} ({layer}) imports {module} from above")
    assert not offences, "\n".join(offences)


def test_checker_imports_only_the_standard_library_and_itself():
    offences = []
    for path in sorted((PACKAGE / "checker").rglob("*.py")):
        for module, line in _imported_modules(path):
            top = module.split(".")[0]
            if module.startswith("igproof.checker") or module == "__future__":
                continue
            if top not in sys.stdlib_module_names or top in {"ctypes", "pickle", "marshal"}:
                offences.append(f"{path.name}:{line} imports {module}")
    assert not offences, "\n".join(offences)


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from igproof.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('sympy', 'flint', 'mpmath', 'numpy', 'scipy')"
        " if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    heavy = result.stdout.strip().splitlines()[-1]
    assert heavy == "HEAVY=", heavy
