"""django-allauth hooks: closed self sign-up, SSO sign-up into the right organisation."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from vakwerk.accounts.models import OidcLogin, User
from vakwerk.accounts.services import sso_user_joined
from vakwerk.audit.services import Actor


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People are added by HR, by SCIM provisioning or through their organisation's SSO.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def _oidc_login(self, sociallogin: Any) -> OidcLogin | None:
        return (
            OidcLogin.objects.select_related("organisation")
            .filter(social_app__provider_id=sociallogin.account.provider)
            .first()
        )

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        oidc_login = self._oidc_login(sociallogin)
        if oidc_login is None or not oidc_login.is_enabled or not oidc_login.organisation.is_active:
            messages.error(
                request, _("Logging in with this organisation's account is switched off.")
            )
            raise ImmediateHttpResponse(redirect("account_login"))

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return self._oidc_login(sociallogin) is not None

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> User:
        user: User = super().save_user(request, sociallogin, form)
        oidc_login = self._oidc_login(sociallogin)
        assert oidc_login is not None  # is_open_for_signup let this sign-up through
        sso_user_joined(
            user=user,
            organisation=oidc_login.organisation,
            actor=Actor(user=user, origin=Actor.from_request(request).origin),
        )
        return user
