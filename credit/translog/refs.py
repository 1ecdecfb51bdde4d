"""``log_index``: the field every public record and rating carries in the API, naming the
latest entry of that record in the public log (``GET /api/v1/log/entries/{log_index}``).

Output schemas declare it with :func:`log_index_field`; what fills it is
``credit.translog.service.attach_log_indexes`` (one query per list), called where the
response is made for a read. A record not logged yet (the log's consumer runs just after
the commit that published it) dumps as null, and so does the answer to a write: the change
it made is logged just after it (the record's earlier entries are of earlier states).
"""

from __future__ import annotations

from marshmallow import fields

DESCRIPTION = (
    "该记录在公开日志中的最新条目序号（GET /api/v1/log/entries/{log_index}）；尚未载入及写入"
    "请求的答复为 null / the index of this record's latest entry in the public log; null "
    "until logged, and in the answer to a write (its change is logged just after it)"
)


def log_index_field(description: str = DESCRIPTION) -> fields.Integer:
    return fields.Integer(allow_none=True, dump_default=None, metadata={"description": description})
