"""Write every shipped certificate: ``python -m igproof.certificate.shipped [DIR]``.

One script for all files under ``certificates/`` (DIR defaults to ``certificates``): the relu
neuron's gf-limit and not-characterized-by certificates and the linear neuron's one-point overlap
(:mod:`igproof.certificate.pl_start`), the lee2022 reactivations
(:mod:`igproof.certificate.switches`), and the zhang2023 overlap instances
(:mod:`igproof.certificate.overlap_instances`). Each file is written (atomically) only after the
independent checker has accepted its certificate; the exit status is 0 when every file was
written. The builders are deterministic (exact data, fixed precisions and step rules).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igproof.certificate import overlap_instances, pl_start, switches
from igproof.certificate.common import certify
from igproof.certificate.writer import write_proved
from igproof.proof.single_neuron.instances import REACTIVATION_INSTANCES
from igproof.verdict import Outcome


def _checked(name: str, build: Callable[[], dict[str, Any]]) -> Outcome:
    return certify(build(), evidence=name)


def shipped() -> dict[str, Callable[[], Outcome]]:
    """File name under certificates/ -> the builder of its checked outcome, in writing order."""
    jobs: dict[str, Callable[[], Outcome]] = {
        name: functools.partial(_checked, name, build) for name, build in pl_start.SHIPPED.items()}
    for name, data in REACTIVATION_INSTANCES:
        jobs[switches.SHIPPED[name]] = functools.partial(switches.reactivation_outcome, name, data)
    jobs.update(overlap_instances.SHIPPED)
    return jobs


def main(argv: list[str] | None = None) -> int:
    """Write the shipped certificates into the folder given (default: certificates)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "certificates")
    return write_proved((folder / name, build) for name, build in shipped().items())


if __name__ == "__main__":
    sys.exit(main())
