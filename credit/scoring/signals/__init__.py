"""The signal registry: every rating signal the engine knows, by name.

Each module below registers its signals (``@signal(name, params=..., codes=...)``); a model
file lists the signals it uses with their parameters. Adding a signal is one module here (and
its import below) plus an entry in a new model file: see the README's developer note.
"""

from credit.scoring.signals import basic, hard_rules, market, public  # noqa: F401 (register)
from credit.scoring.signals.base import (
    NOTHING,
    REGISTRY,
    Cap,
    Contribution,
    Outcome,
    Params,
    Signal,
    Situation,
    signal,
)

__all__ = [
    "NOTHING",
    "REGISTRY",
    "Cap",
    "Contribution",
    "Outcome",
    "Params",
    "Signal",
    "Situation",
    "signal",
]
