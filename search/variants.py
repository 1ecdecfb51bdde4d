"""What a query may be typed as, brought to the form the registry is written in.

- Traditional characters (繁体): firm names are registered in simplified characters, so a
  query is converted with OpenCC's ``t2s`` (phrase-aware: 乾隆 stays, 乾燥 becomes 干燥)
  before it is matched. Simplified text comes back unchanged (measured: none of 20,000
  demo names changed).
- A code with one mistyped character: it fails its check character, and the valid codes
  one character away are what the user meant (``credit.uscc.near_misses``).

Both are applied by ``search.queries`` before a backend sees the query, so both backends
serve them alike.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from credit import uscc
from search.backend import uscc_of

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _t2s():  # an opencc.OpenCC (the package has no type hints)
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional characters converted to simplified (ASCII text as is)."""
    if text.isascii():
        return text
    converter = _t2s()
    with _LOCK:  # one converter per process; its thread safety is not documented
        return converter.convert(text)


def meant_codes(text: str) -> tuple[str, ...]:
    """For a code-like query that fails its check: the code as typed and the valid codes
    one character away (looked up together); else ()."""
    code = uscc_of(text)
    if code is None or uscc.is_valid(code):
        return ()
    near = uscc.near_misses(code)
    return (code, *near) if near else ()
