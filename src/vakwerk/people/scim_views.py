"""SCIM 2.0 endpoints at /scim/v2 for identity providers (Microsoft Entra ID).

Machine endpoints: no session, no CSRF. Each request authenticates with an organisation API
token holding the ``scim`` scope (``Authorization: Bearer <token>``); the token's organisation
is the only one the request sees. The logic lives in ``people/scim.py``.
"""

import math
from collections.abc import Callable
from functools import wraps
from typing import Any, TypedDict

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from vakwerk.api import nlgov
from vakwerk.api.models import Scope
from vakwerk.api.services import api_token_authenticate
from vakwerk.audit.services import Actor, client_ip
from vakwerk.people import scim
from vakwerk.people.scim import ScimClient, ScimError

CONTENT_TYPE = "application/scim+json"

ScimView = Callable[..., HttpResponse]


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _error(error: ScimError) -> JsonResponse:
    response = _json(error.as_dict(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def _client(request: HttpRequest) -> ScimClient:
    scheme, _sep, raw = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ScimError(401, "Authenticate with the header 'Authorization: Bearer <token>'.")
    token = api_token_authenticate(raw.strip())
    if token is None:
        raise ScimError(401, "The token is not valid or has been revoked.")
    if Scope.SCIM not in token.scopes:
        raise ScimError(403, "This token does not have the scim scope.")
    if not token.organisation.is_active:
        raise ScimError(403, "The organisation of this token is not active.")
    if not nlgov.token_request_allowed(token):  # the REST API's limit, counted together
        raise ScimError(
            429,
            f"Too many requests: at most {settings.API_RATE_LIMIT} a minute per token. "
            "Try again after the number of seconds in Retry-After.",
        )
    return ScimClient(token=token, actor=Actor(user=None, origin=client_ip(request)))


def scim_endpoint(*methods: str) -> Callable[[ScimView], ScimView]:
    """Authenticate, allow ``methods`` only, and answer every ScimError in the SCIM format."""

    def decorator(view: ScimView) -> ScimView:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                client = _client(request)
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                return view(request, client, *args, **kwargs)
            except ScimError as error:
                response = _error(error)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                if error.status == 429:
                    response["Retry-After"] = str(math.ceil(nlgov.rate_limit_wait()))
                return response

        return wrapped

    return decorator


class Urls(TypedDict):
    users_url: str
    groups_url: str


def _urls(request: HttpRequest) -> Urls:
    return {
        "users_url": request.build_absolute_uri(reverse("scim:users")),
        "groups_url": request.build_absolute_uri(reverse("scim:groups")),
    }


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:service_provider_config")).rsplit("/", 1)[0]


def _project(request: HttpRequest, resource: dict[str, Any]) -> dict[str, Any]:
    return scim.project(
        resource,
        attributes=request.GET.get("attributes", ""),
        excluded=request.GET.get("excludedAttributes", ""),
    )


# ---------------------------------------------------------------------------------------------
# Discovery


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, client: ScimClient) -> HttpResponse:
    return _json(scim.service_provider_config(location=request.build_absolute_uri()))


@scim_endpoint("GET")
def resource_types(request: HttpRequest, client: ScimClient) -> HttpResponse:
    found = scim.resource_types(base_url=_base_url(request))
    return _json(scim.list_response(found, total=len(found), start=1))


def _one_by_id(found: list[dict[str, Any]], wanted: str, kind: str) -> HttpResponse:
    """The discovery resource whose id is ``wanted`` (ids compare without case), or a 404."""
    for item in found:
        if item["id"].lower() == wanted.lower():
            return _json(item)
    raise ScimError(404, f"{kind} {wanted} not found.")


@scim_endpoint("GET")
def resource_type(request: HttpRequest, client: ScimClient, name: str) -> HttpResponse:
    return _one_by_id(scim.resource_types(base_url=_base_url(request)), name, "ResourceType")


@scim_endpoint("GET")
def schemas(request: HttpRequest, client: ScimClient) -> HttpResponse:
    found = scim.schemas(base_url=_base_url(request))
    return _json(scim.list_response(found, total=len(found), start=1))


@scim_endpoint("GET")
def schema(request: HttpRequest, client: ScimClient, schema_id: str) -> HttpResponse:
    return _one_by_id(scim.schemas(base_url=_base_url(request)), schema_id, "Schema")


# ---------------------------------------------------------------------------------------------
# Users


def _user_response(
    request: HttpRequest, client: ScimClient, pk: int, status: int = 200
) -> HttpResponse:
    employee = scim.scim_user(client.organisation, str(pk))
    response = _json(_project(request, scim.user_resource(employee, **_urls(request))), status)
    if status == 201:
        response["Location"] = f"{_urls(request)['users_url']}/{pk}"
    return response


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, client: ScimClient) -> HttpResponse:
    if request.method == "POST":
        changes = scim.user_resource_changes(scim.parse_json(request.body))
        employee = scim.scim_user_create(client=client, changes=changes)
        return _user_response(request, client, employee.pk, status=201)
    found = scim.scim_users(client.organisation)
    if request.GET.get("filter", "").strip():
        found = found.filter(scim.user_filter_q(scim.parse_filter(request.GET["filter"])))
    start, count = scim.paging(request.GET.get("startIndex"), request.GET.get("count"))
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    urls = _urls(request)
    resources = [_project(request, scim.user_resource(e, **urls)) for e in page]
    return _json(scim.list_response(resources, total=total, start=start))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, client: ScimClient, resource_id: str) -> HttpResponse:
    employee = scim.scim_user(client.organisation, resource_id)
    if request.method == "DELETE":
        scim.scim_user_delete(client=client, employee=employee)
        return HttpResponse(status=204)
    if request.method == "PUT":
        changes = scim.user_resource_changes(scim.parse_json(request.body), replace=True)
        scim.scim_user_update(client=client, employee=employee, changes=changes)
    elif request.method == "PATCH":
        changes = scim.user_patch_changes(scim.parse_json(request.body))
        scim.scim_user_update(client=client, employee=employee, changes=changes)
    return _user_response(request, client, employee.pk)


# ---------------------------------------------------------------------------------------------
# Groups


def _wants_members(request: HttpRequest) -> bool:
    projected = scim.project(
        {"members": True},
        attributes=request.GET.get("attributes", ""),
        excluded=request.GET.get("excludedAttributes", ""),
    )
    return "members" in projected


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest, client: ScimClient) -> HttpResponse:
    urls = _urls(request)
    if request.method == "POST":
        changes = scim.group_resource_changes(scim.parse_json(request.body))
        team = scim.scim_group_create(client=client, changes=changes)
        team = scim.scim_group(client.organisation, str(team.pk))
        response = _json(_project(request, scim.group_resource(team, **urls)), status=201)
        response["Location"] = f"{urls['groups_url']}/{team.pk}"
        return response
    members = _wants_members(request)
    found = scim.scim_groups(client.organisation, with_members=members)
    if request.GET.get("filter", "").strip():
        found = found.filter(scim.group_filter_q(scim.parse_filter(request.GET["filter"])))
    start, count = scim.paging(request.GET.get("startIndex"), request.GET.get("count"))
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    resources = [
        _project(
            request,
            scim.group_resource(
                team,
                users_url=urls["users_url"],
                groups_url=urls["groups_url"],
                with_members=members,
            ),
        )
        for team in page
    ]
    return _json(scim.list_response(resources, total=total, start=start))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, client: ScimClient, resource_id: str) -> HttpResponse:
    members = _wants_members(request)
    team = scim.scim_group(client.organisation, resource_id, with_members=members)
    if request.method == "DELETE":
        scim.scim_group_delete(client=client, team=team)
        return HttpResponse(status=204)
    if request.method in ("PUT", "PATCH"):
        data = scim.parse_json(request.body)
        if request.method == "PUT":
            changes = scim.group_resource_changes(data)
            if not changes.members:
                changes.members.append(("replace", []))
        else:
            changes = scim.group_patch_changes(data)
        scim.scim_group_update(client=client, team=team, changes=changes)
        if request.method == "PATCH":
            return HttpResponse(status=204)  # as Entra's examples: no body after a group PATCH
        team = scim.scim_group(client.organisation, resource_id, with_members=members)
    urls = _urls(request)
    return _json(
        _project(
            request,
            scim.group_resource(
                team,
                users_url=urls["users_url"],
                groups_url=urls["groups_url"],
                with_members=members,
            ),
        )
    )
