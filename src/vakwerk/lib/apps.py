from django.apps import AppConfig


class LibConfig(AppConfig):
    """Plain helpers that belong to no domain; an app only so its template tags load."""

    name = "vakwerk.lib"
