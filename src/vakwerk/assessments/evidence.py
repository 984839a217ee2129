"""A round's evidence in the measurement engine's CSV format.

Long format, one row per answer: ``person,competency,source,rater,item,score,categories``.
Raters are pseudonyms that are stable within the round (the engine models each rater's
leniency) but say nothing about who they are. Peer and external groups below the anonymity
threshold are left out, exactly as on the pages (see ``privacy``); "cannot judge" is left out.
"""

import csv
import io
from collections.abc import Collection, Iterator

from vakwerk.assessments.models import (
    FREQUENCY_CATEGORIES,
    Answer,
    InvitationStatus,
    Round,
)
from vakwerk.assessments.privacy import (
    anonymous_rater_counts,
    group_is_visible,
    person_key,
    rater_pseudonym,
)
from vakwerk.assessments.sjt import sjt_evidence_rows
from vakwerk.audit.services import Actor, audit_log
from vakwerk.insights import services as insights_services
from vakwerk.people.models import Employee

COLUMNS = ("person", "competency", "source", "rater", "item", "score", "categories")


def evidence_rows(round_: Round) -> Iterator[dict[str, object]]:
    """The round's answers, sorted by person, competency, item, source and pseudonym, so the
    order of rows says nothing about the order in which raters were invited or answered."""
    counts = anonymous_rater_counts(round_)
    answers = Answer.objects.filter(
        invitation__subject__round=round_,
        invitation__status=InvitationStatus.COMPLETED,
        value__isnull=False,
    ).values_list(
        "invitation__subject_id",
        "invitation__subject__employee__employee_number",
        "invitation__subject__employee_id",
        "indicator__competency__code",
        "invitation__source",
        "invitation_id",
        "indicator_id",
        "value",
    )
    rows: list[dict[str, object]] = [
        {
            "person": person_key(number, employee_id),
            "competency": code,
            "source": source,
            "rater": rater_pseudonym(round_, invitation_id),
            "item": f"i{item}",
            "score": value,
            "categories": FREQUENCY_CATEGORIES,
        }
        for subject_id, number, employee_id, code, source, invitation_id, item, value in answers
        if group_is_visible(counts, round_, subject_id, source, code)
    ]
    rows.sort(
        key=lambda r: tuple(str(r[k]) for k in ("person", "competency", "item", "source", "rater"))
    )
    yield from rows
    yield from sjt_evidence_rows(round_)


def evidence_csv(*, round_: Round, actor: Actor, leave_out: Collection[str] = ()) -> str:
    """The round's evidence as CSV, without the rows of the people in ``leave_out`` (their
    ``person`` keys): those whose individual results the downloader may not see."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    written: set[str] = set()
    for row in evidence_rows(round_):
        if row["person"] in leave_out:
            continue
        writer.writerow(row)
        count += 1
        written.add(str(row["person"]))
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.evidence_export",
        target=round_,
        details={"rows": count},
    )
    # Each person in the file sees the download under "who looked at my results".
    people = Employee.objects.filter(subjects__round=round_).select_related("organisation")
    insights_services.results_access_log_many(
        actor=actor,
        employees=[e for e in people if person_key(e.employee_number, e.pk) in written],
        action=insights_services.EXPORT,
        details={"round": round_.pk, "page": "evidence"},
    )
    return buffer.getvalue()
