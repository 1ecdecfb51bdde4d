"""WSGI entry point: ``gunicorn wsgi:app``. Invalid settings stop start-up with a message."""

from api import create_app
from credit.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"配置错误 / configuration error: {exc}") from None
