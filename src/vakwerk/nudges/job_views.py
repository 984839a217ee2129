"""The operators' page of periodic jobs: schedule, last run, next run, and a manual start."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vakwerk.audit.services import Actor, audit_log
from vakwerk.nudges.jobs import JOBS, last_runs
from vakwerk.organisations.permissions import operator_required


@operator_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    runs = last_runs()
    # The details as pairs: a key such as "items" would hide dict.items in the template.
    rows = [
        (job, run, sorted(run.details.items()) if run else [], job.next_run(now))
        for name, job in JOBS.items()
        for run in [runs.get(name)]
    ]
    return render(request, "nudges/job_list.html", {"rows": rows})


@operator_required
@require_POST
def job_start(request: HttpRequest, name: str) -> HttpResponse:
    from vakwerk.nudges.tasks import TASKS

    if name not in TASKS:
        raise Http404
    TASKS[name].enqueue()
    audit_log(
        organisation=None,
        actor=Actor.from_request(request),
        action="job.start",
        details={"job": name},
    )
    messages.success(
        request,
        _("The job has been queued. It does nothing when it already ran for this period."),
    )
    return redirect("jobs:list")
