"""The shared NLGov layer of the REST API: what every router of ``/api/v1`` gets for free.

The NLGov REST API Design Rules, as this module implements them:

- camelCase JSON: schemas derive from :class:`ApiSchema` (pydantic alias generator ``to_camel``);
  routers made with :func:`api_router` serialise by alias.
- ``application/problem+json`` (RFC 9457) for every error, with ``invalidParams`` on 400; see
  :func:`problem` and :func:`install_problem_handlers`.
- An ``API-Version`` header on every response under ``/api/v1``, errors included
  (:func:`nlgov_view` wraps every URL pattern of the API; ``vakwerk.api.urls`` answers unknown
  paths, trailing slashes included, with a 404 problem).
- Bearer tokens of the organisation (``Authorization: Bearer vw_...``) with one
  :class:`~vakwerk.api.models.Scope` per router (:class:`ApiBearer`), a rate limit per token
  (:class:`TokenRateLimit`, ``settings.API_RATE_LIMIT`` requests a minute) and paging
  (:class:`PageParams`, :class:`Page`, :func:`paginate`).
- The OpenAPI document (:class:`NlgovOpenAPISchema`) describes all of that: problem responses,
  the header, the bearer scheme and each operation's scope.

Adding a resource takes a few minutes::

    # vakwerk/api/routers/widgets.py
    router = api_router(Scope.WIDGETS_READ, tag="Widgets")

    class WidgetOut(ApiSchema):
        id: int
        display_name: str               # "displayName" in JSON

    class WidgetPage(Page[WidgetOut]):  # a named class gives a readable OpenAPI schema
        pass

    @router.get("/widgets", response=WidgetPage, url_name="widget_list")
    def widget_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
        token = api_token(request)
        return paginate(request, Widget.objects.filter(organisation=token.organisation)
                        .order_by("pk"), paging)

    @router.get("/widgets/{widget_id}", response=WidgetOut, url_name="widget_detail")
    def widget_detail(request: HttpRequest, widget_id: int) -> Widget:
        return get_object_or_404(Widget, pk=widget_id, organisation=api_token(request).organisation)

then register the router in ``vakwerk/api/api.py``, teach ``api/tests/test_isolation.py`` how
to fill ``widget_id`` with an object of another organisation, and list the new URL names
(``api-v1:widget_list``...) in ``CSRF_EXEMPT`` of ``vakwerk/tests/test_security.py``. Always
scope by ``api_token(request).organisation``: another organisation's id must answer 404.
"""

import json
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from vakwerk.api.models import ApiToken, Scope
from vakwerk.api.services import api_token_authenticate
from vakwerk.lib.ids import MAX_DATABASE_ID

logger = logging.getLogger("vakwerk.api")

# The version of the API contract (semver); the major version is the "v1" of the path. The
# OpenAPI document's info.version and every response's API-Version header carry it.
API_VERSION = "1.0.0"
API_VERSION_HEADER = "API-Version"
PROBLEM_CONTENT_TYPE = "application/problem+json"
RATE_WINDOW = 60  # seconds; settings.API_RATE_LIMIT counts requests per token in this window
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Pages past this one are refused (400): an offset beyond the database's integers was a 500.
MAX_PAGE = 1_000_000
# Ids in filters are refused (400) beyond the database's 64-bit integers: a larger one used to
# reach the database, where a foreign key lookup overflowed (a 500).
MAX_ID = MAX_DATABASE_ID

# The ``type`` of each problem: the section of the HTTP specification that defines the status.
PROBLEM_TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    401: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
    403: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
    404: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
    405: "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
    429: "https://www.rfc-editor.org/rfc/rfc6585#section-4",
    500: "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.1",
}


# Schemas ---------------------------------------------------------------------------------------


class ApiSchema(Schema):
    """Base of every API schema: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PageParams(ApiSchema):
    """The paging query parameters every list takes."""

    page: int = Field(
        1, ge=1, le=MAX_PAGE, description=f"The page to return, counting from 1 (to {MAX_PAGE})."
    )
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Results per page, 1 to {MAX_PAGE_SIZE}.",
    )


class Page[T](ApiSchema):
    """One page of a list, with links to its neighbours."""

    results: list[T]
    count: int = Field(description="The number of results on all pages together.")
    page: int
    page_size: int
    next: str | None = Field(description="The URL of the next page, or null on the last one.")
    previous: str | None = Field(
        description="The URL of the previous page, or null on the first one."
    )


class InvalidParam(ApiSchema):
    name: str = Field(description="The parameter, as the client sent it (e.g. pageSize).")
    code: str = Field(description="A machine-readable reason, e.g. greater_than_equal.")
    reason: str = Field(description="What is wrong, in the language of Accept-Language.")


class Problem(ApiSchema):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str


class InvalidParamsProblem(Problem):
    invalid_params: list[InvalidParam]


# Problems --------------------------------------------------------------------------------------


def _titles() -> dict[int, str]:
    return {
        400: _("Invalid input"),
        401: _("Not authenticated"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        429: _("Too many requests"),
        500: _("Internal server error"),
    }


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    invalid_params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """An ``application/problem+json`` response with the API-Version header."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(status, "about:blank"),
        "title": _titles().get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if invalid_params is not None:
        body["invalidParams"] = invalid_params
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    response[API_VERSION_HEADER] = API_VERSION
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem(request, 404, _("There is nothing at this address."))


not_found.csrf_exempt = True  # type: ignore[attr-defined]


def _reason(error: dict[str, Any]) -> str:
    """A translated reason for one pydantic error, falling back on pydantic's English."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This parameter is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Use a whole number.")
    if kind == "greater_than_equal":
        return _("Use a number of at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Use a number of at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "bool_parsing":
        return _("Use true or false.")
    if kind in ("enum", "literal_error"):
        return _("Use one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind == "string_too_long":
        return _("Use at most %(limit)s characters.") % {"limit": ctx.get("max_length")}
    return str(error.get("msg", kind))


def _invalid_params(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    params = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # loc starts with the source (query, path, body); the rest names the parameter.
        name = ".".join(loc[1:]) or (loc[0] if loc else "")
        params.append({"name": name, "code": str(error.get("type", "")), "reason": _reason(error)})
    return params


class MissingScopeError(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


def install_problem_handlers(api: NinjaAPI) -> None:
    """Every error ninja or a view raises becomes a problem response."""

    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(
            request,
            400,
            _("One or more parameters are not valid; see invalidParams."),
            invalid_params=_invalid_params(exc.errors),
        )

    def authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        if request.headers.get("Authorization"):
            detail = _("The API token is not valid, or it has been revoked.")
            challenge = 'Bearer realm="vakwerk", error="invalid_token"'
        else:
            detail = _("Send an API token: Authorization: Bearer <token>.")
            challenge = 'Bearer realm="vakwerk"'
        return problem(request, 401, detail, headers={"WWW-Authenticate": challenge})

    def scope_missing(request: HttpRequest, exc: MissingScopeError) -> HttpResponse:
        return problem(
            request,
            403,
            _("This API token lacks the scope %(scope)s.") % {"scope": exc.scope},
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="vakwerk", error="insufficient_scope", scope="{exc.scope}"'
                )
            },
        )

    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        seconds = math.ceil(exc.wait or RATE_WINDOW)
        detail = _(
            "This API token made more than %(limit)s requests in a minute. "
            "Try again in %(seconds)s seconds."
        ) % {"limit": settings.API_RATE_LIMIT, "seconds": seconds}
        return problem(request, 429, detail, headers={"Retry-After": str(seconds)})

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc))

    def page_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, 404, _("There is nothing at this address."))

    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Error in API request %s %s", request.method, request.path)
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (ValidationError, validation),
        (AuthenticationError, authentication),
        (MissingScopeError, scope_missing),
        (Throttled, throttled),
        (HttpError, http_error),
        (Http404, page_not_found),
        (Exception, server_error),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)


def nlgov_view(view: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
    """Wraps a URL pattern's view: the API-Version header on everything, problems for the
    errors ninja answers outside its exception handlers (405, the root's 404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = not_found(request)
        if response.status_code == 405 and PROBLEM_CONTENT_TYPE not in response["Content-Type"]:
            allowed = response["Allow"]
            response = problem(
                request,
                405,
                _("This address does not take %(method)s; it takes %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
                headers={"Allow": allowed},
            )
        response[API_VERSION_HEADER] = API_VERSION
        return response

    # Bearer tokens only, never cookies: there is no cross-site request to forge.
    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


# Authentication, scopes, rate limit ------------------------------------------------------------


class ApiBearer(HttpBearer):
    """``Authorization: Bearer vw_...``: an active token of an active organisation that holds
    ``scope``. A valid token without the scope raises :class:`MissingScopeError` (403)."""

    openapi_bearerFormat = "vw_<prefix>_<secret>"  # noqa: N815 (ninja's name for the field)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token.strip())
        if found is None or not found.organisation.is_active:
            return None
        if not found.allows(self.scope):
            raise MissingScopeError(self.scope)
        return found


def api_token(request: HttpRequest) -> ApiToken:
    """The authenticated token of this request (set by :class:`ApiBearer`)."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # pragma: no cover (every router authenticates)
        raise AuthenticationError
    return token


def clock() -> float:
    """Seconds since the epoch; a function so tests can stop the clock."""
    return time.time()


class TokenRateLimit(BaseThrottle):
    """At most ``settings.API_RATE_LIMIT`` requests per token per clock minute (0: no limit).

    A fixed window aligned to the clock, counted in the shared cache so all workers agree; the
    wait until the next window is the Retry-After. (``vakwerk.lib.ratelimit`` counts failures in
    a window that starts at the first one, which cannot tell a client when to come back.)
    """

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        return not isinstance(token, ApiToken) or token_request_allowed(token)

    def wait(self) -> float:
        return rate_limit_wait()


def token_request_allowed(token: ApiToken) -> bool:
    """Count one request of ``token`` (REST API and SCIM alike); whether it is within
    ``settings.API_RATE_LIMIT`` for the current clock minute (0: no limit)."""
    limit = settings.API_RATE_LIMIT
    if limit <= 0:
        return True
    window = int(clock() // RATE_WINDOW)
    key = f"vakwerk:ratelimit:api:{token.pk}:{window}"
    try:
        count = cache.incr(key)  # the common case: the window's counter exists
    except ValueError:
        # Start the window, unless another worker has just done so.
        count = 1 if cache.add(key, 1, timeout=2 * RATE_WINDOW) else cache.incr(key)
    return count <= limit


def rate_limit_wait() -> float:
    """Seconds until the next window: the Retry-After of a request over the limit."""
    return RATE_WINDOW - clock() % RATE_WINDOW


def api_router(scope: Scope, *, tag: str) -> Router:
    """A router whose operations need ``scope`` and answer in camelCase."""
    return Router(auth=ApiBearer(scope), tags=[tag], by_alias=True)


# Paging ----------------------------------------------------------------------------------------


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate[M: Model](
    request: HttpRequest, queryset: QuerySet[M], params: PageParams
) -> dict[str, Any]:
    """One page of ``queryset`` (which must be ordered) as the body of a :class:`Page`.

    Two queries at most: the page, and the count when the page does not tell it.
    """
    start = (params.page - 1) * params.page_size
    results = list(queryset[start : start + params.page_size])
    if 0 < len(results) < params.page_size or (start == 0 and not results):
        count = start + len(results)
    else:
        count = queryset.count()
    has_next = start + params.page_size < count
    return {
        "results": results,
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "next": _page_url(request, params.page + 1) if has_next else None,
        "previous": _page_url(request, params.page - 1) if params.page > 1 else None,
    }


# OpenAPI ---------------------------------------------------------------------------------------

_HEADER_REF = {API_VERSION_HEADER: {"$ref": f"#/components/headers/{API_VERSION_HEADER}"}}


class NlgovOpenAPISchema(OpenAPISchema):
    """Ninja's document plus what NLGov asks for: problem responses, the API-Version header,
    the bearer scheme with each operation's scope."""

    ERROR_RESPONSES: ClassVar[dict[int, tuple[str, str, str]]] = {
        # status: (component name, description, schema)
        400: ("BadRequest", "Invalid query or path parameters.", "InvalidParamsProblem"),
        401: ("Unauthorized", "No token, or one that is not valid or revoked.", "Problem"),
        403: ("Forbidden", "The token lacks the scope this operation needs.", "Problem"),
        404: ("NotFound", "No such resource in the token's organisation.", "Problem"),
        429: ("TooManyRequests", "The token's rate limit is used up.", "Problem"),
    }

    def responses(self, operation: Operation) -> dict[int, Any]:
        result = super().responses(operation)
        for details in result.values():
            details["headers"] = dict(_HEADER_REF)
        path_params = "{" in operation.path
        wanted = []
        if operation.models:  # query or path parameters that may not validate
            wanted.append(400)
        if operation.auth_callbacks:
            wanted += [401, 403, 429]
        if path_params:
            wanted.append(404)
        for status in sorted(wanted):
            result[status] = {"$ref": f"#/components/responses/{self.ERROR_RESPONSES[status][0]}"}
        return result

    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        result = []
        for auth in operation.auth_callbacks:
            if isinstance(auth, ApiBearer):
                result.append({"bearer": [str(auth.scope)]})
                self.securitySchemes["bearer"] = {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": ApiBearer.openapi_bearerFormat,
                    "description": (
                        "An API token of the organisation, made by HR under Organisation > "
                        "API tokens. Each operation lists the scope it needs."
                    ),
                }
        return result or None

    def get_components(self) -> dict[str, Any]:
        components = super().get_components()
        for model in (Problem, InvalidParamsProblem):
            schema = model.model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            components["schemas"].update(schema.pop("$defs", {}))
            components["schemas"][model.__name__] = schema
        components["headers"] = {
            API_VERSION_HEADER: {
                "description": "The version of the API that answered (semver).",
                "schema": {"type": "string", "example": API_VERSION},
            }
        }
        responses: dict[str, Any] = {}
        for status, (name, description, schema_name) in self.ERROR_RESPONSES.items():
            headers: dict[str, Any] = dict(_HEADER_REF)
            if status == 401:
                headers["WWW-Authenticate"] = {"schema": {"type": "string"}}
            if status == 429:
                headers["Retry-After"] = {
                    "description": "Seconds until the token may send requests again.",
                    "schema": {"type": "integer"},
                }
            responses[name] = {
                "description": description,
                "headers": headers,
                "content": {
                    PROBLEM_CONTENT_TYPE: {
                        "schema": {"$ref": f"#/components/schemas/{schema_name}"}
                    }
                },
            }
        components["responses"] = responses
        return components


class NlgovNinjaAPI(NinjaAPI):
    """NinjaAPI with the NLGov layer: problem handlers, the header on every URL, the document."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("version", API_VERSION)
        kwargs.setdefault("docs_url", None)  # ninja's docs page loads assets from a CDN
        kwargs.setdefault("throttle", TokenRateLimit())
        super().__init__(**kwargs)
        install_problem_handlers(self)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return NlgovOpenAPISchema(api=self, path_prefix=path_prefix)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view's name in camelCase: ``employeeList``, ``frameworkVersionCase``."""
        return to_camel(operation.view_func.__name__)

    @property
    def urls(self) -> Any:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = nlgov_view(pattern.callback)
        return patterns, app_name, namespace
