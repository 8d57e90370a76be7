"""Benchmark: one SNN gradient step, and the validated proof of the reduced limit.

1. One full-batch gradient step (forward, loss gradient, backward through the SVD, update) of
   the SNN of the paper's first experiment: n = 10, m = 75, channel widths [2, 2, 2, 2], tanh.
   - igproof: :func:`igproof.proof.spectral.sensing.gd_step` (channels batched: one stacked SVD
     per layer, einsum mixing, vectorized divided differences).
   - Baseline: a direct numpy implementation of the same network written here: Python loops over
     layers and channels, one SVD per matrix, the divided-difference matrix built entry by entry,
     the measurements <A_i, X> by a loop over i. Both compute the same gradient (checked to 1e-10
     relative before timing).
   Timing: best CPU time per step over REPEATS runs of STEPS steps each, interleaved.
   Ratio printed: baseline / igproof (> 1: igproof faster).
2. The reduced-ODE proof (n = 3; aim < 30 s): prove_reduced_limit on the catalogue instances
   UNIQUE (3 x 3 rank 2, 3 measurements), GAP (2 measurements), KKT; CPU seconds, validated steps,
   nuclear-gap certificate size and the time of `igproof check` on it in a fresh process (the
   checker memoizes replays within a process, so an in-process second check measures a cache).
   No cache is involved: each proof starts from the symbolic model.

Run: python benchmarks/bench_spectral.py   (about a minute on one core)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from igproof.proof.spectral.network import aligned_network, backward, forward
from igproof.proof.spectral.sensing import gd_step, paper_problem

REPEATS = 5
STEPS = 20


def _svd_backward_loop(p, s, rt, g):
    n = len(s)
    f, fp = np.tanh(s), 1 - np.tanh(s) ** 2
    gh = p.T @ g @ rt.T
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                m[i, i] = fp[i] * gh[i, i]
            else:
                den = s[j] ** 2 - s[i] ** 2
                a = (s[j] * f[j] - s[i] * f[i]) / den
                b = (s[i] * f[j] - s[j] * f[i]) / den
                m[i, j] = a * gh[i, j] + b * gh[j, i]
    return p @ m @ rt


def direct_step(U, V, alphas, mats, y, lr):
    """The same network and step, written directly (loops, one SVD per matrix)."""
    d0 = len(U)
    xs = [U[k] @ V[k].T for k in range(d0)]
    caches = []
    for alpha in alphas:
        acts, svds = [], []
        for x in xs:
            p, s, rt = np.linalg.svd(x)
            svds.append((p, s, rt))
            acts.append(p @ np.diag(np.tanh(s)) @ rt)
        caches.append((svds, acts))
        xs = [sum(alpha[k, j] * acts[k] for k in range(len(acts))) for j in range(alpha.shape[1])]
    out = xs[0]
    e = np.array([np.sum(a * out) for a in mats]) - y
    g = sum(ei * a for ei, a in zip(e, mats, strict=True)) / len(y)
    gl = [g]
    dalphas = [None] * len(alphas)
    for layer in range(len(alphas) - 1, -1, -1):
        svds, acts = caches[layer]
        alpha = alphas[layer]
        dalphas[layer] = np.array([[np.sum(gl[j] * acts[k]) for j in range(alpha.shape[1])]
                                   for k in range(alpha.shape[0])])
        gacts = [sum(alpha[k, j] * gl[j] for j in range(alpha.shape[1]))
                 for k in range(alpha.shape[0])]
        gl = [_svd_backward_loop(*svds[k], gacts[k]) for k in range(len(gacts))]
    dU = [gl[k] @ V[k] for k in range(d0)]
    dV = [gl[k].T @ U[k] for k in range(d0)]
    return ([U[k] - lr * dU[k] for k in range(d0)], [V[k] - lr * dV[k] for k in range(d0)],
            [a - lr * d for a, d in zip(alphas, dalphas, strict=True)], dU)


def bench_step():
    prob = paper_problem()
    ramp = 0.5 * (1 - np.arange(10) / 20)
    net = aligned_network(prob.phi, prob.psi, [2, 2, 2, 2], ramp, ramp)
    # perturb off the aligned set so that the SVDs are generic
    rng = np.random.default_rng(0)
    net.U += 0.01 * rng.standard_normal(net.U.shape)
    net.V += 0.01 * rng.standard_normal(net.V.shape)
    mats = list(prob.matrices)
    x, cache = forward(net)
    mine = backward(net, cache, prob.loss_gradient(x)).U
    theirs = np.array(direct_step(list(net.U), list(net.V), net.alphas, mats, prob.y, 0.0)[3])
    err = float(np.abs(mine - theirs).max() / np.abs(theirs).max())
    assert err < 1e-10, err
    best = {"igproof": np.inf, "direct": np.inf}
    lr = 1e-4
    for _ in range(REPEATS):
        work = net.copy()
        t = time.process_time()
        for _ in range(STEPS):
            gd_step(work, prob, lr)
        best["igproof"] = min(best["igproof"], (time.process_time() - t) / STEPS)
        u, v, al = list(net.U), list(net.V), [a.copy() for a in net.alphas]
        t = time.process_time()
        for _ in range(STEPS):
            u, v, al, _ = direct_step(u, v, al, mats, prob.y, lr)
        best["direct"] = min(best["direct"], (time.process_time() - t) / STEPS)
    print(f"SNN gradient step (n = 10, m = 75, [2,2,2,2]): igproof {best['igproof'] * 1e3:.2f} ms, "
          f"direct numpy {best['direct'] * 1e3:.2f} ms, ratio direct/igproof "
          f"{best['direct'] / best['igproof']:.2f} (gradients agree to {err:.1e})")


def bench_proofs():
    from igproof.certificate.spectral import nuclear_certificate
    from igproof.proof.spectral import instances
    from igproof.proof.spectral.reduced import prove_reduced_limit

    for name in ("UNIQUE", "GAP", "KKT"):
        problem = getattr(instances, name)
        t = time.process_time()
        flow, result = prove_reduced_limit(problem)
        proof = time.process_time() - t
        steps = sum(len(s.steps) for s in result.segments)
        t = time.process_time()
        made = nuclear_certificate(problem, result, flow)
        make = time.process_time() - t
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "c.json")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(made.text)
            t = time.perf_counter()
            rc = subprocess.run([sys.executable, "-m", "igproof", "check", path],
                                capture_output=True, check=False).returncode
            check = time.perf_counter() - t
        print(f"{name:6s} proof {proof:5.1f} s CPU ({steps} steps, verdict "
              f"{made.decision.verdict}); certificate {len(made.text) / 1e6:.2f} MB, built and "
              f"re-checked in-process {make:.1f} s CPU; `igproof check` in a fresh process "
              f"{check:.1f} s wall (exit {rc})")


if __name__ == "__main__":
    bench_step()
    bench_proofs()
