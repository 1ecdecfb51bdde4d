"""The last step of every response: header values are ASCII (RFC 9110 §5.5, H1).

gunicorn refuses to send a header value outside Latin-1 (and Latin-1 beyond ASCII is
obsolete text no client agrees on): the whole response becomes a 500 with no body the
client can use. Human text belongs in the body. Code that sets a header from text must
make it ASCII itself (challenges in English, URLs percent-encoded); this net catches what
slipped through, so a mistake costs one header, never the response:

- ``Location`` and ``Content-Location``: an IRI (``redirect("/search?q=苏州")``) becomes
  the URI it stands for, percent-encoded UTF-8 (RFC 3987 §3.1), as Werkzeug would do on
  the way out anyway;
- any other header with a character outside printable ASCII: dropped, and logged as an
  error naming the header (never its value, which may carry data), so the code that set
  it gets fixed.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request
from werkzeug.urls import iri_to_uri

log = logging.getLogger("credit.headers")

#: Headers whose value is a URI reference: a non-ASCII one is percent-encoded, not dropped.
URI_HEADERS = frozenset({"location", "content-location"})


#: Printable ASCII, spaces and tabs: one compiled match per value (a loop over the
#: characters of every header of every response cost more than the check is worth).
_CLEAN = re.compile(r"[\t\x20-\x7e]*")


def is_clean(value: str) -> bool:
    """Printable ASCII, spaces and tabs only (no control characters, no obs-text)."""
    return _CLEAN.fullmatch(value) is not None


def clean_headers(resp: Response) -> Response:
    """Percent-encode or drop every header value that is not ASCII (see module doc)."""
    items = list(resp.headers.items())
    if all(is_clean(v) for _, v in items):
        return resp
    kept = []
    for name, value in items:
        if is_clean(value):
            kept.append((name, value))
            continue
        fixed = iri_to_uri(value) if name.lower() in URI_HEADERS else None
        if fixed is not None and is_clean(fixed):
            kept.append((name, fixed))
        else:
            log.error("non-ASCII %s header dropped on %s %s", name, request.method, request.path)
    resp.headers.clear()
    resp.headers.extend(kept)
    return resp


def register(app: Flask) -> None:
    """Register before every other ``after_request`` function: Flask runs them in reverse
    order of registration, so this one sees the headers the others set."""
    app.after_request(clean_headers)
