"""Badge pages: the employee's own page (claim, share, download) and the public endpoints a
reader of a shared link or a verifier uses (docs/badges.md).

Public endpoints need no login. The page and the raw credential answer only for a shared
badge (the owner, logged in, also sees an unshared one, marked as such); anything else is a
404, the same answer as a badge that does not exist. The status endpoint answers for every
issued badge: whoever holds a credential must be able to check it, and the answer holds
nothing but "revoked or not" for an id that cannot be guessed. The issuer profile and key set
exist for organisations that issued badges.
"""

import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vakwerk.audit.services import Actor
from vakwerk.badges import credentials, keys, selectors, services
from vakwerk.badges.forms import ClaimForm, ShareForm
from vakwerk.badges.models import Badge, RevocationReason
from vakwerk.organisations.models import Organisation
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors
from vakwerk.people.models import Employee

JWT_CONTENT_TYPE = "application/jwt"
# The reason in the status answer: for machines, in English, and without any personal detail.
PUBLIC_REASON = {
    RevocationReason.BELOW_TARGET.value: "A later measurement no longer confirms this level.",
    RevocationReason.WITHDRAWN.value: "Withdrawn by the issuer.",
}


def _me(request: OrganisationRequest) -> Employee:
    return people_selectors.employee_of_or_404(request.organisation, request.user)


# --- the employee's own page ------------------------------------------------------------------


@role_required()
@require_GET
def mine(request: OrganisationRequest) -> HttpResponse:
    employee = people_selectors.employee_of(request.organisation, request.user)
    if employee is None:
        return render(request, "badges/no_employee.html")
    badges = selectors.employee_badges(request.organisation, employee)
    return render(
        request,
        "badges/mine.html",
        {
            "candidates": selectors.badge_candidates(request.organisation, employee),
            "badges": [(badge, credentials.credential_url(badge.pk)) for badge in badges],
            "has_profile": employee.role_profile_id is not None,
        },
    )


@role_required()
@require_POST
def claim(request: OrganisationRequest) -> HttpResponse:
    employee = _me(request)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        badge = services.badge_claim(
            organisation=request.organisation,
            employee=employee,
            competency_code=form.cleaned_data["competency"],
            actor=Actor.from_request(request),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Your badge “%(name)s” is ready. It is private until you share it.")
            % {"name": badge.name},
        )
    return redirect("badges:mine")


@role_required()
@require_POST
def share(request: OrganisationRequest, badge_id: uuid.UUID) -> HttpResponse:
    badge = selectors.employee_badge(request.organisation, _me(request), badge_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        badge = services.badge_share(
            badge=badge, shared=form.cleaned_data["shared"], actor=Actor.from_request(request)
        )
    except PermissionDenied:
        raise Http404 from None
    if badge.is_shared:
        messages.success(request, _("The badge is shared: anyone with the link can see it."))
    else:
        messages.success(request, _("The badge is private again: its link no longer works."))
    return redirect("badges:mine")


@role_required()
@require_GET
def download(request: OrganisationRequest, badge_id: uuid.UUID, fmt: str) -> HttpResponse:
    badge = selectors.employee_badge(request.organisation, _me(request), badge_id)
    stem = slugify(f"badge-{badge.competency.code}-{badge.issued_at:%Y-%m-%d}")
    if fmt == "jwt":
        response = HttpResponse(badge.jwt, content_type=JWT_CONTENT_TYPE)
    elif fmt == "json":
        response = HttpResponse(
            json.dumps(badge.credential, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


# --- public ---------------------------------------------------------------------------------


def _public(response: HttpResponse, *, max_age: int = 300) -> HttpResponse:
    """Readable by verifiers running in a browser on another site."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _json(data: dict[str, Any], *, max_age: int = 300) -> HttpResponse:
    return _public(
        JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2}),
        max_age=max_age,
    )


def _is_owner(request: HttpRequest, badge: Badge) -> bool:
    return request.user.is_authenticated and badge.employee.user_id == request.user.pk


def _shared_badge(badge_id: uuid.UUID) -> Badge:
    badge = selectors.public_badge(badge_id)
    if badge is None or not badge.is_shared:
        raise Http404
    return badge


@require_GET
def public_page(request: HttpRequest, badge_id: uuid.UUID) -> HttpResponse:
    badge = selectors.public_badge(badge_id)
    if badge is None or not (badge.is_shared or _is_owner(request, badge)):
        raise Http404
    response = render(
        request,
        "badges/public.html",
        {
            "badge": badge,
            "issuer": badge.organisation,
            "signature_ok": keys.verifies(badge.jwt),
            "credential_url": credentials.credential_url(badge.pk),
            "achievement": badge.credential.get("credentialSubject", {}).get("achievement", {}),
        },
    )
    response["Cache-Control"] = "no-store" if not badge.is_shared else "public, max-age=60"
    return response


@require_GET
def public_credential(request: HttpRequest, badge_id: uuid.UUID) -> HttpResponse:
    badge = _shared_badge(badge_id)
    return _public(HttpResponse(badge.jwt, content_type=JWT_CONTENT_TYPE))


@require_GET
def public_status(request: HttpRequest, badge_id: uuid.UUID) -> HttpResponse:
    """A 1EdTech Revocation List (vcrl v1.0) holding only this credential: empty while it is
    valid, one ``revokedCredentials`` entry once revoked."""
    badge = selectors.public_badge(badge_id)
    if badge is None:
        raise Http404
    revoked = []
    if badge.is_revoked:
        entry: dict[str, Any] = {"id": credentials.credential_url(badge.pk), "revoked": True}
        if badge.revocation_reason in PUBLIC_REASON:
            entry["revocationReason"] = PUBLIC_REASON[badge.revocation_reason]
        revoked.append(entry)
    return _json(
        {
            "id": credentials.status_url(badge.pk),
            "issuer": credentials.issuer_url(badge.organisation),
            "revokedCredentials": revoked,
        },
        max_age=60,
    )


def _issuer(slug: str) -> Organisation:
    organisation = selectors.issuer_by_slug(slug)
    if not Badge.objects.filter(organisation=organisation).exists():
        raise Http404
    return organisation


def _key_set(organisation: Organisation) -> list[dict[str, str]]:
    return [
        keys.public_jwk(key, credentials.key_id(organisation, keys.thumbprint(key)))
        for key in keys.published_keys()
    ]


@require_GET
def issuer(request: HttpRequest, slug: str) -> HttpResponse:
    """The issuer's ``Profile``, with its public keys as verification methods."""
    organisation = _issuer(slug)
    profile = credentials.issuer_profile(organisation)
    methods = [
        {"id": jwk["kid"], "type": "JsonWebKey", "controller": profile["id"], "publicKeyJwk": jwk}
        for jwk in _key_set(organisation)
    ]
    return _json({"@context": credentials.CONTEXT, **profile, "verificationMethod": methods})


@require_GET
def jwks(request: HttpRequest, slug: str) -> HttpResponse:
    """The issuer's public keys (RFC 7517 key set): the current one and retired ones."""
    return _json({"keys": _key_set(_issuer(slug))})
