"""The export of ``audit.privacy`` as a readable document: headings, lists and tables.

The same dict is downloaded as JSON and shown on the printable page (and its PDF), so the page
can never show more or less than the download. Keys become translated labels; a key without a
label is shown as it is (so a new field still shows up, only less prettily).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LABELS: dict[str, str | Promise] = {
    # sections
    "personal_details": _("Personal details"),
    "rounds": _("Measurement rounds and your own answers"),
    "results": _("Results"),
    "feedback": _("Feedback about you, as your report shows it"),
    "development_plans": _("Development plans"),
    "practice": _("Practice"),
    "badges": _("Badges"),
    "journal": _("Your journal"),
    "notifications": _("Notifications and preferences"),
    "access_log": _("Who looked at your results"),
    "audit": _("Audit log lines about you"),
    # fields
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("Email address"),
    "employee_number": _("Employee number"),
    "job_title": _("Job title"),
    "team": _("Team"),
    "manager": _("Manager"),
    "role_profile": _("Role profile"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "shares_results_with_manager": _("Your manager may see your results"),
    "shares_results_with_hr": _("HR may see your results"),
    "login_email": _("Login email address"),
    "roles": _("Roles"),
    "round": _("Round"),
    "opens_on": _("Opens on"),
    "closes_on": _("Closes on"),
    "status": _("Status"),
    "competencies": _("Competencies"),
    "competency": _("Competency"),
    "self_assessment": _("Your self-assessment"),
    "self_comments": _("Your comments on yourself"),
    "situational_judgement": _("Your situational judgement answers"),
    "questionnaires_about_colleagues": _("Questionnaires about colleagues (number per status)"),
    "behaviour": _("Behaviour"),
    "answer": _("Answer"),
    "comment": _("Comment"),
    "situation": _("Situation"),
    "response": _("Response"),
    "rating": _("Rating"),
    "estimates": _("Measured levels"),
    "pulse_checks": _("Pulse checks"),
    "pulse_updates": _("Levels updated by pulse checks"),
    "level": _("Level"),
    "issued_at": _("Issued"),
    "shared": _("Shared publicly"),
    "revoked_at": _("Revoked"),
    "revocation_reason": _("Reason for revocation"),
    "credential": _("Signed credential"),
    "level_lower": _("Lower bound"),
    "level_upper": _("Upper bound"),
    "level_before": _("Level before"),
    "agreement": _("Agreement between sources"),
    "computed_at": _("Computed"),
    "created_at": _("Created"),
    "due_at": _("Due"),
    "completed_at": _("Completed"),
    "situations": _("Situations"),
    "answers_per_source": _("Answers per source (answer: number)"),
    "comments_per_source": _("Comments per source"),
    "kind": _("Kind"),
    "target": _("Target"),
    "goal": _("Goal"),
    "activity": _("Activity"),
    "activities": _("Activities"),
    "focuses": _("Focus"),
    "due_date": _("Done by"),
    "reflection": _("Reflection"),
    "manager_comment": _("Comment of your manager"),
    "submitted_at": _("Submitted"),
    "decided_at": _("Decided"),
    "cards": _("Practice schedule"),
    "attempts": _("Scenario attempts"),
    "exercise_answers": _("Exercise answers"),
    "scenario": _("Scenario"),
    "due": _("Due"),
    "reviews": _("Times practised"),
    "scores": _("Scores"),
    "ending": _("Ending"),
    "started_at": _("Started"),
    "finished_at": _("Finished"),
    "exercise": _("Exercise"),
    "choice": _("Choice"),
    "correct": _("Correct"),
    "answered_at": _("Answered"),
    "text": _("Text"),
    "preferences": _("Preferences"),
    "language": _("Language"),
    "weekly_digest": _("Weekly digest"),
    "reminders": _("Reminders"),
    "emails": _("Emails"),
    "details": _("Details"),
    "read_at": _("Read"),
    "period": _("Period"),
    "sent_at": _("Sent"),
    "when": _("When"),
    "who": _("Who"),
    "by": _("By"),
    "action": _("What"),
    "object": _("About"),
    "result": _("Result"),
}


NOTHING = "\u2013"  # an en dash: no value


def label(key: str) -> str:
    return str(LABELS.get(key, key))


@dataclass
class Block:
    """One piece of the document: ``fields`` (label, value pairs), a ``table``, a titled
    ``group`` of blocks, or ``empty`` (nothing stored)."""

    kind: str
    title: str = ""
    level: int = 2
    fields: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if isinstance(value, dict):
        return "; ".join(f"{label(str(k))}: {_text(v)}" for k, v in value.items()) or NOTHING
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or NOTHING
    return str(value)


def _is_table(items: list[Any]) -> bool:
    return all(
        isinstance(item, dict)
        and not any(isinstance(v, list) and v and isinstance(v[0], dict) for v in item.values())
        for item in items
    )


def blocks_of(key: str, value: Any, level: int = 2) -> Block:
    """The document block for ``value`` under the heading ``label(key)``."""
    title = label(key)
    if isinstance(value, list):
        if not value:
            return Block("empty", title=title, level=level)
        if _is_table(value):
            headers = list(dict.fromkeys(k for item in value for k in item))
            return Block(
                "table",
                title=title,
                level=level,
                headers=[label(h) for h in headers],
                rows=[[_text(item.get(h)) for h in headers] for item in value],
            )
        return Block(
            "group",
            title=title,
            level=level,
            blocks=[
                blocks_of(str(item.get("round") or index + 1), item, min(level + 1, 6))
                if isinstance(item, dict)
                else Block("fields", level=level + 1, fields=[("", _text(item))])
                for index, item in enumerate(value)
            ],
        )
    if isinstance(value, dict):
        simple = [
            (label(k), _text(v))
            for k, v in value.items()
            if not (isinstance(v, list) and v and isinstance(v[0], dict))
            and not (isinstance(v, dict) and any(isinstance(x, list) for x in v.values()))
        ]
        nested = [
            blocks_of(k, v, min(level + 1, 6))
            for k, v in value.items()
            if (isinstance(v, list) and v and isinstance(v[0], dict))
            or (isinstance(v, dict) and any(isinstance(x, list) for x in v.values()))
        ]
        blocks = ([Block("fields", level=level, fields=simple)] if simple else []) + nested
        return Block("group", title=title, level=level, blocks=blocks)
    return Block("fields", title=title, level=level, fields=[(title, _text(value))])


def document(data: dict[str, Any]) -> list[Block]:
    """One block per section of the export, in the export's order."""
    return [blocks_of(key, value) for key, value in data["sections"].items()]
