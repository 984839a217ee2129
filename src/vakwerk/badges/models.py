"""Badges: Open Badges 3.0 credentials an employee claimed for a competency (docs/badges.md).

A badge is one signed ``OpenBadgeCredential`` for one employee and one competency, resting on
the estimate of one round: the person's current level there reached their role's target. The
signed credential (a compact JWS, "VC-JWT") is stored as issued and never changed; what
changes is whether the employee shares it publicly and whether it is revoked. The id is the
credential's own id (a random UUID), so public links cannot be guessed.

The round and estimate are kept with ``SET_NULL``: a recomputed round replaces its estimates
and retention removes old ones, but a credential that is out in the world keeps its record,
so its status can still be answered.
"""

import uuid
from typing import Any

from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from vakwerk.badges.keys import read_compact


class RevocationReason(models.TextChoices):
    BELOW_TARGET = "below_target", _("A later measurement showed a lower level")
    WITHDRAWN = "withdrawn", _("Withdrawn by the organisation")


class Badge(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="badges"
    )
    employee = models.ForeignKey("people.Employee", on_delete=models.CASCADE, related_name="badges")
    competency = models.ForeignKey(
        "frameworks.Competency",
        on_delete=models.PROTECT,
        related_name="badges",
        verbose_name=_("competency"),
    )
    round = models.ForeignKey(
        "assessments.Round",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="badges",
        verbose_name=_("round"),
    )
    estimate = models.ForeignKey(
        "measurement.Estimate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="badges",
    )
    level = models.FloatField(_("level when claimed"))
    target_level = models.PositiveSmallIntegerField(_("level the badge confirms"))
    issued_at = models.DateTimeField(_("issued"))
    jwt = models.TextField(_("signed credential"))
    is_shared = models.BooleanField(_("shared publicly"), default=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("reason for revocation"), max_length=20, choices=RevocationReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "competency", "round"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_valid_badge_per_round_competency",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revocation_reason=""),
                name="revoked_badge_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "employee", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.employee_id}:{self.competency_id}:{self.pk}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @cached_property
    def credential(self) -> dict[str, Any]:
        """The signed credential's content as issued (read, not verified)."""
        try:
            return read_compact(self.jwt)[1]
        except ValueError:
            return {}

    @property
    def name(self) -> str:
        return str(self.credential.get("name", ""))
