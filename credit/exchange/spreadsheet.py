"""Cells and lines for files people open in a spreadsheet.

A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is run by Excel and
LibreOffice when the file is opened (CSV injection), so every text cell of a CSV the
platform writes goes through :func:`guard`, which makes it plain text with a leading ``'``.
:func:`csv_lines` writes a whole CSV that way, one line at a time (for a streamed answer
or a file), with the BOM Excel needs to read it as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV of ``header`` and ``rows``, every cell guarded, CRLF line ends, the first
    line starting with the BOM (Excel then reads the file as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take(cells: list[str]) -> str:
        writer.writerow([guard(c) for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + take(header)
    for row in rows:
        yield take(row)
