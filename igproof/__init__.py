"""igproof: check theorems about the implicit regularization of neural networks.

The package is layered (see ``docs/architecture.md``): ``symbolic`` (exact sympy objects),
``numeric`` (float, high-precision and ball integrators), ``proof`` (claims built on them),
``certificate`` (the file format), ``checker`` (the independent, standard-library-only kernel),
``search`` (Hypothesis strategies and the counterexample driver), ``papers`` (the catalogue) and
``cli``. Importing ``igproof`` imports none of them, so that ``igproof --help`` and the checker
start fast.
"""

from igproof.errors import (
    CertificateError,
    DataError,
    EnclosureFailure,
    IgproofError,
    InvalidArgument,
    PrecisionError,
    UnsafeExpression,
)
from igproof.verdict import Outcome, Verdict

__version__ = "0.1.0"

__all__ = [
    "CertificateError",
    "DataError",
    "EnclosureFailure",
    "IgproofError",
    "InvalidArgument",
    "Outcome",
    "PrecisionError",
    "UnsafeExpression",
    "Verdict",
    "__version__",
]
