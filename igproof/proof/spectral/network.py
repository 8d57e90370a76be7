"""The spectral neural network (SNN): X^(0)_k = U_k V_k^T, X^(l+1)_j = sum_k alpha^(l)_kj
sigma(X^(l)_k), output X = X^(L)_1 (last width 1); forward pass and gradient through the SVD.

Gradient of a spectral function F(Q) = P diag(f(s)) R^T (Q = P diag(s) R^T, full SVD of a square
matrix, distinct singular values): with G = dL/dF and G^ = P^T G R,

    dL/dQ = P M R^T,  M_ii = f'(s_i) G^_ii,  M_ij = a_ij G^_ij + b_ij G^_ji  (i != j),
    a_ij = (s_j f(s_j) - s_i f(s_i)) / (s_j^2 - s_i^2),
    b_ij = (s_i f(s_j) - s_j f(s_i)) / (s_j^2 - s_i^2),

derived from P^T dQ R = Omega_P S + dS - S Omega_R (igproof's derivation; tested against finite
differences). Where s_i = s_j the continuous extensions a = (f + s f')/(2 s), b = (s f' - f)/(2 s)
(a = f'(0), b = 0 at s = 0) are used; only the distinct case is claimed and tested.
Guarantee: approximate (float).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from igproof.errors import InvalidArgument
from igproof.proof.spectral.activation import numpy_activation

# Relative gap below which two singular values are treated as equal (the divided differences
# a_ij, b_ij are replaced by their limits): 1e-7 keeps the cancellation error near 1e-9.
COINCIDENT = 1e-7


@dataclass
class SNN:
    """Parameters of an SNN: U, V of shape (d_0, n, n) and alphas[l] of shape (d_l, d_(l+1)),
    the last of shape (d_(L-1), 1)."""

    U: np.ndarray
    V: np.ndarray
    alphas: list[np.ndarray]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        numpy_activation(self.activation)
        if self.U.ndim != 3 or self.U.shape != self.V.shape or self.U.shape[1] != self.U.shape[2]:
            raise InvalidArgument(f"U, V: expected equal shapes (d_0, n, n), got {self.U.shape} "
                                  f"and {self.V.shape}")
        width = self.U.shape[0]
        for layer, alpha in enumerate(self.alphas):
            if alpha.ndim != 2 or alpha.shape[0] != width:
                raise InvalidArgument(f"alphas[{layer}]: expected {width} rows, got shape "
                                      f"{alpha.shape}")
            width = alpha.shape[1]
        if not self.alphas or width != 1:
            raise InvalidArgument("alphas: the last layer must have width 1")

    @property
    def widths(self) -> list[int]:
        """[d_0, ..., d_(L-1)] (the channel widths; the output width 1 is implicit)."""
        return [a.shape[0] for a in self.alphas]

    def copy(self) -> SNN:
        return SNN(self.U.copy(), self.V.copy(), [a.copy() for a in self.alphas],
                   self.activation)


@dataclass
class Gradient:
    """dL/dU, dL/dV, dL/dalpha[l] (same shapes as the parameters)."""

    U: np.ndarray
    V: np.ndarray
    alphas: list[np.ndarray]


def spectral_backward(p: np.ndarray, s: np.ndarray, rt: np.ndarray, g: np.ndarray,
                      activation: str = "tanh") -> np.ndarray:
    """dL/dQ = P M R^T for F(Q) = P diag(f(s)) R^T and G = dL/dF (stacks of square matrices).

    See the module docstring for M. Guarantee: approximate (float).
    """
    f, fp = numpy_activation(activation)
    fs, fps = f(s), fp(s)
    gh = np.swapaxes(p, -1, -2) @ g @ np.swapaxes(rt, -1, -2)
    si, sj = s[..., :, None], s[..., None, :]
    fi, fj = fs[..., :, None], fs[..., None, :]
    den = sj * sj - si * si
    scale = np.maximum(np.abs(si) + np.abs(sj), 1e-300)
    close = np.abs(sj - si) <= COINCIDENT * scale
    safe = np.where(close, 1.0, den)
    a = (sj * fj - si * fi) / safe
    b = (si * fj - sj * fi) / safe
    # coincident values: the limits, with s -> 0 handled by f'(0)
    sbar = 0.5 * (si + sj)
    fbar, fpbar = f(sbar), fp(sbar)
    tiny = sbar <= 1e-12
    sb = np.where(tiny, 1.0, sbar)
    a_lim = np.where(tiny, fpbar, (fbar + sbar * fpbar) / (2 * sb))
    b_lim = np.where(tiny, 0.0, (sbar * fpbar - fbar) / (2 * sb))
    a = np.where(close, a_lim, a)
    b = np.where(close, b_lim, b)
    m = a * gh + b * np.swapaxes(gh, -1, -2)
    n = s.shape[-1]
    idx = np.arange(n)
    m[..., idx, idx] = fps * gh[..., idx, idx]
    return p @ m @ rt


def forward(net: SNN) -> tuple[np.ndarray, list]:
    """The output X (n x n) and the cache for :func:`backward`."""
    f, _ = numpy_activation(net.activation)
    x = net.U @ np.swapaxes(net.V, -1, -2)
    cache = []
    for alpha in net.alphas:
        p, s, rt = np.linalg.svd(x)
        act = (p * f(s)[..., None, :]) @ rt
        cache.append((p, s, rt, act))
        x = np.einsum("kj,kab->jab", alpha, act)
    return x[0], cache


def backward(net: SNN, cache: list, g: np.ndarray) -> Gradient:
    """The gradient of L at ``net`` given G = dL/dX (X the output)."""
    gl = g[None]
    dalphas: list[np.ndarray] = [np.empty(0)] * len(net.alphas)
    for layer in range(len(net.alphas) - 1, -1, -1):
        p, s, rt, act = cache[layer]
        alpha = net.alphas[layer]
        dalphas[layer] = np.einsum("jab,kab->kj", gl, act)
        g_act = np.einsum("kj,jab->kab", alpha, gl)
        gl = spectral_backward(p, s, rt, g_act, net.activation)
    du = gl @ net.V
    dv = np.swapaxes(gl, -1, -2) @ net.U
    return Gradient(du, dv, dalphas)


def aligned_network(phi: np.ndarray, psi: np.ndarray, widths: Sequence[int],
                    u0: np.ndarray, v0: np.ndarray, *, g: np.ndarray | None = None,
                    alphas: Sequence[np.ndarray] | None = None, activation: str = "tanh",
                    seed: int = 0) -> SNN:
    """The aligned initialization U_k = Phi diag(u0) G, V_k = Psi diag(v0) G for every channel k
    of the first layer; alphas given, or uniform [0, 1) / d_l from ``seed`` (igproof's choice:
    the paper's mixing initialization is not in the abstract)."""
    n = phi.shape[0]
    widths = list(widths)
    if not widths or any(int(w) < 1 for w in widths):
        raise InvalidArgument(f"widths: expected positive channel widths, got {widths}")
    g = np.eye(n) if g is None else np.asarray(g, float)
    u = phi @ np.diag(np.asarray(u0, float)) @ g
    v = psi @ np.diag(np.asarray(v0, float)) @ g
    d0 = widths[0]
    if alphas is None:
        rng = np.random.default_rng(seed)
        outs = [*widths[1:], 1]
        alphas = [rng.uniform(0.0, 1.0, (w, o)) / w for w, o in zip(widths, outs, strict=True)]
    return SNN(np.repeat(u[None], d0, 0), np.repeat(v[None], d0, 0),
               [np.asarray(a, float) for a in alphas], activation)
