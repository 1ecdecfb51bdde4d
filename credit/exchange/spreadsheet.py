"""Cells for files people open in a spreadsheet.

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is run by Excel and
LibreOffice when the file is opened (CSV injection), so every text cell of a CSV the
platform writes goes through :func:`guard`, which makes it plain text with a leading ``'``.
"""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
