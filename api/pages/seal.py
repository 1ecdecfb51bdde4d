"""The credit seal as served: the live image ``/seal/{uscc}.svg`` and the rules page ``/seal``.

The image is the BBB's dynamic seal done the same way: the platform serves it, its URL
carries no state (only the firm's code and how it should look), and each request reads the
firm's current standing (``credit.seal``), so the seal changes (or turns into the neutral
"no seal" image) on the first request after the record changes, and caches keep a copy for
at most ``MAX_AGE`` seconds. The embed snippet links the image to the public profile, which
is the truth a copied picture cannot outlive.

Safe to embed anywhere: a static SVG document (no script, no event handler, no external
reference, no ``foreignObject``) under ``Content-Security-Policy: default-src 'none';
style-src 'unsafe-inline'``, ``X-Content-Type-Options: nosniff``,
``Cross-Origin-Resource-Policy: cross-origin``, ``Access-Control-Allow-Origin: *``, never
a cookie (the language switch's cookie is not set here: ``api.pages.i18n``), the same
answer for everyone (``Cache-Control: public, max-age=60`` even when a signed-in visitor's
cookie comes along: ``api.caching.same_for_everyone``), a strong ``ETag`` from the bytes and
``304`` on a matching ``If-None-Match``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from marshmallow import RAISE, Schema, ValidationError, validate

from api import urls
from api.auth import current_identity, public
from api.caching import same_for_everyone
from api.pages.public import bp as pages_bp
from credit import seal
from credit.errors import FieldError, ValidationFailed
from credit.text import Text

bp = Blueprint("seal", __name__, template_folder="templates")

#: Seconds a browser, proxy or CDN may reuse a seal before asking again (within a minute).
MAX_AGE = 60
MEDIA_TYPE = "image/svg+xml; charset=utf-8"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
ROUTE = "/seal/<string:uscc>.svg"
#: Endpoints whose answers any site may read or embed (the feeds too: ``api.pages.feeds``).
CROSS_ORIGIN = frozenset(
    {
        "seal.svg",
        "violations.standing",
        "seal_api.seal_rules",
        "feeds.enterprise_atom",
        "feeds.enterprise_json",
        "feeds.violations_atom",
        "feeds.violations_json",
    }
)
#: JSON read by platforms: given an ETag of its bytes, so If-None-Match revalidates it.
REVALIDATED = frozenset({"violations.standing", "seal_api.seal_rules"})
#: A CORS preflight's answer for them: reads only, the request headers a platform or a
#: shop page sends when it reads the standing or revalidates the image (Accept and
#: Accept-Language are safelisted anyway; If-None-Match and If-Modified-Since are not),
#: remembered for a day (browsers cap it: Chromium at two hours). No credentials: ``*``
#: forbids them, and no Authorization header is ever needed to read these.
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Accept, Accept-Language, Content-Language, If-None-Match, If-Modified-Since, Cache-Control"
    ),
    "Access-Control-Max-Age": "86400",
}
WIDTH, HEIGHT = 250, 90
#: Room for the firm's name, in half-width units (a CJK character counts two).
NAME_UNITS = 30

PLATFORM = {"zh": "江苏省电子商务信用公共服务平台", "en": "Jiangsu E-commerce Credit Platform"}
THEMES = {
    "light": {
        True: {"bg": "#ffffff", "accent": "#1a7f37", "text": "#1f2328", "muted": "#57606a"},
        False: {"bg": "#ffffff", "accent": "#6e7781", "text": "#1f2328", "muted": "#57606a"},
    },
    "dark": {
        True: {"bg": "#161b22", "accent": "#3fb950", "text": "#e6edf3", "muted": "#9da7b3"},
        False: {"bg": "#161b22", "accent": "#8b949e", "text": "#e6edf3", "muted": "#9da7b3"},
    },
}


class SealArgs(Schema):
    """The only things a seal URL may say: how it looks. Never the state."""

    class Meta:
        unknown = RAISE

    theme = Text(
        load_default="light",
        validate=validate.OneOf(list(THEMES)),
        metadata={"description": "light | dark"},
    )
    lang = Text(
        load_default="zh",
        validate=validate.OneOf(list(PLATFORM)),
        metadata={"description": "zh | en"},
    )


def query_args(schema: Schema, title: str) -> dict[str, Any]:
    """The query string loaded by ``schema`` (a name given twice is a list); an unknown
    name or a bad value is a ``ValidationFailed`` titled ``title``, one error per name.
    The seal and the feeds read their URLs this way."""
    raw: dict[str, Any] = {}
    for name, values in request.args.lists():
        raw[name] = values[0] if len(values) == 1 else values
    try:
        return schema.load(raw)
    except ValidationError as exc:
        problems = [
            FieldError(
                name,
                " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages),
                "invalid",
                "query",
            )
            for name, messages in exc.normalized_messages().items()
        ]
        raise ValidationFailed(title, problems) from None


def _args() -> dict[str, Any]:
    return query_args(
        SealArgs(),
        "标识参数有误：theme 取 light 或 dark，lang 取 zh 或 en (theme is light or dark, lang "
        "is zh or en)",
    )


def _shorten(name: str, units: int = NAME_UNITS) -> str:
    """``name`` cut to ``units`` half-width units with an ellipsis (CJK characters are two)."""
    used, out = 0, []
    for ch in name:
        width = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + width > units - 1 and len(name) > len(out) + 1:
            return "".join(out) + "…"
        used += width
        out.append(ch)
    return name


def render_svg(standing: seal.SealStanding, theme: str, lang: str) -> str:
    """The seal image for ``standing`` (autoescaped: the firm's name is text, never markup)."""
    en = lang == "en"
    if standing.eligible:
        state = f"In good standing · {standing.grade}" if en else f"诚信经营 · {standing.grade}"
        desc = (
            f"{standing.name} meets every rule of the credit seal; grade {standing.grade}."
            if en
            else f"{standing.name}符合诚信标识的全部条件，信用等级 {standing.grade}。"
        )
    else:
        state = "No seal · view the record" if en else "未获诚信标识 · 查看信用信息"
        desc = (
            f"{standing.name} does not meet the rules of the credit seal now; "
            "open the public record to see why."
            if en
            else f"{standing.name}目前不符合诚信标识条件，请查看公开的信用信息。"
        )
    checked = standing.checked_on.isoformat()
    return render_template(
        "seal/seal.svg",
        width=WIDTH,
        height=HEIGHT,
        c=THEMES[theme][standing.eligible],
        eligible=standing.eligible,
        platform=PLATFORM[lang],
        state=state,
        state_size=15 if standing.eligible else (12 if en else 13),
        firm=_shorten(standing.name),
        checked=f"Checked {checked}" if en else f"核验日期 {checked}",
        title=f"{PLATFORM[lang]}: {state} · {standing.name}",
        desc=desc,
    )


def etag_of(body: bytes) -> str:
    """A strong entity tag of the exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@bp.get(ROUTE)
@public
@same_for_everyone
def svg(uscc: str) -> Response:
    args = _args()
    standing = seal.seal_standing(current_identity(), uscc)
    body = render_svg(standing, args["theme"], args["lang"]).encode("utf-8")
    tag = etag_of(body)
    headers = {
        "ETag": tag,
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Content-Security-Policy": SVG_CSP,
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.if_none_match.contains_weak(tag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(body, status=200, headers={**headers, "Content-Type": MEDIA_TYPE})


def embed_snippet(uscc: str, name: str, theme: str = "light", lang: str = "zh") -> str:
    """The HTML a firm pastes into its shop page: the live image, linked to its profile."""
    from markupsafe import escape

    profile = urls.external_url("pages.enterprise", uscc=uscc)
    query = "" if (theme, lang) == ("light", "zh") else f"?theme={theme}&lang={lang}"
    image = urls.external_url("seal.svg", uscc=uscc) + query
    if lang == "en":
        alt = f"{name}: {PLATFORM['en']} credit seal"
    else:
        alt = f"{name} {PLATFORM['zh']}诚信标识"
    return (
        f'<a href="{escape(profile)}" target="_blank" rel="noopener">'
        f'<img src="{escape(image)}" width="{WIDTH}" height="{HEIGHT}" alt="{escape(alt)}">'
        "</a>"
    )


# -- the rules page -------------------------------------------------------------------------
@pages_bp.get("/seal")
@public
def seal_rules():
    return render_template("public/seal.html", doc=seal.get_seal_rules(current_identity()))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _preflight() -> Response | None:
        # A browser's CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
        # for a cross-origin endpoint: 204 with what may be sent. Flask's own OPTIONS
        # answer (200, Allow) stays for anything else.
        if (
            request.method == "OPTIONS"
            and request.endpoint in CROSS_ORIGIN
            and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers
        ):
            return Response(status=204, headers=PREFLIGHT)
        return None

    @app.after_request
    def _cross_origin(resp: Response) -> Response:
        # Anyone may read these (no credentials are ever honoured: "*" forbids them).
        if request.endpoint in CROSS_ORIGIN:
            resp.headers["Access-Control-Allow-Origin"] = "*"
            resp.headers["Access-Control-Expose-Headers"] = "ETag"
            if (
                request.endpoint in REVALIDATED
                and request.method in {"GET", "HEAD"}
                and resp.status_code == 200
                and "ETag" not in resp.headers
            ):
                # A platform polling the standing revalidates it: a strong tag of the bytes
                # (``no-cache`` stays), and 304 when its If-None-Match still matches.
                resp.set_etag(etag_of(resp.get_data()).strip('"'))
                resp.make_conditional(request)
        return resp
