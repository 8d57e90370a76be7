"""Numeric layer: float, high-precision (mpmath) and ball (python-flint arb) integrators."""
