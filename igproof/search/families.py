"""Batched float evaluation of the model families the search explores.

Three families (SPEC sections 1-3), square loss L(theta) = (1/2n) sum_i (f(x_i; theta) - y_i)^2,
sigma = relu, tanh or leaky relu (slope :data:`LEAKY_SLOPE`), parameters in the order of
:func:`igproof.symbolic.models.build_model`:

- ``relu-neuron``: f(x; w) = relu(w . x), theta = w (d entries);
- ``neuron``: f(x; a, w) = a * sigma(w . x), theta = (a, w_1, ..., w_d);
- ``two-layer``: f(x) = sum_j v_j sigma(w_j . x [+ b_j]) [+ u . x + c], theta = (v_1..v_m,
  w_1 row by row, [b_1..b_m], [u_1..u_d, c]) (``width`` m, ``bias``, ``skip``; with both the
  architecture of Boursier & Flammarion 2023).

The neurons have no bias (append a constant input coordinate to the data instead). Every
function here works on a *batch* of examples of the same shape, arrays with a leading batch
axis B: ``theta`` (B, p), ``x`` (B, n, d), ``y`` (B, n). ReLU follows the convention
relu'(0) = 0 (leaky relu: sigma'(0) = slope). The implicit-bias (KKT) search covers
:data:`MODEL_KINDS` with relu and tanh; the two-layer family and leaky relu are integrated
and drawn (e.g. for Overlapping searches) but have no KKT violation
(:func:`implicit_bias_family` refuses them by name).

Guarantee: none (IEEE double arithmetic). This module serves the fast search surrogate only;
the rigorous layers derive their fields symbolically.

:class:`SurrogateModel` is not a second model type for users: it is the search's internal float
view of the one model type :class:`igproof.symbolic.models.Model`, made with
:meth:`SurrogateModel.from_model` (or :func:`as_surrogate`) and turned back with
:meth:`SurrogateModel.to_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument
from igproof.symbolic.models import Model, build_model

# The families of the implicit-bias (KKT violation) search, and all families the surrogate
# integrates.
MODEL_KINDS = ("relu-neuron", "neuron")
FLOW_KINDS = ("relu-neuron", "neuron", "two-layer")
# The activations of the implicit-bias search (strategies.activations draws from these), and all
# activations the surrogate integrates (leaky relu serves the Overlapping search).
ACTIVATIONS = ("relu", "tanh")
FLOW_ACTIVATIONS = (*ACTIVATIONS, "leaky-relu")
# The leaky relu slope the surrogate integrates: the symbolic default (activations.py), 1/100.
LEAKY_SLOPE = 0.01
LEAKY_SLOPE_EXACT = Fraction(1, 100)


@dataclass(frozen=True)
class SurrogateModel:
    """One model family in fixed input dimension: ``kind``, ``activation``, ``dim`` and, for
    ``two-layer``, ``width``, ``bias`` and ``skip``.

    >>> SurrogateModel("neuron", "tanh", 2).parameter_names
    ('a', 'w1', 'w2')
    >>> SurrogateModel("two-layer", "relu", 1, width=2, bias=True, skip=True).parameter_names
    ('v1', 'v2', 'w1_1', 'w2_1', 'b1', 'b2', 'u1', 'c')
    """

    kind: str
    activation: str
    dim: int
    width: int = 1
    bias: bool = False
    skip: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FLOW_KINDS:
            raise InvalidArgument(f"model_kind: unknown model {self.kind!r}; "
                                  f"use one of {', '.join(FLOW_KINDS)}")
        if self.activation not in FLOW_ACTIVATIONS:
            raise InvalidArgument(f"activation: unknown activation {self.activation!r}; "
                                  f"use one of {', '.join(FLOW_ACTIVATIONS)}")
        if self.kind == "relu-neuron" and self.activation != "relu":
            raise InvalidArgument(f"activation: the relu-neuron model has activation relu, "
                                  f"got {self.activation!r}; use model 'neuron' for "
                                  f"a * {self.activation}(w . x)")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise InvalidArgument(f"dim: expected a positive integer, got {self.dim!r}")
        if isinstance(self.width, bool) or not isinstance(self.width, int) or self.width < 1:
            raise InvalidArgument(f"width: expected a positive integer, got {self.width!r}")
        for name, flag in (("bias", self.bias), ("skip", self.skip)):
            if not isinstance(flag, bool):
                raise InvalidArgument(f"{name}: expected True or False, got {flag!r}")
        if self.kind != "two-layer" and (self.width != 1 or self.bias or self.skip):
            raise InvalidArgument(f"width/bias/skip: only the two-layer family has them; the "
                                  f"{self.kind} family is width 1 without bias")

    @classmethod
    def from_model(cls, model: Model) -> SurrogateModel:
        """The float view of a built ``relu-neuron`` or ``neuron`` model (relu, tanh or leaky relu
        of slope 1/100, no bias) or ``two-layer`` model (the same activations, any width, with or
        without bias and skip part).

        >>> SurrogateModel.from_model(build_model("neuron", dim=2, activation="tanh"))
        SurrogateModel(kind='neuron', activation='tanh', dim=2, width=1, bias=False, skip=False)
        """
        if not isinstance(model, Model):
            raise InvalidArgument(f"model: expected an igproof Model (build_model), got "
                                  f"{model!r}")
        act = model.activation.name if model.activation is not None else None
        two_layer = model.kind == "two-layer"
        slope_ok = act != "leaky-relu" or (
            model.activation.options.get("slope") == LEAKY_SLOPE_EXACT)
        if model.kind not in FLOW_KINDS or act not in FLOW_ACTIVATIONS or not slope_ok or (
                not two_layer and (model.bias or model.width != 1)):
            raise InvalidArgument(f"model: the search integrates build_model('relu-neuron'), "
                                  f"build_model('neuron', activation='relu', 'tanh' or "
                                  f"'leaky-relu' (slope 1/100)) without bias and "
                                  f"build_model('two-layer', activation=one of these, ...), "
                                  f"got {model!r}")
        return _surrogate(model.kind, act, model.dim, model.width, model.bias, model.skip)

    def to_model(self) -> Model:
        """The symbolic model this view evaluates (built once per family and cached)."""
        return _model(self.kind, self.activation, self.dim, self.width, self.bias, self.skip)

    @property
    def n_params(self) -> int:
        """Number of parameters p: d (relu-neuron), d + 1 (neuron), m + m d [+ m] [+ d + 1]
        (two-layer with [bias] [skip])."""
        if self.kind == "two-layer":
            m, d = self.width, self.dim
            return m + m * d + (m if self.bias else 0) + (d + 1 if self.skip else 0)
        return self.dim + (1 if self.kind == "neuron" else 0)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the entries of theta, in order (those of build_model)."""
        if self.kind == "two-layer":
            m, d = self.width, self.dim
            names = [f"v{j + 1}" for j in range(m)]
            names += [f"w{j + 1}_{k + 1}" for j in range(m) for k in range(d)]
            if self.bias:
                names += [f"b{j + 1}" for j in range(m)]
            if self.skip:
                names += [f"u{k + 1}" for k in range(d)] + ["c"]
            return tuple(names)
        w = tuple(f"w{k + 1}" for k in range(self.dim))
        return ("a", *w) if self.kind == "neuron" else w

    @property
    def piecewise(self) -> bool:
        """True when the flow is a piecewise-smooth system with kinks at w . x_i [+ b] = 0."""
        return self.activation in ("relu", "leaky-relu")

    @property
    def homogeneous(self) -> bool:
        """True when a^2 - |w|^2 (neuron) or |w_j|^2 [+ b_j^2] - v_j^2 (two-layer, each unit) is
        conserved by gradient flow (positively homogeneous sigma)."""
        return self.kind in ("neuron", "two-layer") and self.piecewise

    # -- the two-layer family ----------------------------------------------------------------
    def _two_layer_parts(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """(v (B, m), W (B, m, d), b (B, m), u (B, d), c (B,)); b, u, c zero when absent."""
        m, d = self.width, self.dim
        batch = theta.shape[0]
        v = theta[:, :m]
        w = theta[:, m:m + m * d].reshape(batch, m, d)
        k = m + m * d
        if self.bias:
            b = theta[:, k:k + m]
            k += m
        else:
            b = np.zeros((batch, m))
        if self.skip:
            u, c = theta[:, k:k + d], theta[:, k + d]
        else:
            u, c = np.zeros((batch, d)), np.zeros(batch)
        return v, w, b, u, c

    def _unit_pre_activations(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """z_ij = w_j . x_i [+ b_j], shape (B, n, m)."""
        _, w, b, _, _ = self._two_layer_parts(theta)
        return x @ w.transpose(0, 2, 1) + b[:, None, :]

    def _two_layer_outputs_and_rows(self, theta: np.ndarray, x: np.ndarray,
                                    rows: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """f(x_i), shape (B, n), and (when ``rows``) grad_theta f(x_i), shape (B, n, p)."""
        v, w, b, u, c = self._two_layer_parts(theta)
        z = x @ w.transpose(0, 2, 1) + b[:, None, :]
        s, ds = self._sigma(z)
        f = (s * v[:, None, :]).sum(axis=2) + (x @ u[:, :, None])[:, :, 0] + c[:, None]
        if not rows:
            return f, None
        batch, n = x.shape[:2]
        m, d = self.width, self.dim
        out = np.empty((batch, n, self.n_params))
        out[:, :, :m] = s
        vds = v[:, None, :] * ds  # (B, n, m): d f / d z_ij
        out[:, :, m:m + m * d] = (vds[:, :, :, None] * x[:, :, None, :]).reshape(batch, n, m * d)
        k = m + m * d
        if self.bias:
            out[:, :, k:k + m] = vds
            k += m
        if self.skip:
            out[:, :, k:k + d] = x
            out[:, :, k + d] = 1.0
        return f, out

    # ----------------------------------------------------------------------------------------
    def _split(self, theta: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if self.kind == "neuron":
            return theta[:, 0], theta[:, 1:]
        return None, theta

    def _sigma(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sigma(z) and sigma'(z) (relu'(0) = 0; leaky relu: s z and s for z <= 0)."""
        if self.activation == "relu":
            active = z > 0.0
            return np.where(active, z, 0.0), active.astype(z.dtype)
        if self.activation == "leaky-relu":
            active = z > 0.0
            return np.where(active, z, LEAKY_SLOPE * z), np.where(active, 1.0, LEAKY_SLOPE)
        s = np.tanh(z)
        return s, 1.0 - s * s

    def pre_activations(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """z_i = w . x_i, shape (B, n); two-layer: z_ij = w_j . x_i [+ b_j] flattened point-major
        (index i m + j, the order of the symbolic kinks), shape (B, n m)."""
        if self.kind == "two-layer":
            z = self._unit_pre_activations(theta, x)
            return z.reshape(z.shape[0], -1)
        _, w = self._split(theta)
        return (x @ w[:, :, None])[:, :, 0]

    def outputs(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """f(x_i; theta), shape (B, n)."""
        if self.kind == "two-layer":
            return self._two_layer_outputs_and_rows(theta, x, rows=False)[0]
        a, w = self._split(theta)
        s, _ = self._sigma((x @ w[:, :, None])[:, :, 0])
        return s if a is None else a[:, None] * s

    def loss_and_gradient(self, theta: np.ndarray, x: np.ndarray,
                          y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """L(theta) = (1/2n) sum_i r_i^2 and grad L, shapes (B,) and (B, p)."""
        n = x.shape[1]
        if self.kind == "two-layer":
            f, rows = self._two_layer_outputs_and_rows(theta, x, rows=True)
            r = f - y
            return 0.5 * (r * r).sum(axis=1) / n, np.einsum("bn,bnp->bp", r, rows) / n
        a, w = self._split(theta)
        s, ds = self._sigma((x @ w[:, :, None])[:, :, 0])
        if a is None:
            r = s - y
            grad = ((r * ds)[:, None, :] @ x)[:, 0, :] / n
        else:
            r = a[:, None] * s - y
            grad = np.empty_like(theta)
            grad[:, 0] = (r * s).sum(axis=1) / n
            grad[:, 1:] = ((a[:, None] * r * ds)[:, None, :] @ x)[:, 0, :] / n
        return 0.5 * (r * r).sum(axis=1) / n, grad

    def field(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The gradient-flow field -grad L(theta), shape (B, p)."""
        return -self.loss_and_gradient(theta, x, y)[1]

    def residual_gradients(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Rows grad_theta f(x_i; theta), shape (B, n, p) (relu'(0) = 0)."""
        if self.kind == "two-layer":
            rows = self._two_layer_outputs_and_rows(theta, x, rows=True)[1]
            assert rows is not None
            return rows
        a, w = self._split(theta)
        s, ds = self._sigma((x @ w[:, :, None])[:, :, 0])
        if a is None:
            return ds[:, :, None] * x
        rows = np.empty((*x.shape[:2], self.n_params))
        rows[:, :, 0] = s
        rows[:, :, 1:] = (a[:, None] * ds)[:, :, None] * x
        return rows

    def kink_jumps(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """|jump of the field| when w . x_i crosses 0, shape (B, n); zero for smooth models.

        At z_i = 0 the residual is r_i = -y_i, and point i adds (1/n) y_i x_i (relu-neuron) or
        (a/n) y_i x_i (neuron, w part) to the field when it becomes active: a label-0 point
        crosses without any jump. Two-layer: unit j at point i switches the (w_j, b_j) part
        of the field by (1/n) r_i v_j (x_i [, 1]), with r_i the residual at theta (the other
        units still act at the kink), shape (B, n m) in the order of :meth:`pre_activations`.
        Leaky relu: sigma' jumps by 1 - slope instead of 1, so every jump is (1 - slope) times.
        """
        jump = 1.0 - LEAKY_SLOPE if self.activation == "leaky-relu" else 1.0
        if self.kind == "two-layer":
            if not self.piecewise:
                return np.zeros((y.shape[0], y.shape[1] * self.width))
            v = theta[:, :self.width]
            r = self.outputs(theta, x) - y
            norms = np.sqrt(np.sum(x * x, axis=2) + (1.0 if self.bias else 0.0))
            size = (jump * np.abs(r) * norms / x.shape[1])[:, :, None] * np.abs(v)[:, None, :]
            return size.reshape(size.shape[0], -1)
        if not self.piecewise:
            return np.zeros(y.shape)
        a, _ = self._split(theta)
        size = jump * np.abs(y) * np.linalg.norm(x, axis=2) / x.shape[1]
        return size if a is None else np.abs(a)[:, None] * size


@lru_cache(maxsize=64)
def _surrogate(kind: str, activation: str, dim: int, width: int = 1, bias: bool = False,
               skip: bool = False) -> SurrogateModel:
    return SurrogateModel(kind, activation, dim, width, bias, skip)


@lru_cache(maxsize=64)
def _model(kind: str, activation: str, dim: int, width: int = 1, bias: bool = False,
           skip: bool = False) -> Model:
    return build_model(kind, dim=dim, activation=activation, width=width, bias=bias, skip=skip)


def model_family(kind: str, activation: str, dim: int, *, width: int = 1, bias: bool = False,
                 skip: bool = False) -> Model:
    """``build_model(kind, dim=dim, activation=activation, width=.., bias=.., skip=..)`` for a
    family the search explores, validated as such and cached (Hypothesis draws the same few
    families over and over)."""
    return _surrogate(kind, activation, dim, width, bias, skip).to_model()


def as_surrogate(model: Any) -> SurrogateModel:
    """The search's float view of ``model``: a :class:`Model` is converted with
    :meth:`SurrogateModel.from_model`; a view is returned as it is."""
    if isinstance(model, SurrogateModel):
        return model
    return SurrogateModel.from_model(model)


def implicit_bias_family(model: Any) -> SurrogateModel:
    """:func:`as_surrogate` for the implicit-bias (KKT violation) search, which covers the
    :data:`MODEL_KINDS` only; a two-layer model is refused by name."""
    view = as_surrogate(model)
    if view.kind not in MODEL_KINDS:
        raise InvalidArgument(f"model: the implicit-bias search (KKT violation, certificates of "
                              f"non-minimality) covers {', '.join(MODEL_KINDS)}, not "
                              f"{view.kind!r}")
    if view.activation not in ACTIVATIONS:
        raise InvalidArgument(f"model: the implicit-bias search (KKT violation) covers the "
                              f"activations {', '.join(ACTIVATIONS)}, not {view.activation!r}")
    return view
