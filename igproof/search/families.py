"""Batched float evaluation of the model families the search explores.

Two families (SPEC sections 1 and 2), square loss L(theta) = (1/2n) sum_i (f(x_i; theta) - y_i)^2:

- ``relu-neuron``: f(x; w) = relu(w . x), parameters theta = w (d entries);
- ``neuron``: f(x; a, w) = a * sigma(w . x) with sigma = relu or tanh, parameters
  theta = (a, w_1, ..., w_d).

A bias is not built in: append a constant input coordinate to the data instead. Every function
here works on a *batch* of examples of the same shape, arrays with a leading batch axis B:
``theta`` (B, p), ``x`` (B, n, d), ``y`` (B, n). ReLU follows the convention relu'(0) = 0.

Guarantee: none (IEEE double arithmetic). This module serves the fast search surrogate only;
the rigorous layers derive their fields symbolically.

:class:`SurrogateModel` is not a second model type for users: it is the search's internal float
view of the one model type :class:`igproof.symbolic.models.Model`, made with
:meth:`SurrogateModel.from_model` (or :func:`as_surrogate`) and turned back with
:meth:`SurrogateModel.to_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument
from igproof.symbolic.models import Model, build_model

MODEL_KINDS = ("relu-neuron", "neuron")
ACTIVATIONS = ("relu", "tanh")


@dataclass(frozen=True)
class SurrogateModel:
    """One model family in fixed input dimension: ``kind``, ``activation`` and ``dim``.

    >>> SurrogateModel("neuron", "tanh", 2).parameter_names
    ('a', 'w1', 'w2')
    """

    kind: str
    activation: str
    dim: int

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise InvalidArgument(f"model_kind: unknown model {self.kind!r}; "
                                  f"use one of {', '.join(MODEL_KINDS)}")
        if self.activation not in ACTIVATIONS:
            raise InvalidArgument(f"activation: unknown activation {self.activation!r}; "
                                  f"use one of {', '.join(ACTIVATIONS)}")
        if self.kind == "relu-neuron" and self.activation != "relu":
            raise InvalidArgument(f"activation: the relu-neuron model has activation relu, "
                                  f"got {self.activation!r}; use model 'neuron' for "
                                  f"a * {self.activation}(w . x)")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise InvalidArgument(f"dim: expected a positive integer, got {self.dim!r}")

    @classmethod
    def from_model(cls, model: Model) -> SurrogateModel:
        """The float view of a built ``relu-neuron`` or ``neuron`` model (relu or tanh, no bias).

        >>> SurrogateModel.from_model(build_model("neuron", dim=2, activation="tanh"))
        SurrogateModel(kind='neuron', activation='tanh', dim=2)
        """
        if not isinstance(model, Model):
            raise InvalidArgument(f"model: expected an igproof Model (build_model), got "
                                  f"{model!r}")
        act = model.activation.name if model.activation is not None else None
        if model.kind not in MODEL_KINDS or act not in ACTIVATIONS or model.bias \
                or model.width != 1:
            raise InvalidArgument(f"model: the search integrates build_model('relu-neuron') "
                                  f"and build_model('neuron', activation='relu' or 'tanh') "
                                  f"without bias, got {model!r}")
        return _surrogate(model.kind, act, model.dim)

    def to_model(self) -> Model:
        """The symbolic model this view evaluates (built once per family and cached)."""
        return _model(self.kind, self.activation, self.dim)

    @property
    def n_params(self) -> int:
        """Number of parameters p (d for relu-neuron, d + 1 for neuron)."""
        return self.dim + (1 if self.kind == "neuron" else 0)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the entries of theta, in order."""
        w = tuple(f"w{k + 1}" for k in range(self.dim))
        return ("a", *w) if self.kind == "neuron" else w

    @property
    def piecewise(self) -> bool:
        """True when the flow is a piecewise-smooth system with kinks at w . x_i = 0."""
        return self.activation == "relu"

    @property
    def homogeneous(self) -> bool:
        """True when a^2 - |w|^2 is conserved by gradient flow (positively homogeneous sigma)."""
        return self.kind == "neuron" and self.activation == "relu"

    # ----------------------------------------------------------------------------------------
    def _split(self, theta: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if self.kind == "neuron":
            return theta[:, 0], theta[:, 1:]
        return None, theta

    def _sigma(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sigma(z) and sigma'(z) (relu'(0) = 0)."""
        if self.activation == "relu":
            active = z > 0.0
            return np.where(active, z, 0.0), active.astype(z.dtype)
        s = np.tanh(z)
        return s, 1.0 - s * s

    def pre_activations(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """z_i = w . x_i, shape (B, n)."""
        _, w = self._split(theta)
        return (x @ w[:, :, None])[:, :, 0]

    def outputs(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """f(x_i; theta), shape (B, n)."""
        a, w = self._split(theta)
        s, _ = self._sigma((x @ w[:, :, None])[:, :, 0])
        return s if a is None else a[:, None] * s

    def loss_and_gradient(self, theta: np.ndarray, x: np.ndarray,
                          y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """L(theta) = (1/2n) sum_i r_i^2 and grad L, shapes (B,) and (B, p)."""
        a, w = self._split(theta)
        n = x.shape[1]
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
        crosses without any jump.
        """
        if not self.piecewise:
            return np.zeros(y.shape)
        a, _ = self._split(theta)
        size = np.abs(y) * np.linalg.norm(x, axis=2) / x.shape[1]
        return size if a is None else np.abs(a)[:, None] * size


@lru_cache(maxsize=64)
def _surrogate(kind: str, activation: str, dim: int) -> SurrogateModel:
    return SurrogateModel(kind, activation, dim)


@lru_cache(maxsize=64)
def _model(kind: str, activation: str, dim: int) -> Model:
    return build_model(kind, dim=dim, activation=activation)


def model_family(kind: str, activation: str, dim: int) -> Model:
    """``build_model(kind, dim=dim, activation=activation)`` for a family the search explores,
    validated as such and cached (Hypothesis draws the same few families over and over)."""
    return _surrogate(kind, activation, dim).to_model()


def as_surrogate(model: Any) -> SurrogateModel:
    """The search's float view of ``model``: a :class:`Model` is converted with
    :meth:`SurrogateModel.from_model`; a view is returned as it is."""
    if isinstance(model, SurrogateModel):
        return model
    return SurrogateModel.from_model(model)
