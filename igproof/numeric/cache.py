"""The field cache: compiled gradient-flow fields on disk, so a repeated run skips sympy.

Deriving F = -grad L_S with sympy and compiling it to a straight-line
:class:`~igproof.numeric.series.TaylorProgram` costs more than a whole 15-digit integration of a
small model (importing sympy alone takes about 0.3 s). A researcher who runs ``igproof flow``
again and again on the same model and data reuses the compiled field from here instead.

Key. Everything the compiled programs depend on: the model kind and every option that builds
it (activation, width, bias, skip, ...: the caller passes them all), the dataset's exact values
(x rows and y labels as exact ``"p/q"`` text: the programs embed the data, so a hit can never
return the field of other data; the input dimension is the rows' length), the igproof version
and :data:`CACHE_FORMAT`. The file name is the SHA-256 of the canonical JSON of the key; the key
is also stored in the file and compared on load.

Format. One JSON file per key (never pickle): the parameter names, the model label, the kink
groups, the signs of constant kinks, the kink program and, per activation pattern met so far,
the field program (field outputs followed by the kinks) and the loss program. A program is
``{"n_vars": n, "outputs": [...], "nodes": [[op, ...], ...]}`` with rationals as ``"p/q"``
text; every node is checked on load (known opcode, arguments that refer to earlier nodes, the
first n nodes the variables). A file that does not parse or check is ignored (and rewritten);
nothing read from it is ever evaluated as code.

Location: ``$IGPROOF_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/igproof``, else
``~/.cache/igproof``; ``IGPROOF_NO_CACHE=1`` disables it. Files are written atomically
(:mod:`igproof.atomic`). The cache is an optimization: failing to read or write it never fails
a command.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from igproof import version
from igproof.errors import IgproofError
from igproof.numeric.pieces import PiecewiseField
from igproof.numeric.series import TaylorProgram
from igproof.rationals import fraction_to_text, parse_rational

try:  # CPython's own SHA-256 (_sha256 to 3.11, _sha2 from 3.12): `import hashlib` would load
    # OpenSSL first, about 2.5 ms, a thirtieth of a warm `igproof flow`; same digest either way
    from _sha256 import sha256
except ImportError:
    try:
        from _sha2 import sha256
    except ImportError:
        from hashlib import sha256

__all__ = ["CACHE_FORMAT", "cache_dir", "field_key", "load_field", "store_field"]

# Bumped when the file layout or the meaning of the opcodes changes (old files then miss).
CACHE_FORMAT = 1

ENV_DIR = "IGPROOF_CACHE_DIR"
ENV_DISABLE = "IGPROOF_NO_CACHE"

# Opcodes (igproof.numeric.series) and the shape of their arguments in a node list.
_N_OPCODES = 11
_VAR, _CONST, _ADD, _SCALE, _MUL, _RECIP, _SQRT, _POWQ, _EXP, _LOG, _TANH = range(_N_OPCODES)
_UNARY = (_RECIP, _SQRT, _EXP, _LOG, _TANH)


def cache_dir() -> Path | None:
    """The cache folder, or None when IGPROOF_NO_CACHE is set (to anything but "" or "0")."""
    if os.environ.get(ENV_DISABLE, "") not in ("", "0"):
        return None
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "igproof"


def field_key(kind: str, options: Mapping[str, Any], data: Any) -> dict[str, Any] | None:
    """The cache key of a model on exactly loaded dataset JSON (None: not a plain dataset).

    ``options`` are ALL the arguments that build the model besides its kind and the data's
    dimension (activation, width, bias, skip, ...: JSON numbers, strings, booleans); a model
    option missing here would let a hit return the field of another model. ``data`` is
    ``{"x": [[...], ...], "y": [...]}`` as read by :func:`igproof.rationals.load_json_exact`;
    anything of another shape gets no key (the caller then derives without the cache, and
    reports the data error).
    """
    if not all(isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool))
               for k, v in options.items()):
        return None
    if not isinstance(data, Mapping) or set(data) != {"x", "y"}:
        return None
    xs, ys = data["x"], data["y"]
    if not isinstance(xs, list) or not isinstance(ys, list) or not xs or len(xs) != len(ys):
        return None
    try:
        x = [[fraction_to_text(parse_rational(v)) for v in row] for row in xs]
        y = [fraction_to_text(parse_rational(v)) for v in ys]
    except (IgproofError, TypeError, ValueError):
        return None
    if any(not row or len(row) != len(x[0]) for row in x):
        return None
    return {"format": CACHE_FORMAT, "igproof": version.__version__, "kind": kind,
            "options": dict(sorted(options.items())), "x": x, "y": y}


def _path(key: Mapping[str, Any]) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return folder / "fields" / f"{digest}.json"


def load_field(key: Mapping[str, Any], derive: Callable[[], Any]) -> PiecewiseField | None:
    """The cached field of ``key`` (``derive()`` -> GradientFlow for patterns not cached).

    Returns None on a miss, when the cache is disabled, or when the file is unreadable, of
    another key or version, or fails a check (it is then rebuilt by the caller).
    """
    path = _path(key)
    if path is None:
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(obj, dict) or obj.get("key") != key:
            return None
        return PiecewiseField.from_data(_data_from_json(obj), derive)
    except (OSError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError,
            AttributeError):
        return None


def store_field(key: Mapping[str, Any], field: PiecewiseField) -> bool:
    """Write ``field`` under ``key`` atomically; False when disabled or not writable."""
    # only a miss writes: a hit (the fast start) never loads tempfile and shutil (2.5 ms)
    from igproof.atomic import write_text_atomic

    path = _path(key)
    if path is None:
        return False
    data = field.to_data()
    obj = {
        "key": dict(key),
        "names": data["names"],
        "label": data["label"],
        "n_kinks": data["n_kinks"],
        "constant_signs": [[k, s] for k, s in sorted(data["constant_signs"].items())],
        "groups": data["groups"],
        "kink_program": (None if data["kink_program"] is None
                         else program_to_json(data["kink_program"])),
        "stepping": [{"pattern": list(p), "program": program_to_json(prog)}
                     for p, prog in sorted(data["stepping"].items())],
        "losses": [{"pattern": list(p), "program": program_to_json(prog)}
                   for p, prog in sorted(data["losses"].items())],
    }
    try:
        write_text_atomic(path, json.dumps(obj, separators=(",", ":")))
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Programs as JSON


def _q(value: Fraction) -> str:
    return fraction_to_text(value)


def _read_q(text: Any) -> Fraction:
    if not isinstance(text, str) or len(text) > 10_000:
        raise ValueError("cached field: a rational must be short 'p/q' text")
    num, _, den = text.partition("/")
    q = Fraction(int(num), int(den) if den else 1)  # int() accepts digits and a sign only
    return q


def program_to_json(program: TaylorProgram) -> dict[str, Any]:
    """``{"n_vars", "outputs", "nodes"}`` with rationals as text (see the module docstring)."""
    nodes: list[list[Any]] = []
    for node in program.nodes:
        op = node[0]
        if op == _CONST:
            nodes.append([op, _q(node[1])])
        elif op == _ADD:
            nodes.append([op, list(node[1])])
        elif op in (_SCALE, _POWQ):
            nodes.append([op, node[1], _q(node[2])])
        else:
            nodes.append(list(node))
    return {"n_vars": program.n_vars, "outputs": list(program.outputs), "nodes": nodes}


def _index(value: Any, below: int) -> int:
    if type(value) is not int or not 0 <= value < below:
        raise ValueError(f"cached field: node reference {value!r} is not an earlier node")
    return value


def program_from_json(obj: Any) -> TaylorProgram:
    """The program of :func:`program_to_json`, every node checked (ValueError if not)."""
    n_vars = obj["n_vars"]
    raw_nodes, raw_outputs = obj["nodes"], obj["outputs"]
    if type(n_vars) is not int or n_vars < 1 or not isinstance(raw_nodes, list):
        raise ValueError("cached field: bad program header")
    nodes: list[tuple] = []
    for idx, raw in enumerate(raw_nodes):
        if not isinstance(raw, list) or not raw or type(raw[0]) is not int:
            raise ValueError("cached field: a node must be [opcode, ...]")
        op = raw[0]
        if idx < n_vars:
            if raw != [_VAR, idx]:
                raise ValueError("cached field: the first nodes must be the variables in order")
            nodes.append((_VAR, idx))
            continue
        if op == _CONST and len(raw) == 2:
            nodes.append((_CONST, _read_q(raw[1])))
        elif op == _ADD and len(raw) == 2 and isinstance(raw[1], list) and raw[1]:
            nodes.append((_ADD, tuple(_index(a, idx) for a in raw[1])))
        elif op in (_SCALE, _POWQ) and len(raw) == 3:
            nodes.append((op, _index(raw[1], idx), _read_q(raw[2])))
        elif op == _MUL and len(raw) == 3:
            nodes.append((_MUL, _index(raw[1], idx), _index(raw[2], idx)))
        elif op in _UNARY and len(raw) == 2:
            nodes.append((op, _index(raw[1], idx)))
        else:
            raise ValueError(f"cached field: node {idx} {raw!r} is not a known operation")
    if not isinstance(raw_outputs, list) or not raw_outputs:
        raise ValueError("cached field: a program needs outputs")
    outputs = [_index(o, len(nodes)) for o in raw_outputs]
    return TaylorProgram(nodes, outputs, n_vars)


def _pattern(raw: Any, n_kinks: int) -> tuple[int, ...]:
    if not isinstance(raw, list) or len(raw) != n_kinks or any(s not in (1, -1) or
                                                               type(s) is not int for s in raw):
        raise ValueError("cached field: a pattern is a list of 1/-1, one per kink")
    return tuple(raw)


def _data_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The :meth:`PiecewiseField.from_data` data of a cache file (ValueError if malformed)."""
    names = obj["names"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError("cached field: bad parameter names")
    n_kinks = obj["n_kinks"]
    if type(n_kinks) is not int or n_kinks < 0:
        raise ValueError("cached field: bad kink count")
    groups = obj["groups"]
    if not isinstance(groups, list) or not all(
            isinstance(g, list) and g and all(type(k) is int and 0 <= k < n_kinks for k in g)
            for g in groups):
        raise ValueError("cached field: bad kink groups")
    constant_signs = {}
    for k, s in obj["constant_signs"]:
        if type(k) is not int or not 0 <= k < n_kinks or s not in (1, 0, -1):
            raise ValueError("cached field: bad constant kink sign")
        constant_signs[k] = int(s)
    kink_program = (None if obj["kink_program"] is None
                    else program_from_json(obj["kink_program"]))
    n = len(names)
    if (kink_program is None) != (not groups) or (
            kink_program is not None and (kink_program.n_vars != n
                                          or kink_program.n_outputs != len(groups))):
        raise ValueError("cached field: the kink program does not match the groups")
    stepping, losses = {}, {}
    for entry in obj["stepping"]:
        prog = program_from_json(entry["program"])
        if prog.n_vars != n or prog.n_outputs != n + len(groups):
            raise ValueError("cached field: a field program has the wrong size")
        stepping[_pattern(entry["pattern"], n_kinks)] = prog
    for entry in obj["losses"]:
        prog = program_from_json(entry["program"])
        if prog.n_vars != n or prog.n_outputs != 1:
            raise ValueError("cached field: a loss program has the wrong size")
        losses[_pattern(entry["pattern"], n_kinks)] = prog
    label = obj["label"]
    if not isinstance(label, str):
        raise ValueError("cached field: bad label")
    return {"names": names, "label": label, "n_kinks": n_kinks, "constant_signs": constant_signs,
            "groups": groups, "kink_program": kink_program, "stepping": stepping,
            "losses": losses}
