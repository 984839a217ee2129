from django import template
from django.db.models import QuerySet

from vakwerk.accounts.models import OidcLogin

register = template.Library()


@register.simple_tag
def sso_logins() -> QuerySet[OidcLogin]:
    """The organisations whose employees can log in with their own identity provider."""
    return OidcLogin.objects.filter(is_enabled=True, organisation__is_active=True).select_related(
        "organisation"
    )
