"""User accounts: one person, identified by email, possibly in several organisations."""

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True, is_operator=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who can log in. What they may do depends on their memberships."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    is_operator = models.BooleanField(
        _("operator"),
        default=False,
        help_text=_("Operators (beheerders) run the installation and create organisations."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class OidcLogin(models.Model):
    """An organisation's own identity provider (Entra ID, Keycloak) for OpenID Connect login.

    Each one is backed by an allauth ``SocialApp`` that ``services.oidc_login_save`` keeps in step.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="oidc_login"
    )
    button_label = models.CharField(
        _("button text"),
        max_length=80,
        help_text=_("Shown on the login page, e.g. 'Inloggen met het gemeenteaccount'."),
    )
    issuer = models.URLField(
        _("issuer URL"),
        help_text=_(
            "The identity provider's issuer; its discovery document must be at "
            "<issuer>/.well-known/openid-configuration."
        ),
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret = models.CharField(_("client secret"), max_length=255)
    uid_claim = models.CharField(
        _("claim that identifies the employee"),
        max_length=64,
        default="sub",
        help_text=_("Usually 'sub'; Entra ID installations often use 'oid'."),
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    social_app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("OpenID Connect login")
        verbose_name_plural = _("OpenID Connect logins")

    def __str__(self) -> str:
        return self.button_label

    @property
    def provider_id(self) -> str:
        return f"org-{self.organisation.slug}"
