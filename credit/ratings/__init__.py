"""Ratings: facts from the database, scored by ``credit.scoring``, stored with their inputs'
digest and explanation, kept fresh by a change-feed consumer."""
