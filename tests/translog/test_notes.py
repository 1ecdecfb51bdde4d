"""Checkpoints as C2SP signed notes (issue 21): the known answer of Go's
golang.org/x/mod/sumdb/note (its test key signs its test text to the same bytes), keys in
the note formats, and every way a note or a checkpoint can be wrong."""

from __future__ import annotations

import base64

import pytest

from credit.translog.notes import Checkpoint, NoteError, Signer, Verifier, open_note

# golang.org/x/mod/sumdb/note's test key and its signed note (note_test.go).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_go_note_packages_known_answer() -> None:
    signer = Signer.parse(GO_SIGNER)
    assert signer.encoded() == GO_SIGNER
    assert signer.verifier().encoded() == GO_VERIFIER
    assert signer.sign(GO_TEXT) == GO_NOTE  # Ed25519 is deterministic: the same bytes
    assert open_note(GO_NOTE, Verifier.parse(GO_VERIFIER)) == GO_TEXT


def test_a_checkpoint_signed_and_opened() -> None:
    signer = Signer.generate("jsecredit.example/log")
    root = bytes(range(32))
    note = signer.sign(Checkpoint("jsecredit.example/log", 1234, root).text())
    assert note.startswith(f"jsecredit.example/log\n1234\n{base64.b64encode(root).decode()}\n\n— ")
    text = open_note(note, Verifier.parse(signer.verifier().encoded()))
    assert Checkpoint.parse(text) == Checkpoint("jsecredit.example/log", 1234, root)
    # a witness's cosignature beside it is allowed and ignored
    witness = Signer.generate("witness.example")
    cosigned = note + witness.sign(text).rsplit("\n\n", 1)[1]
    assert open_note(cosigned, signer.verifier()) == text


def test_what_does_not_verify() -> None:
    signer, other = Signer.generate("log.example"), Signer.generate("log.example")
    note = signer.sign(Checkpoint("log.example", 7, bytes(32)).text())
    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, other.verifier())  # the same name, another key
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("\n7\n", "\n8\n"), signer.verifier())  # a changed size
    for broken in ("", "log.example\n7\n", note.replace("— ", "- "), note[:-1]):
        with pytest.raises(NoteError):
            open_note(broken, signer.verifier())


@pytest.mark.parametrize(
    "text",
    [
        "log\n7\n",  # no root
        "log\n07\n" + base64.b64encode(bytes(32)).decode() + "\n",  # a leading zero
        "log\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "\n7\n" + base64.b64encode(bytes(32)).decode() + "\n",  # no origin
        "log\n7\n" + base64.b64encode(bytes(31)).decode() + "\n",  # a short hash
        "log\n7\nnot base64!\n",
        "log\n7\n" + base64.b64encode(bytes(32)).decode(),  # no final newline
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # a space
        "PeterNeumann+c74f20a3+AhpcXQ",  # short
        "PeterNeumann+zzzz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann",
    ],
)
def test_malformed_verifier_keys(key: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(key)


def test_names_and_texts_a_note_cannot_carry() -> None:
    with pytest.raises(NoteError):
        Signer.generate("two words")
    with pytest.raises(NoteError):
        Signer.generate("a+b")
    signer = Signer.generate("log.example")
    for text in ("no newline", "bell\x07\n"):
        with pytest.raises(NoteError):
            signer.sign(text)
