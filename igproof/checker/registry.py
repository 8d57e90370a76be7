"""The registry of obligation types: name -> checking function.

A module adds a type with::

    from igproof.checker.registry import register

    @register("my-type", required=("dataset", "box"), optional=("note",))
    def check_my_type(ctx, ob):
        ...            # raise Rejected(reason) to reject; record facts on ctx
        return "one-line summary of what was established"

``ctx`` is the :class:`igproof.checker.kernel.Context` of the certificate; ``ob`` the obligation
dict, whose keys the kernel has already checked against ``required`` and ``optional``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from igproof.checker.errors import Rejected


@dataclass(frozen=True)
class ObligationType:
    name: str
    check: Callable[[Any, dict], str]
    required: tuple[str, ...]
    optional: tuple[str, ...]


OBLIGATIONS: dict[str, ObligationType] = {}


def register(name: str, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
             ) -> Callable[[Callable[[Any, dict], str]], Callable[[Any, dict], str]]:
    """Decorator: register ``function`` as the checker of obligations of type ``name``."""

    def decorate(function: Callable[[Any, dict], str]) -> Callable[[Any, dict], str]:
        if name in OBLIGATIONS:
            raise Rejected(f"obligation type {name!r} registered twice")
        OBLIGATIONS[name] = ObligationType(name, function, tuple(required), tuple(optional))
        return function

    return decorate
