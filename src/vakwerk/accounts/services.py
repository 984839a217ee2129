"""Writes to accounts: SSO sign-up, an organisation's OpenID Connect settings, MFA enrolment."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialApp
from django.db import transaction

from vakwerk.accounts.models import OidcLogin, User
from vakwerk.audit.services import Actor, audit_log
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee


@transaction.atomic
def sso_user_joined(*, user: User, organisation: Organisation, actor: Actor) -> Membership:
    """A person logged in through their organisation's SSO for the first time: employee only."""
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"is_employee": True}
    )
    # The employee may exist already (people import, SCIM provisioning): link it to the login.
    employee = Employee.objects.filter(organisation=organisation, email__iexact=user.email).first()
    if employee is None:
        Employee.objects.create(
            organisation=organisation,
            email=user.email,
            user=user,
            first_name=user.first_name or user.email.split("@")[0],
            last_name=user.last_name,
        )
    elif employee.user_id is None:
        employee.user = user
        employee.save(update_fields=["user"])
    audit_log(
        organisation=organisation,
        actor=actor,
        action="account.sso_signup",
        target=user,
        details={"email": user.email},
    )
    return membership


@transaction.atomic
def oidc_login_save(
    *,
    organisation: Organisation,
    actor: Actor,
    button_label: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    uid_claim: str,
    is_enabled: bool,
) -> OidcLogin:
    """Create or update the organisation's OpenID Connect login and its allauth SocialApp.

    An empty ``client_secret`` keeps the stored one, so the form never has to show it.
    """
    existing = OidcLogin.objects.filter(organisation=organisation).select_related("social_app")
    oidc_login = existing.first()
    social_app = oidc_login.social_app if oidc_login else SocialApp(provider="openid_connect")
    social_app.provider_id = f"org-{organisation.slug}"
    social_app.name = button_label[:40]
    social_app.client_id = client_id
    if client_secret:
        social_app.secret = client_secret
    social_app.settings = {
        "server_url": issuer,
        "uid_field": uid_claim,
        "oauth_pkce_enabled": True,
        "token_auth_method": "client_secret_post",
    }
    social_app.full_clean()
    social_app.save()
    if oidc_login is None:
        oidc_login = OidcLogin(organisation=organisation, social_app=social_app)
    oidc_login.button_label = button_label
    oidc_login.issuer = issuer
    oidc_login.client_id = client_id
    if client_secret:
        oidc_login.client_secret = client_secret
    oidc_login.uid_claim = uid_claim
    oidc_login.is_enabled = is_enabled
    oidc_login.full_clean()
    oidc_login.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="sso.configure",
        target=oidc_login,
        details={
            "issuer": issuer,
            "client_id": client_id,
            "uid_claim": uid_claim,
            "enabled": is_enabled,
            "secret_changed": bool(client_secret),
        },
    )
    return oidc_login


def totp_enrol(*, user: User, secret: str) -> Authenticator:
    """Enrol ``user`` in TOTP with a known secret (demo and test accounts only)."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    return TOTP.activate(user, secret).instance
