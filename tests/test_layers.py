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
    "errors": 0, "verdict": 0, "rationals": 0, "atomic": 0, "plots": 0, "linalg": 0,
    "symbolic": 1, "numeric": 2, "proof": 3, "certificate": 4,
    "search": 5, "strategies": 5, "sweep": 6, "papers": 6, "cli": 7,
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
                continue  # who may: test_only_the_producer_door_and_igproof_check_import_...
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


# --- the producer's door to the checker (issue #16) --------------------------------------------

# The modules, besides the checker itself, that may import igproof.checker: the producer's one
# door (it builds, then re-checks, every certificate) and `igproof check`.
CHECKER_IMPORTERS = {"certificate/common.py", "cli/check.py", "__init__.py"}


def _module_imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every import in the file, function-local ones too;
    ``import a.b`` gives (a.b, [], line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            found.append((name, [alias.name for alias in node.names], node.lineno))
    return found


def _outside_checker() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if p.relative_to(PACKAGE).parts[0] != "checker"]


def test_only_the_producer_door_and_igproof_check_import_the_checker():
    offences = []
    for path in _outside_checker():
        rel = path.relative_to(PACKAGE).as_posix()
        for module, _, line in _module_imports(path):
            if module.startswith("igproof.checker") and rel not in CHECKER_IMPORTERS:
                offences.append(f"{rel}:{line} imports {module}")
    assert not offences, "\n".join(offences)


def test_only_the_checkers_public_api_is_imported():
    """Outside igproof/checker: only ``from igproof.checker import NAME`` with NAME in the
    checker's ``__all__`` (no submodule, no private name)."""
    import igproof.checker

    public = set(igproof.checker.__all__)
    offences = []
    for path in _outside_checker():
        rel = path.relative_to(PACKAGE).as_posix()
        for module, names, line in _module_imports(path):
            if module.startswith("igproof.checker.") or (module == "igproof.checker"
                                                         and not names):
                offences.append(f"{rel}:{line} imports the checker module {module}")
            elif module == "igproof.checker":
                offences.extend(f"{rel}:{line} imports igproof.checker.{n} (not public)"
                                for n in names if n.startswith("_") or n not in public)
    assert not offences, "\n".join(offences)


# --- no import circle ---------------------------------------------------------------------------

# Circles found by the graph below when it was written (issue #16), none in the producer's files;
# each is owned by the package named and should be broken by moving the shared piece down.
KNOWN_CIRCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """igproof module -> the igproof modules it imports (function-local imports included;
    ``from pkg import sub`` counts as importing the submodule when it is one)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for module, names, _ in _module_imports(path):
            targets = [f"{module}.{n}" if f"{module}.{n}" in modules else module
                       for n in names] or [module]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between layers (igproof.numeric, igproof.certificate, ...) and between the
    subjects of the proof layer (igproof.proof.limits, igproof.proof.minnorm, ...); a top-level
    module (igproof.strategies) is its own unit. A layer's own subpackages (numeric.ball) are
    part of the layer: inside a layer only the module graph must be acyclic."""
    packages = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}

    def unit(m: str) -> str:
        parts = m.split(".")
        if parts[1:2] == ["proof"] and ".".join(parts[:3]) in packages:
            return ".".join(parts[:3])
        return ".".join(parts[:2])

    out: dict[str, set[str]] = {}
    for m, targets in graph.items():
        out.setdefault(unit(m), set()).update(unit(t) for t in targets if unit(t) != unit(m))
        for t in targets:
            out.setdefault(unit(t), set())
    return out


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(frozenset(comp))
    return found


def test_circle_finder_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [frozenset({"a", "b", "c"})]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_new_import_circle_between_modules_or_packages():
    graph = _import_graph()
    found = set(_circles(graph)) | set(_circles(_package_graph(graph)))
    new = [sorted(c) for c in found - KNOWN_CIRCLES]
    assert not new, f"import circles: {new}"


def test_no_import_circle_between_packages_of_the_producer():
    """proof, certificate, papers and their subpackages take part in no circle at all."""
    graph = _package_graph(_import_graph())
    mine = ("igproof.proof", "igproof.certificate", "igproof.papers")
    bad = [sorted(c) for c in _circles(graph) if any(m.startswith(mine) for m in c)]
    assert not bad, f"import circles: {bad}"


def test_no_import_circle_at_all():
    graph = _import_graph()
    assert not _circles(graph) and not _circles(_package_graph(graph))
