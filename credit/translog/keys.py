"""The log's signing keys: files holding a note signer key
(``PRIVATE+KEY+<name>+<key id>+<base64>``, ``credit.translog.notes``).

The first key signs every checkpoint and names the log (its name is the checkpoint's
origin); further keys cosign during a rotation, so monitors that know either key keep
verifying (the README's "Rotating the log key" says how). Outside production a missing
first key is generated once, readable by its owner only, under the instance directory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from credit.translog.notes import NoteError, Signer


class KeyFileError(ValueError):
    """A key file that is missing or does not hold a signer key."""


def development_name(public_url: str) -> str:
    """The log's name for a generated key: the site's host, then ``/credit-log``."""
    host = urlparse(public_url).netloc or "localhost"
    return f"{host}/credit-log"


def read_signer(path: Path) -> Signer:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read the log signing key {path}: {exc.strerror}") from exc
    try:
        return Signer.parse(text.strip())
    except NoteError as exc:
        raise KeyFileError(f"{path} does not hold a log signing key: {exc}") from exc


def write_signer(path: Path, signer: Signer) -> None:
    """Write a new key file (mode 0600); never overwrites one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(signer.encoded() + "\n")


def load_signers(
    first: Path, cosigners: Sequence[Path] = (), generate_as: str | None = None
) -> list[Signer]:
    """The signing key and the cosigning ones. ``generate_as``: when the first file does not
    exist, generate a key with this name into it (development)."""
    if generate_as is not None and not first.exists():
        # another process may have generated it first: then read theirs
        with contextlib.suppress(FileExistsError):
            write_signer(first, Signer.generate(generate_as))
    return [read_signer(first)] + [read_signer(p) for p in cosigners]
