"""Writing audit lines. Call these inside the transaction of the change they describe."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest

from vakwerk.audit.models import AuditEvent, Result

if TYPE_CHECKING:
    from vakwerk.accounts.models import User
    from vakwerk.organisations.models import Organisation

# Keys that must never reach the audit log, whatever a caller passes in details.
SECRET_KEYS = frozenset({"password", "secret", "client_secret", "token", "code", "totp"})


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: passed from the view to every service that writes."""

    user: "User | None"
    origin: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> "Actor":
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, origin=client_ip(request))


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the peer; a trusted reverse proxy must set it (e.g. gunicorn's
    # --forwarded-allow-ips). X-Forwarded-For is not trusted: anyone can send it.
    return request.META.get("REMOTE_ADDR") or None


def audit_log(
    *,
    organisation: "Organisation | None",
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    result: str = Result.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = _event(organisation, actor, action, target, details)
    event.result = result
    event.save()
    return event


def _event(
    organisation: "Organisation | None",
    actor: Actor,
    action: str,
    target: models.Model | None,
    details: dict[str, Any] | None,
) -> AuditEvent:
    return AuditEvent(
        organisation=organisation,
        actor=actor.user,
        actor_label=actor.user.email if actor.user else "",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        origin=actor.origin,
        details={k: v for k, v in (details or {}).items() if k.lower() not in SECRET_KEYS},
    )


def audit_log_many(
    *,
    organisation: "Organisation",
    actor: Actor,
    action: str,
    targets: Sequence[models.Model],
    details: dict[str, Any] | None = None,
) -> None:
    """One line per target in one insert (e.g. every person shown on a team page)."""
    AuditEvent.objects.bulk_create(
        _event(organisation, actor, action, target, details) for target in targets
    )
