"""The bytes of a log entry and of the commitment in it.

An entry is RFC 8785 canonical JSON (the JSON Canonicalization Scheme: sorted keys, no
spaces, one encoding of every value), so anyone can rebuild it from its fields::

    {"at":"2026-12-02T05:41:52.123Z","commitment":"<base64>","id":"<record id>",
     "kind":"violation","type":"violation.published","v":1}

and the commitment is SHA-256(salt || canonical content), the salt 32 random bytes: while
the record is public the API serves the content and the salt, so anyone can recompute the
commitment; once they are deleted, the commitment reveals nothing (it cannot be guessed
from a list of likely contents without the salt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

VERSION = 1
SALT_SIZE = 32
#: An entry larger than this is refused unread (entries are a few hundred bytes).
MAX_ENTRY_BYTES = 4096


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``."""
    return rfc8785.dumps(value)


def commitment(salt: bytes, content: bytes) -> bytes:
    return hashlib.sha256(salt + content).digest()


def new_salt() -> bytes:
    return os.urandom(SALT_SIZE)


def timestamp(at: datetime) -> str:
    """RFC 3339 UTC with milliseconds, the entry's ``at``."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    kind: str
    record_id: str
    event_type: str
    at: str
    commitment: bytes

    def encode(self) -> bytes:
        return canonical(
            {
                "v": VERSION,
                "type": self.event_type,
                "kind": self.kind,
                "id": self.record_id,
                "at": self.at,
                "commitment": base64.b64encode(self.commitment).decode(),
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        """Parse an entry's bytes; ``ValueError`` when they are not a canonical entry."""
        if len(raw) > MAX_ENTRY_BYTES:
            raise ValueError("an entry is at most 4 KiB")
        fields = json.loads(raw)
        if not isinstance(fields, dict) or fields.get("v") != VERSION:
            raise ValueError("not a version-1 log entry")
        entry = cls(
            str(fields["kind"]),
            str(fields["id"]),
            str(fields["type"]),
            str(fields["at"]),
            base64.b64decode(fields["commitment"], validate=True),
        )
        if entry.encode() != raw:
            raise ValueError("the entry is not in canonical form")
        return entry
