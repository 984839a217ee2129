"""Who may see one person's results: the one rule every insight page and export uses.

- Everyone sees their own results.
- A manager sees a direct report's results when the organisation's policy says "yes", or
  "only with consent" and the employee has given it.
- HR sees anyone's results under the same kind of policy (``hr_visibility``).
- Nobody else: colleagues never see each other's results.

Aggregates (team distribution, organisation figures) follow a different rule: they are shown
only over at least the anonymity threshold of people (``selectors``).
"""

from django.db.models import Q

from vakwerk.organisations.models import ManagerVisibility, Membership, Organisation
from vakwerk.people.models import Employee


def _policy_allows(policy: str, consent: bool) -> bool:
    return policy == ManagerVisibility.YES or (policy == ManagerVisibility.CONSENT and consent)


def manager_sees(employee: Employee) -> bool:
    """Whether the employee's own manager may see the employee's individual results."""
    return _policy_allows(
        employee.organisation.manager_visibility, employee.shares_results_with_manager
    )


def hr_sees(employee: Employee) -> bool:
    return _policy_allows(employee.organisation.hr_visibility, employee.shares_results_with_hr)


def can_see_results(membership: Membership, viewer: Employee | None, subject: Employee) -> bool:
    """Whether the member (with their own employee record, if any) may see ``subject``'s
    individual results. ``subject`` must belong to the membership's organisation."""
    if subject.organisation_id != membership.organisation_id:
        return False
    if viewer is not None and viewer.pk == subject.pk:
        return True
    if (
        membership.is_manager
        and viewer is not None
        and subject.manager_id == viewer.pk
        and not subject.has_left  # a former report is no longer on the team page either
        and manager_sees(subject)
    ):
        return True
    return membership.is_hr and hr_sees(subject)


def hr_sees_filter(organisation: Organisation, *, prefix: str = "") -> Q:
    """``hr_sees`` as a query condition on employees of ``organisation`` (``prefix`` leads to
    the employee, e.g. ``"employee__"`` for estimates), for lists that must show only the
    people HR may see: the organisation's REST API. Must agree with ``hr_sees``."""
    policy = organisation.hr_visibility
    if policy == ManagerVisibility.YES:
        return Q()
    if policy == ManagerVisibility.CONSENT:
        return Q(**{f"{prefix}shares_results_with_hr": True})
    return Q(pk__in=[])
