"""Refuses a request that carries a NUL character, before anything reads it.

No text a person or a client sends needs U+0000, and PostgreSQL cannot store it in a text
column: a search, a form field or a JSON value holding one made the query fail with a server
error (SQLite stored it). Django's form fields refuse it, but searches, filters, htmx posts,
JSON and SCIM bodies and cookies do not pass through a form. One check here covers them all and
answers 400 with a message that names where the character was: problem+json under ``/api/``,
the SCIM error format under ``/scim/``, and a page in Dutch and English elsewhere (the language
is not chosen yet at this point: this runs before the session and the locale are read).
File contents are the importers' own concern; they refuse NUL characters themselves.
"""

from collections.abc import Callable
from html import escape

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from vakwerk.api import nlgov
from vakwerk.people.scim import ScimError

NUL = "\x00"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# A NUL in a JSON body is always written as this escape (a raw control character is invalid
# JSON); either way the body is refused.
JSON_NUL = (b"\x00", b"\\u0000")
NAME_LENGTH = 40


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = nul_in(request)
        if found is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            with translation.override("en"):
                detail = _message(found)
            invalid = [{"name": found[1] or found[0], "code": "nul", "reason": detail}]
            return nlgov.problem(request, 400, detail, invalid_params=invalid)
        if request.path.startswith("/scim/"):
            with translation.override("en"):
                error = ScimError(400, _message(found), "invalidValue")
            return JsonResponse(error.as_dict(), status=400, content_type="application/scim+json")
        return _page(found)


def nul_in(request: HttpRequest) -> tuple[str, str] | None:
    """Where the request carries a NUL character, as (kind, name); None when nowhere."""
    if NUL in request.path:
        return ("address", "")
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return ("parameter", name)
    for name, value in request.COOKIES.items():
        if NUL in name or NUL in value:
            return ("cookie", name)
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in value for value in values):
                return ("field", name)
        for name, files in request.FILES.lists():
            if NUL in name or any(NUL in (upload.name or "") for upload in files):
                return ("file", name)
        return None
    if any(marker in request.body for marker in JSON_NUL):
        return ("body", "")
    return None


def _message(found: tuple[str, str]) -> str:
    kind, raw = found
    name = raw.replace(NUL, "\\0")[:NAME_LENGTH]
    where = {
        "address": _("The address"),
        "parameter": _("The parameter “%(name)s” in the address") % {"name": name},
        "cookie": _("The cookie “%(name)s”") % {"name": name},
        "field": _("The form field “%(name)s”") % {"name": name},
        "file": _("The name of the file sent as “%(name)s”") % {"name": name},
        "body": _("The request body"),
    }[kind]
    return _(
        "%(where)s contains a NUL character, an invisible control character that no text "
        "needs. Remove it and try again."
    ) % {"where": where}


def _page(found: tuple[str, str]) -> HttpResponse:
    """A plain page in both languages (the request's language is not known yet)."""
    titles, parts = [], []
    for language in ("nl", "en"):
        with translation.override(language):
            titles.append(escape(_("Bad request")))
            message, back = escape(_message(found)), escape(_("To the home page"))
        parts.append(f'<p lang="{language}">{message} <a href="/">{back}</a></p>')
    title = " / ".join(titles)
    body = (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1>"
        + "".join(parts)
        + "</main></body></html>"
    )
    return HttpResponse(body, status=400, content_type="text/html; charset=utf-8")
