"""The public log (透明日志): signed checkpoints, entries and RFC 9162 proofs.

Everything here is public and read-only. The checkpoint is the signed note as signed
(text/plain, byte for byte what the signature covers); proofs are lists of base64 hashes
in the order RFC 9162 §2.1.3 and §2.1.4 give them, so any RFC 6962/9162 verifier checks
them against the root hash of a checkpoint.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, public
from api.v1.common import Blueprint
from credit.extensions import db
from credit.translog import service

PREFIX = "/log"
blp = Blueprint("log", __name__, description="透明日志 / the transparency log")

#: Checkpoints change at most every few seconds; proofs of fixed sizes never change.
CHECKPOINT_MAX_AGE = 5
PROOF_MAX_AGE = 86400
_SIZE = validate.Range(min=0, max=service.MAX_SIZE)


class KeySchema(Schema):
    origin = fields.String(metadata={"description": "日志名称（检查点第一行）/ the origin line"})
    verifier_key = fields.String(
        metadata={"description": "验证公钥（<name>+<key id>+<base64>）/ note verifier key"}
    )
    key_id = fields.String(metadata={"description": "密钥 ID（十六进制）/ key ID, hex"})
    cosigning_keys = fields.List(
        fields.String(), metadata={"description": "轮换期间的共同签名公钥 / cosigning keys"}
    )


class EntrySchema(Schema):
    index = fields.Integer()
    entry = fields.String(metadata={"description": "条目字节（base64，RFC 8785 JSON）"})
    leaf_hash = fields.String(metadata={"description": "SHA-256(0x00 || entry), base64"})
    type = fields.String(metadata={"description": "事件类型 / event type (violation.published)"})
    kind = fields.String()
    record_id = fields.String()
    at = fields.String(metadata={"description": "事件时间 / when (RFC 3339, UTC)"})
    commitment = fields.String(metadata={"description": "SHA-256(salt || content), base64"})
    content = fields.Dict(
        allow_none=True,
        metadata={"description": "公示内容（仅在公示期内）/ the content, while public"},
    )
    salt = fields.String(allow_none=True, metadata={"description": "盐（base64）/ the salt"})
    latest_index = fields.Integer(
        allow_none=True, metadata={"description": "该记录的最新条目 / the record's latest entry"}
    )


class InclusionArgs(Schema):
    class Meta:
        unknown = RAISE

    index = fields.Integer(required=True, strict=False, validate=_SIZE)
    tree_size = fields.Integer(required=True, strict=False, validate=_SIZE)


class InclusionSchema(Schema):
    index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    proof = fields.List(fields.String(), metadata={"description": "base64, 叶到根 / leaf to root"})


class ConsistencyArgs(Schema):
    class Meta:
        unknown = RAISE

    first = fields.Integer(required=True, strict=False, validate=_SIZE)
    second = fields.Integer(required=True, strict=False, validate=_SIZE)


class ConsistencySchema(Schema):
    first = fields.Integer()
    second = fields.Integer()
    proof = fields.List(fields.String())


def signers() -> list[Any]:
    return current_app.extensions["credit.log_signers"]


_NOTE = {
    "200": {
        "description": "签名检查点（C2SP tlog-checkpoint + signed-note）/ the signed checkpoint",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


@blp.route("/checkpoint", methods=["GET"])
@public
@blp.doc(responses=_NOTE)
@blp.alt_response(404, description="尚无检查点 / no checkpoint signed yet")
def checkpoint() -> Any:
    """最新签名检查点 / The latest signed checkpoint"""
    found = service.public_checkpoint(current_identity(), db.session)
    response = Response(found.note, mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={CHECKPOINT_MAX_AGE}"
    return response


@blp.route("/key", methods=["GET"])
@public
@blp.response(200, KeySchema)
def key() -> Any:
    """日志的验证公钥 / The log's verifier key"""
    first, *others = signers()
    verifier = first.verifier()
    return {
        "origin": first.name,
        "verifier_key": verifier.encoded(),
        "key_id": verifier.id.hex(),
        "cosigning_keys": [s.verifier().encoded() for s in others],
    }


@blp.route("/entries/<int:index>", methods=["GET"])
@public
@blp.response(200, EntrySchema)
@blp.alt_response(404, description="没有该条目 / no such entry")
def log_entry(index: int) -> Any:
    """一条日志条目（公示期内附内容与盐）/ One entry (with content and salt while public)"""
    return service.entry(current_identity(), db.session, index)


@blp.route("/proof/inclusion", methods=["GET"])
@public
@blp.arguments(InclusionArgs, location="query")
@blp.response(200, InclusionSchema)
def inclusion_proof(args: dict[str, Any]) -> Any:
    """包含证明（RFC 9162 §2.1.3）/ An inclusion proof"""
    found = service.inclusion(current_identity(), db.session, args["index"], args["tree_size"])
    return found, 200, {"Cache-Control": f"public, max-age={PROOF_MAX_AGE}"}


@blp.route("/proof/consistency", methods=["GET"])
@public
@blp.arguments(ConsistencyArgs, location="query")
@blp.response(200, ConsistencySchema)
def consistency_proof(args: dict[str, Any]) -> Any:
    """一致性证明（RFC 9162 §2.1.4）/ A consistency proof"""
    found = service.consistency(current_identity(), db.session, args["first"], args["second"])
    return found, 200, {"Cache-Control": f"public, max-age={PROOF_MAX_AGE}"}
