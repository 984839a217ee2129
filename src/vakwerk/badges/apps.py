from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    """Open Badges 3.0: signed credentials for competencies measured at the role's target."""

    name = "vakwerk.badges"
    verbose_name = _("Badges")

    def ready(self) -> None:
        from vakwerk.badges import checks  # noqa: F401  (registers the signing key check)
