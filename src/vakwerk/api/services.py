"""Writes of the API app: making, using and revoking tokens."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.api.models import ApiToken, Scope
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.case import version_to_case
from vakwerk.frameworks.models import FrameworkVersion
from vakwerk.organisations.models import Organisation

TOKEN_PREFIX = "vw_"  # noqa: S105 (a public marker that tells tokens apart, not a secret)
# last_used_at is written at most this often per token, so busy clients do not write per call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, organisation: Organisation, actor: Actor, name: str, scopes: list[str]
) -> tuple[ApiToken, str]:
    """Make a token and return it with its plain text, which is never stored or shown again.

    The token reads ``vw_<prefix>_<secret>``: a 12-character public prefix and a 256-bit secret.
    """
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        organisation=organisation,
        name=name.strip(),
        scopes=sorted(set(scopes)),
        prefix=prefix,
        secret_hash=_hash(secret),
        created_by=actor.user,
    )
    token.full_clean()
    token.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="api_token.create",
        target=token,
        details={"name": token.name, "scopes": token.scopes, "prefix": prefix},
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Actor) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log(
        organisation=token.organisation,
        actor=actor,
        action="api_token.revoke",
        target=token,
        details={"name": token.name, "prefix": token.prefix},
    )


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token whose plain text is ``raw``, or None. Compares in constant time."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = raw.removeprefix(TOKEN_PREFIX).partition("_")
    if not sep or not secret or len(prefix) != 12:
        return None
    token = ApiToken.objects.active().select_related("organisation").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def api_case_export(
    *, token: ApiToken, version: FrameworkVersion, origin: str | None
) -> dict[str, Any]:
    """The CASE package of ``version`` for an API client, with an audit line naming the token
    (the same action as the export page: ``framework.case_export``)."""
    if version.framework.organisation_id != token.organisation_id:
        raise ValueError("the version belongs to another organisation")
    package = version_to_case(version)
    audit_log(
        organisation=token.organisation,
        actor=Actor(user=None, origin=origin),
        action="framework.case_export",
        target=version,
        details={
            "framework": version.framework.name,
            "version": version.number,
            "via": "api",
            "api_token": token.prefix,
            "api_token_name": token.name,
        },
    )
    return package
