"""Models (parameter order, outputs) and exact datasets (validation, JSON round trip)."""

from fractions import Fraction

import pytest
import sympy

from igproof.errors import DataError, InvalidArgument
from igproof.rationals import loads_exact
from igproof.symbolic.activations import relu
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import Model, build_model


def test_parameter_orders():
    """The documented orders: (w), (a, w, b), (v_1..v_m, w_1 row by row, [b_1..b_m],
    [u_1..u_d, c])."""
    names = lambda m: [str(p) for p in m.parameters]  # noqa: E731
    assert names(build_model("relu-neuron", dim=2)) == ["w1", "w2"]
    assert names(build_model("neuron", dim=2, bias=True)) == ["a", "w1", "w2", "b"]
    assert names(build_model("two-layer", dim=2, width=2)) == [
        "v1", "v2", "w1_1", "w1_2", "w2_1", "w2_2"]
    assert names(build_model("two-layer", dim=2, width=2, bias=True)) == [
        "v1", "v2", "w1_1", "w1_2", "w2_1", "w2_2", "b1", "b2"]
    assert names(build_model("two-layer", dim=2, width=2, bias=True, skip=True)) == [
        "v1", "v2", "w1_1", "w1_2", "w2_1", "w2_2", "b1", "b2", "u1", "u2", "c"]


def test_outputs_at_exact_inputs():
    """f(x) at x = (1, -2) equals the formula written out by hand."""
    a, w1, w2, b = sympy.symbols("a w1 w2 b", real=True)
    m = build_model("neuron", dim=2, activation="tanh", bias=True)
    assert m.output([1, -2]) - a * sympy.tanh(w1 - 2 * w2 + b) == 0
    m = build_model("two-layer", dim=1, width=2)
    v1, v2, u1, u2 = sympy.symbols("v1 v2 w1_1 w2_1", real=True)
    assert m.output([Fraction(1, 2)]) - (v1 * relu(u1 / 2) + v2 * relu(u2 / 2)) == 0


def test_model_misuse_errors():
    """Wrong activation for relu-neuron, bad dim, unknown kind, bias or skip where none exists
    (two-layer takes both since issue 14)."""
    with pytest.raises(InvalidArgument, match="relu-neuron"):
        build_model("relu-neuron", dim=1, activation="tanh")
    with pytest.raises(InvalidArgument, match="dim"):
        build_model("neuron", dim=0)
    with pytest.raises(InvalidArgument, match="unknown model kind"):
        build_model("cnn", dim=1)
    with pytest.raises(InvalidArgument, match="bias"):
        build_model("relu-neuron", dim=1, bias=True)
    with pytest.raises(InvalidArgument, match="skip"):
        build_model("neuron", dim=1, skip=True)
    with pytest.raises(DataError, match="coordinates"):
        build_model("neuron", dim=2).output([1])


def test_from_expression():
    """A user model keeps its symbols; undeclared symbols are rejected."""
    p, q, x = sympy.symbols("p q x", real=True)
    m = Model.from_expression(p * q * x, [p, q], [x])
    assert m.output([3]) == 3 * p * q
    with pytest.raises(InvalidArgument, match="neither parameters nor inputs"):
        Model.from_expression(p * q * x, [p], [x])
    with pytest.raises(InvalidArgument, match="sympy expression"):
        Model.from_expression("p*x", [p], [x])


def test_dataset_validation_names_rows():
    """Empty, ragged, mismatched, non-finite and unreadable data raise DataError naming the row."""
    with pytest.raises(DataError, match="empty"):
        Dataset([], [])
    with pytest.raises(DataError, match=r"x\[1\]: ragged"):
        Dataset([[1, 2], [3]], [0, 0])
    with pytest.raises(DataError, match="2 input rows but 1 labels"):
        Dataset([[1], [2]], [0])
    with pytest.raises(DataError, match=r"x\[1\]\[0\]"):
        Dataset([[1], [float("nan")]], [0, 0])
    with pytest.raises(DataError, match=r"y\[0\]"):
        Dataset([[1]], ["abc"])
    with pytest.raises(DataError, match="dimension 2"):
        Dataset([[1]], [0]).check_dim(2)


def test_dataset_json_round_trip_is_exact():
    """Decimals in JSON text are read exactly (0.1 = 1/10) and written back as p/q text."""
    obj = loads_exact('{"x": [[0.1, "2/3"], [1, 2]], "y": ["1e-3", 0]}')
    data = Dataset.from_json(obj)
    assert data.x[0] == (Fraction(1, 10), Fraction(2, 3))
    assert data.y[0] == Fraction(1, 1000)
    assert data.to_json() == {"x": [["1/10", "2/3"], ["1", "2"]], "y": ["1/1000", "0"]}
    assert Dataset.from_json(data.to_json()) == data
    with pytest.raises(DataError, match="missing"):
        Dataset.from_json({"x": [[1]]})


def test_dataset_is_a_multiset():
    """Repeated points are kept (n counts them) but the support has one copy."""
    data = Dataset([[1], [1], [2]], [0, 0, 1])
    assert data.n == 3 and len(data.support()) == 2
    assert data.multiplicities()[((Fraction(1),), Fraction(0))] == 2


def test_dataset_from_numpy_reads_shortest_decimal():
    """numpy input is accepted; a float entry is read by its shortest repr (0.1 -> 1/10)."""
    import numpy

    data = Dataset(numpy.array([[0.1, 2.0], [1.0, 0.5]]), numpy.array([0.25, 0.0]))
    assert data.x[0] == (Fraction(1, 10), Fraction(2))
    assert data.y == (Fraction(1, 4), Fraction(0))
    data = Dataset([[numpy.float64(0.1)]], [numpy.int64(3)])
    assert data.x[0][0] == Fraction(1, 10) and data.y[0] == 3


def test_public_names_exist():
    """Every name in each symbolic module's __all__ exists (the public API is real)."""
    import importlib

    for name in ("activations", "models", "dataset", "loss", "flow", "conserved", "zero_loss",
                 "exactness"):
        module = importlib.import_module(f"igproof.symbolic.{name}")
        assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
