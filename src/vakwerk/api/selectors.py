"""Reading API tokens, always within one organisation."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from vakwerk.api.models import ApiToken
from vakwerk.organisations.models import Organisation


def api_tokens(organisation: Organisation) -> QuerySet[ApiToken]:
    """The organisation's tokens, active and revoked, newest first."""
    return (
        ApiToken.objects.filter(organisation=organisation)
        .select_related("created_by")
        .order_by("revoked_at", "-created_at", "-pk")
    )


def api_token_of(organisation: Organisation, token_id: int) -> ApiToken:
    """The token with this id in this organisation, or 404."""
    return get_object_or_404(
        ApiToken.objects.select_related("organisation"), pk=token_id, organisation=organisation
    )
