"""Spectral neural networks and matrix sensing (Chu, Ghosh, Lam, Mukherjee 2024, arXiv 2402.17595).

One job per module (mathematics only: no certificate writing, no command line):

- :mod:`.activation`  the spectral activation sigma(Q) = P diag(sigma(s)) R^T and its
  (in)dependence on the SVD chosen;
- :mod:`.network`     the SNN forward pass and its gradient through the SVD (numpy);
- :mod:`.sensing`     matrix-sensing problems y_i = <A_i, X*>, the loss, gradient descent;
- :mod:`.reduced`     the well-specified reduction to an ODE over (u, v), as an igproof model;
- :mod:`.nuclear`     the minimal nuclear norm as an exact l1 program (vertex + dual), and the
  minimality decision on a proved limit ball;
- :mod:`.rate`        exponential upper and lower loss bounds from an enclosure.

See docs/spectral.md (what is igproof's own derivation: only the paper's abstract is available).
"""
