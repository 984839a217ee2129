"""Organisation API tokens: the credentials of the REST API, SCIM and other machine clients;
and the xAPI link to a Learning Record Store with its queue of statements."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class LrsConnection(models.Model):
    """An organisation's Learning Record Store: where its xAPI statements go (``api.xapi``).

    The key and secret are HTTP Basic credentials that Vakwerk must send, so the secret is
    stored as given (like an OpenID Connect client secret); no page shows it again and no audit
    line contains it. ``salt`` is random and never shown; it makes the pseudonyms of the
    organisation's people and the statement ids (``api.xapi``), and is kept for the life of the
    connection, so a person keeps their pseudonym and an event its statement id.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="lrs_connection"
    )
    endpoint = models.URLField(
        _("xAPI endpoint"),
        max_length=300,
        help_text=_(
            "The address of the LRS's xAPI interface, e.g. https://lrs.example.nl/xAPI/ "
            "(Vakwerk adds statements and about to it)."
        ),
    )
    key = models.CharField(_("key (user name)"), max_length=200)
    secret = models.CharField(_("secret (password)"), max_length=200)
    is_enabled = models.BooleanField(_("send statements"), default=False)
    salt = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("learning record store")
        verbose_name_plural = _("learning record stores")

    def __str__(self) -> str:
        return self.endpoint


class StatementStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Refused by the LRS")


class XapiStatement(models.Model):
    """One xAPI statement on its way to the organisation's LRS.

    ``statement_id`` is the statement's own id, derived from the event (``api.xapi``), so the
    same event queues one row only, and the LRS stores it once however often it is sent (xAPI
    ids make sending idempotent). A statement stays ``queued`` through network errors and
    server errors (with ``next_attempt_at`` backing off) and becomes ``failed`` only when the
    LRS refuses that statement itself; it is never deleted by sending.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="xapi_statements"
    )
    statement_id = models.UUIDField(unique=True, editable=False)
    event = models.CharField(max_length=40)
    statement = models.JSONField()
    status = models.CharField(
        max_length=10, choices=StatementStatus.choices, default=StatementStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event}:{self.statement_id}"
