"""The data of the fault tests (``test_faults.py``), written in a process of its own.

The fault tests talk to a private PostgreSQL cluster through other processes (gunicorn, task
workers); Django reads ``DATABASE_URL`` once, at start, so the data is seeded by this module run
as a script against that cluster's database:

    DATABASE_URL=postgres://... python -m vakwerk.tests.fault_scene

It migrates the empty database, seeds it and prints what the tests need as JSON on the last
line of its output.

The scene: one organisation with the shipped framework published, a team of six with a manager
(each with a login), and

- round A: self, manager and peer answers, closed, so its estimates are *queued* as a task
  (``measurement.tasks.compute_estimates``) in django-tasks-db's queue, not computed;
- round B: open, on three competencies, with four external raters for one person (links, no
  login), who answer over HTTP in the test;
- a running campaign, so the daily ``notifications`` job, queued as a task as well, has visible
  work: one campaign item per person with a login.

It also reports what the two queued tasks leave behind when each runs once, undisturbed
(``OUTCOME``): run here, in this process, and rolled back, so the scene keeps them queued and
the tests compare every fault against it without starting another worker.
"""

from __future__ import annotations

import json
from typing import Any

# What the queued tasks leave behind, without the moments they ran at: per name a query
# whose rows ``outcome_query`` turns into one JSON text (the same in every process).
OUTCOME = {
    "estimates": "SELECT to_jsonb(e) - 'id' - 'computed_at' AS estimate"
    " FROM measurement_estimate e ORDER BY employee_id, competency_code",
    "estimate runs": "SELECT to_jsonb(r) - 'created_at' - 'started_at' - 'finished_at' AS run"
    " FROM measurement_estimaterun r ORDER BY id",
    # A job's details count what its last attempt added, not what a killed one left: apart.
    "job runs": "SELECT job, period, status, error FROM nudges_jobrun ORDER BY id",
    "notifications": "SELECT to_jsonb(n) - 'id' - 'created_at' AS notification"
    " FROM nudges_notification n ORDER BY user_id, key",
    "audit": "SELECT action, count(*) AS lines FROM audit_auditevent"
    " WHERE action LIKE 'estimates.%' GROUP BY action ORDER BY action",
}
JOB_DETAILS = "SELECT details, attempts FROM nudges_jobrun ORDER BY id"


def outcome_query(query: str) -> str:
    """``query``'s rows as one JSON text: a list of objects, one per row, in its order."""
    return f"SELECT coalesce(json_agg(q), '[]')::text FROM ({query}) q"  # noqa: S608


def seed() -> dict[str, Any]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from vakwerk.accounts.models import User
    from vakwerk.assessments import services
    from vakwerk.assessments.models import Answer, Invitation, Subject
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks import services as frameworks
    from vakwerk.frameworks.content import shipped_pack
    from vakwerk.frameworks.models import RoleProfile
    from vakwerk.measurement.models import EstimateRun
    from vakwerk.nudges.models import Campaign
    from vakwerk.nudges.tasks import notifications
    from vakwerk.organisations.models import Membership, Organisation, Role
    from vakwerk.tests.factories import EmployeeFactory, RoundFactory, TeamFactory

    assert connection.vendor == "postgresql", connection.vendor
    actor = Actor(user=None)
    organisation = Organisation.objects.create(slug="storing", name="Gemeente Storing")
    framework_pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    assert framework_pack is not None
    framework = frameworks.framework_adopt_pack(
        organisation=organisation, actor=actor, pack=framework_pack
    )
    version = framework.versions.get()
    frameworks.framework_publish(version=version, actor=actor)
    version.refresh_from_db()

    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    team = TeamFactory(organisation=organisation)
    manager = EmployeeFactory(organisation=organisation, team=team, role_profile=profile)
    members = EmployeeFactory.create_batch(
        6, organisation=organisation, team=team, manager=manager, role_profile=profile
    )
    for employee in [manager, *members]:
        user = User.objects.create(email=employee.email, password="!fault")
        membership = Membership(user=user, organisation=organisation)
        membership.set_roles([Role.EMPLOYEE])
        membership.save()
        employee.user = user
        employee.save(update_fields=["user"])

    # Round A: answered by everyone (as vakwerk.tests.measured), then closed.
    round_a = RoundFactory(
        organisation=organisation, version=version, use_external=False, use_sjt=False
    )
    services.round_open(round_=round_a, actor=actor)

    def answer(invitation: Invitation, person: int, rater: int) -> None:
        Answer.objects.bulk_create(
            Answer(
                invitation=invitation,
                indicator=item,
                value=None if position == 0 else min(1 + person % 3 + position % 2 - rater % 2, 4),
            )
            for position, item in enumerate(services.invitation_items(invitation))
        )
        Invitation.objects.filter(pk=invitation.pk).update(started_at=timezone.now())
        invitation.refresh_from_db()
        services.invitation_complete(invitation=invitation, actor=actor)

    for index, member in enumerate(members):
        subject = Subject.objects.get(round=round_a, employee=member)
        peers = [m for m in members if m != member][index % 3 : index % 3 + 3]
        services.peers_approve(subject=subject, actor=actor, peers=peers)
        for rater, invitation in enumerate(subject.invitations.order_by("source", "rater_id")):
            answer(invitation, index, rater)
    answer(Invitation.objects.get(subject__round=round_a, subject__employee=manager), 7, 0)
    services.round_close(round_=round_a, actor=actor)  # queues the estimates (on commit)
    run = EstimateRun.objects.get(round=round_a)

    # Round B: open, on three competencies, four external raters for the first member.
    round_b = RoundFactory(
        organisation=organisation,
        version=version,
        use_external=True,
        use_peers=False,
        use_sjt=False,
        competency_codes=sorted(version.competencies.values_list("code", flat=True))[:3],
    )
    services.round_open(round_=round_b, actor=actor)
    subject = Subject.objects.get(round=round_b, employee=members[0])
    raters = []
    for number in range(4):
        invitation, token = services.external_invite(
            subject=subject,
            actor=actor,
            name=f"Extern {number}",
            email=f"extern{number}@partner.example",
            relation="Ketenpartner",
        )
        items = [item.pk for item in services.invitation_items(invitation)]
        raters.append({"invitation": invitation.pk, "token": token, "items": items})

    today = timezone.localdate()
    Campaign.objects.create(
        organisation=organisation,
        title="Maand van de storing",
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
    )
    notifications.enqueue()
    return {
        "round": round_a.pk,
        "run": run.pk,
        "raters": raters,
        "people": 1 + len(members),
    }


class _RollBackError(Exception):
    pass


def undisturbed(run_id: int) -> dict[str, Any]:
    """The estimates of run ``run_id`` and the ``notifications`` job, each run once, as
    their tasks do; what they leave behind is read and then rolled back."""
    from django.db import connection, transaction

    from vakwerk.measurement.services import estimates_compute
    from vakwerk.nudges.jobs import job_run

    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic():
            assert estimates_compute(run_id=run_id) == "done"
            job = job_run("notifications")
            assert job is not None
            assert job.status == "done"
            with connection.cursor() as cursor:
                for name, query in {**OUTCOME, "job details": JOB_DETAILS}.items():
                    cursor.execute(outcome_query(query))
                    outcome[name] = json.loads(cursor.fetchone()[0])
            raise _RollBackError
    except _RollBackError:
        pass
    return outcome


def main() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    scene = seed()
    scene["undisturbed"] = undisturbed(scene["run"])
    print(json.dumps(scene))


if __name__ == "__main__":
    main()
