"""Domain errors. The HTTP layer maps each class to a status exactly once (api/errors.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field: where it is, and what is wrong, in zh and en."""

    field: str
    message: str
    code: str = "invalid"
    location: str = "body"


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    title = "请求无法完成"
    title_en = "The request cannot be completed"

    def __init__(self, detail: str = "", errors: list[FieldError] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class NotFound(DomainError):
    title = "未找到"
    title_en = "Not found"


class PermissionDenied(DomainError):
    title = "无权执行此操作"
    title_en = "Permission denied"


class Unauthenticated(DomainError):
    title = "需要身份认证"
    title_en = "Authentication required"


class ValidationFailed(DomainError):
    title = "输入有误"
    title_en = "Invalid input"


class Conflict(DomainError):
    title = "与当前状态冲突"
    title_en = "Conflict with the current state"


class PreconditionFailed(DomainError):
    title = "版本已变更"
    title_en = "The resource has changed"


class PreconditionRequired(DomainError):
    title = "需要 If-Match 请求头"
    title_en = "Precondition required"


class ServiceUnavailable(DomainError):
    title = "服务暂不可用"
    title_en = "Service unavailable"


def require_version(current: int, expected: int | None, what: str = "数据") -> None:
    """Optimistic concurrency for a change: If-Match is required (428) and must name the
    current version (412), so two editors never overwrite each other silently."""
    if expected is None:
        raise PreconditionRequired("修改需要 If-Match 请求头（取自上次读取的 ETag）")
    if expected != current:
        raise PreconditionFailed(
            f"{what}已被修改（当前版本 {current}，请求基于版本 {expected}），请重新读取"
        )
