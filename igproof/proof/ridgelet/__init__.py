"""Ridgelet analysis of two-layer networks (Sonoda, Ishikawa, Ikeda 2021; docs/ridgelet.md).

One job per module:

- :mod:`.functions`      activations sigma and ridgelet functions rho with their Fourier transforms
- :mod:`.admissibility`  the admissibility constant K: exact, enclosure, Fourier-free second route
- :mod:`.transform`      the ridgelet transform R[f; rho], its dual S, the reconstruction check
- :mod:`.lazy`           the lazy-regime identity c_j = gamma_{beta,p}(a_j, b_j) and the width limit
- :mod:`.trained`        all parameters trained by gradient descent, compared with the spectrum
- :mod:`.plots`          figures (matplotlib, written atomically)

Conventions: f^(w) = int f(z) e^{-i z w} dz; R[f; rho](a, b) = int f(x) conj(rho(a.x - b)) dx;
S[gamma](x) = int int gamma(a, b) sigma(a.x - b) da db;
K = (2 pi)^(m-1) int sigma^(w) conj(rho^(w)) |w|^(-m) dw.
"""
