"""Pure credit scoring: facts in, a rating with its explanation out.

Nothing here touches the database, Flask, the network or the file system. The inputs are an
``EnterpriseFacts`` snapshot and a published ``ScoringModel`` (weights, decay, hard rules and
grade cut-offs as data); the output is a ``Rating`` whose contributions add up to its score.
``credit.ratings`` builds the facts from the database, stores ratings and serves them.
"""

from credit.scoring.engine import Contribution, Rating, rate
from credit.scoring.facts import (
    BreachFact,
    CommendationFact,
    EnterpriseFacts,
    PledgeFact,
    SeriousListFact,
    ViolationFact,
)
from credit.scoring.model import ScoringModel

__all__ = [
    "BreachFact",
    "CommendationFact",
    "Contribution",
    "EnterpriseFacts",
    "PledgeFact",
    "Rating",
    "ScoringModel",
    "SeriousListFact",
    "ViolationFact",
    "rate",
]
