"""Audit lines for logins and failed logins (BIO2 8.15.01).

Django's auth signals are the only place that sees every login, whichever way it came in
(password, SSO, admin), so the audit write lives here rather than in a service call.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from vakwerk.accounts.models import User
from vakwerk.audit.models import Result
from vakwerk.audit.services import Actor, audit_log, client_ip
from vakwerk.organisations.models import Organisation


def _organisations_of(user: User) -> list[Organisation | None]:
    organisations: list[Organisation | None] = list(
        Organisation.objects.filter(memberships__user=user)
    )
    return organisations or [None]


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    actor = Actor(user=user, origin=client_ip(request) if request else None)
    for organisation in _organisations_of(user):
        audit_log(organisation=organisation, actor=actor, action="login", target=user)


@receiver(user_logged_out)
def audit_logout(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    actor = Actor(user=user, origin=client_ip(request) if request else None)
    for organisation in _organisations_of(user):
        audit_log(organisation=organisation, actor=actor, action="logout", target=user)


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "").lower()
    user = User.objects.filter(email=email).first() if email else None
    actor = Actor(user=None, origin=client_ip(request) if request else None)
    organisations = _organisations_of(user) if user else [None]
    for organisation in organisations:
        audit_log(
            organisation=organisation,
            actor=actor,
            action="login",
            target=user,
            result=Result.FAILURE,
            details={"email": email},
        )
