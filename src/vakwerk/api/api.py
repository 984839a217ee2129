"""The REST API v1 of Vakwerk: one NinjaAPI, one router per resource.

To add a resource, write a router module in ``vakwerk/api/routers/`` (see the docstring of
``vakwerk.api.nlgov``) and add it to ``ROUTERS`` below.
"""

from ninja import Router

from vakwerk.api.nlgov import API_VERSION, NlgovNinjaAPI
from vakwerk.api.routers import (
    departments,
    employees,
    estimates,
    frameworks,
    plans,
    practice_figures,
    role_profiles,
    rounds,
    teams,
)

ROUTERS: list[Router] = [
    employees.router,
    teams.router,
    departments.router,
    role_profiles.router,
    frameworks.router,
    rounds.router,
    estimates.router,
    plans.router,
    practice_figures.router,
]

api = NlgovNinjaAPI(
    title="Vakwerk API",
    version=API_VERSION,
    description=(
        "The public REST API of Vakwerk, following the NLGov REST API Design Rules: "
        "camelCase JSON, problem+json errors, paging with `page` and `pageSize`, an "
        "`API-Version` header on every response. Authenticate with an organisation API token "
        "(`Authorization: Bearer vw_...`); each operation needs one scope. See docs/api.md."
    ),
    urls_namespace="api-v1",
)
for router in ROUTERS:
    api.add_router("", router)
