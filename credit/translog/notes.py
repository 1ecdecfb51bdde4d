"""Checkpoints of the log as C2SP ``tlog-checkpoint`` bodies signed as C2SP ``signed-note``s
with Ed25519, the formats Go's ``golang.org/x/mod/sumdb/note``, the transparency-dev
witnesses and monitors read.

    jsecredit.example/log          <- origin: the log's name
    1234                           <- tree size, decimal
    qFdQ...=                       <- root hash, standard base64
                                   <- a blank line, then one line per signature:
    — jsecredit.example/log AbCd...<- U+2014, space, key name, space,
                                      base64(key ID (4 bytes) || Ed25519 signature)

The key ID is SHA-256(name || 0x0A || 0x01 || public key)[:4] (0x01: the Ed25519 type), the
verifier key ``<name>+<key ID hex>+<base64(0x01 || public key)>`` and the signer key
``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
DASH = "\u2014"
#: A note with more signature lines than this is refused unread (as the Go package does).
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify."""


def _valid_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name is non-empty, without spaces or '+': {name!r}")
    return name


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    id: bytes
    key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        try:
            name, hex_id, encoded = vkey.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            found = bytes.fromhex(hex_id)
        except (ValueError, binascii.Error) as exc:
            raise NoteError(f"not a verifier key: {vkey!r}") from exc
        if len(raw) != 33 or raw[0] != ED25519 or len(found) != 4:
            raise NoteError("not an Ed25519 verifier key")
        _valid_name(name)
        if key_id(name, raw[1:]) != found:
            raise NoteError("the verifier key's ID does not match its key")
        return cls(name, found, Ed25519PublicKey.from_public_bytes(raw[1:]))

    def encoded(self) -> str:
        raw = bytes([ED25519]) + _raw_public(self.key)
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(raw).decode()}"


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(_valid_name(name), Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key (PRIVATE+KEY+<name>+<id>+<key>)")
        _, _, name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError("the signer key is not base64") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("not an Ed25519 signer key")
        signer = cls(_valid_name(name), Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.id.hex() != hex_id.lower():
            raise NoteError("the signer key's ID does not match its key")
        return signer

    @property
    def id(self) -> bytes:
        return key_id(self.name, _raw_public(self.key.public_key()))

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.id, self.key.public_key())

    def encoded(self) -> str:
        seed = self.key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        raw = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.id.hex()}+{raw}"

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which ends with a newline)."""
        _check_text(text)
        signature = base64.b64encode(self.id + self.key.sign(text.encode())).decode()
        return f"{text}\n{DASH} {self.name} {signature}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note's text ends with a newline and has no control characters")


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` when ``verifier``'s key signed it; else ``NoteError``. Other
    keys' signatures are allowed (a witness may cosign) and ignored."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError("not a signed note (text, a blank line, signature lines)")
    text += "\n"
    _check_text(text)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    for line in lines:
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != DASH or not name or not encoded:
            raise NoteError(f"not a signature line: {line!r}")
        if name != verifier.name:
            continue
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError("a signature is not base64") from exc
        if len(raw) != 4 + 64 or raw[:4] != verifier.id:
            continue
        try:
            verifier.key.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {name} does not verify") from exc
        return text
    raise NoteError(f"not signed by {verifier.name}+{verifier.id.hex()}")


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: the log's origin, its size and root hash at that size."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint is origin, size and root hash, one per line")
        origin, size, root = lines[:3]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError("a checkpoint's origin is named and its size is a decimal number")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise NoteError("a checkpoint's root hash is base64") from exc
        if len(digest) != 32:
            raise NoteError("a checkpoint's root hash is 32 bytes")
        return cls(origin, int(size), digest)
