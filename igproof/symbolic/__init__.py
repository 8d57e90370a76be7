"""Symbolic layer: exact sympy objects (activations, models, datasets, losses, gradient flows)."""
