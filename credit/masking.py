"""Masking of natural persons' data before anything is published or indexed (PIPL Art. 25).

``mask_person_name("张三明") == "张*明"``. Identity and phone numbers are never published,
so there is no masking for them: they are simply not in any public schema.
"""

from __future__ import annotations


def mask_person_name(name: str | None) -> str | None:
    """Keep the first and (for 3+ characters) the last character; star the rest."""
    if not name:
        return name
    name = name.strip()
    n = len(name)
    if n <= 1:
        return "*"
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]
