"""Demo campaign: one running theme per demo organisation, so the campaign page has figures
(the demo's practice history falls in its first week) and the practice page shows the theme."""

import datetime as dt

from django.utils import timezone

from vakwerk.audit.services import Actor
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.nudges import campaign_services
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation

TITLE = "Maand van de transparantie"
DESCRIPTION = (
    "Inwoners willen kunnen volgen hoe we tot een besluit komen. Deze maand oefenen we met "
    "uitleggen wat we doen, waarom, en wat iemand van ons kan verwachten."
)
CODE = "AV-TRA"


def seed_campaign(organisation: Organisation) -> Campaign | None:
    """A month of transparency for the whole organisation, started a week ago (once). None when
    the organisation already has a campaign or its framework lacks the competency."""
    if Campaign.objects.filter(organisation=organisation).exists():
        return None
    if CODE not in current_competencies(organisation):
        return None
    today = timezone.localdate()
    return campaign_services.campaign_create(
        organisation=organisation,
        actor=Actor(user=None),
        title=TITLE,
        description=DESCRIPTION,
        competency_codes=[CODE],
        starts_on=today - dt.timedelta(days=7),
        ends_on=today + dt.timedelta(days=23),
    )
