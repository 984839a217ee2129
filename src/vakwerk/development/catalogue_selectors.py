"""Reads for HR's catalogue pages ("Leeraanbod"), always within one organisation."""

from django.db.models import Q, QuerySet

from vakwerk.development.models import Activity
from vakwerk.organisations.models import Organisation

OFFERED = "aangeboden"
RETIRED = "teruggetrokken"
ALL = "alle"


def codes_in_use(organisation: Organisation) -> set[str]:
    """Every competency code some activity of the organisation refers to (one query).

    The codes live in a JSON list per activity; a catalogue holds hundreds of activities at
    most, so collecting them here is cheaper than database-specific JSON functions.
    """
    found: set[str] = set()
    for codes in Activity.objects.filter(organisation=organisation).values_list(
        "competency_codes", flat=True
    ):
        found.update(code for code in codes if isinstance(code, str))
    return found


def activities(
    organisation: Organisation,
    *,
    search: str = "",
    competency: str = "",
    activity_format: str = "",
    status: str = ALL,
) -> QuerySet[Activity]:
    """The organisation's activities, filtered, sorted by title.

    ``competency`` must be a known code (the view only passes codes from ``codes_in_use``):
    it is matched as a quoted string in the stored JSON list, which works on SQLite and
    PostgreSQL alike and cannot match a longer code that starts the same way.
    """
    found = Activity.objects.filter(organisation=organisation)
    if search:
        found = found.filter(Q(title__icontains=search) | Q(title_en__icontains=search))
    if competency:
        found = found.filter(competency_codes__icontains=f'"{competency}"')
    if activity_format:
        found = found.filter(format=activity_format)
    if status == OFFERED:
        found = found.filter(is_active=True)
    elif status == RETIRED:
        found = found.filter(is_active=False)
    return found.order_by("title", "pk")
