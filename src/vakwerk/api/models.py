"""Organisation API tokens: the credentials of the REST API, SCIM and other machine clients."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a token may do. Read scopes cover one kind of resource of the REST API; ``scim``
    allows provisioning users and groups through SCIM 2.0."""

    EMPLOYEES_READ = "employees:read", _("Read employees and teams")
    FRAMEWORKS_READ = "frameworks:read", _("Read frameworks and role profiles")
    ROUNDS_READ = "rounds:read", _("Read measurement rounds")
    ESTIMATES_READ = "estimates:read", _("Read measured levels")
    PLANS_READ = "plans:read", _("Read development plans")
    PRACTICE_READ = "practice:read", _("Read practice figures")
    SCIM = "scim", _("Provision users and groups (SCIM)")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token of one organisation. The secret is shown once when the token is made and
    stored only as its SHA-256 hash (a random 256-bit secret needs no slow hash: there is
    nothing to guess). ``prefix`` is the public start of the token, shown in lists so a person
    can tell tokens apart, and used to find the row."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes
