"""Public Hypothesis strategies of igproof, for property-based suites about implicit bias.

Re-exported from :mod:`igproof.search.strategies` (the implementation may move; this name is
the stable one). Every number a strategy draws that enters the mathematics is an exact
``Fraction`` with a bounded denominator; see ``docs/search.md``. The strategies draw igproof's
one dataset type and one model type, :class:`igproof.Dataset` and :class:`igproof.Model`, which
the flow API (:func:`igproof.gradient_flow`, :func:`igproof.flow_limit`) takes as they are.

>>> from hypothesis import given
>>> from igproof.strategies import datasets
>>> @given(datasets(dim=2, max_size=3))
... def test_sizes(dataset):
...     assert 1 <= dataset.n <= 3
"""

from igproof.search.strategies import (
    activations,
    datasets,
    flow_examples,
    initialization_scales,
    initializations,
    models,
    rationals,
    regularizer_expressions,
    regularizer_names,
)

__all__ = [
    "activations",
    "datasets",
    "flow_examples",
    "initialization_scales",
    "initializations",
    "models",
    "rationals",
    "regularizer_expressions",
    "regularizer_names",
]
