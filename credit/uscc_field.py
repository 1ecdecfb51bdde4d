"""The marshmallow field every input schema uses for a unified social credit code.

It reads the code the way ``credit.uscc.check`` does (NFKC per character, trimmed, length
and character set judged before any case change, then ASCII upper case), so a code typed
in full-width characters, in lower case or with spaces around it loads as the stored code,
and a faulty one is refused with one message per failed rule naming its position.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from credit import uscc
from credit.text import Text


class UsccCode(Text):
    """A USCC input: loads as the canonical 18-character code or fails per rule."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "description": (
                "统一社会信用代码（18 位，全角字符按 NFKC 折叠）/ unified social credit code "
                "(18 characters; full-width forms are folded with NFKC)"
            ),
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        result = uscc.check(text)
        if not result.valid:
            raise ValidationError([f.text for f in result.faults])
        return result.code
