from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShellConfig(AppConfig):
    """The application shell: layout, navigation, home and the public information pages."""

    name = "vakwerk.shell"
    verbose_name = _("Shell")

    def ready(self) -> None:
        from vakwerk.shell import checks  # noqa: F401  (registers the production checks)
