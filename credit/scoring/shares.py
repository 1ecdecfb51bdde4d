"""Whole-point arithmetic shared by the signals: saturating family totals and their
share-out over records.

A family that sums many records (violations, pledges, breaches, commendations) grows with
its load but never passes its cap; its total is then shared out over the records by weight
(largest remainder), so each record's part is named in the explanation and the parts still
add up to the total exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Saturation:
    """A family total that grows with its load but never passes ``cap``:
    ``cap * (1 - exp(-load / scale))``."""

    cap: int
    scale: float

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> Saturation:
        return cls(int(doc["cap"]), float(doc["scale"]))

    def problems(self, name: str) -> list[str]:
        if self.cap < 0 or self.scale <= 0:
            return [f"{name}: needs cap >= 0 and scale > 0"]
        return []


def saturated(family: Saturation, load: float) -> int:
    """Whole points of a saturating family: non-decreasing in ``load``, at most ``cap``."""
    if load <= 0:
        return 0
    return math.floor(family.cap * (1.0 - math.exp(-load / family.scale)) + 0.5)


def share_out(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` over ``weights`` in whole points (largest remainder, stable)."""
    if len(weights) == 1:
        return [total]
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts
