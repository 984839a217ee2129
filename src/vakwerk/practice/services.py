"""Writes of practice: loading scenario packs, cards, and running through a scenario.

A choice is posted with the node it answers; a post for a node the attempt already left (a
double click, a request sent twice after a bad connection) changes nothing, so an answer is
never counted twice.
"""

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.api import xapi
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.content import Pack
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice import scheduling
from vakwerk.practice.models import (
    Attempt,
    Card,
    ScenarioFamily,
    ScenarioVariant,
    graph_digest_of,
)
from vakwerk.practice.selectors import attempt_of, variant_graph

if TYPE_CHECKING:
    from vakwerk.accounts.models import User


@transaction.atomic
def scenarios_load_pack(*, organisation: Organisation, actor: Actor, pack: Pack) -> int:
    """Add the pack's scenario families the organisation does not have yet; returns how many."""
    if pack.kind != "scenarios":
        raise ValidationError(_("This is not a pack of practice scenarios."))
    have = set(
        ScenarioFamily.objects.filter(organisation=organisation).values_list("code", flat=True)
    )
    added = 0
    for data in pack.data["families"]:
        if data["code"] in have:
            continue
        family = ScenarioFamily.objects.create(
            organisation=organisation,
            code=data["code"],
            competency_codes=list(data["competencies"]),
            title=data["title"]["nl"],
            title_en=data["title"]["en"],
            summary=data["summary"]["nl"],
            summary_en=data["summary"]["en"],
            pack=pack.slug,
        )
        graphs = [{"start": v["start"], "nodes": v["nodes"]} for v in data["variants"]]
        ScenarioVariant.objects.bulk_create(  # bulk_create skips save(): the digest is set here
            ScenarioVariant(
                family=family,
                code=variant["code"],
                position=position,
                title=variant["title"]["nl"],
                title_en=variant["title"]["en"],
                setting=variant["setting"]["nl"],
                setting_en=variant["setting"]["en"],
                graph=graph,
                graph_digest=graph_digest_of(graph),
            )
            for position, (variant, graph) in enumerate(zip(data["variants"], graphs, strict=True))
        )
        added += 1
    audit_log(
        organisation=organisation,
        actor=actor,
        action="scenarios.load",
        details={"pack": pack.slug, "added": added},
    )
    return added


def cards_ensure(*, employee: Employee, codes: Iterable[str], now: dt.datetime) -> int:
    """A card, due now, for every offered family x competency in ``codes`` the person lacks."""
    wanted = set(codes)
    have = set(Card.objects.filter(employee=employee).values_list("family_id", "competency_code"))
    new = [
        Card(
            organisation_id=employee.organisation_id,
            employee=employee,
            family=family,
            competency_code=code,
            state=scheduling.new_state(now),
            due=now,
        )
        for family in ScenarioFamily.objects.filter(
            organisation_id=employee.organisation_id, is_active=True
        ).order_by("pk")
        for code in family.competency_codes
        if code in wanted and (family.pk, code) not in have
    ]
    Card.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _next_variant(family: ScenarioFamily, last_id: int | None) -> ScenarioVariant:
    """A different variant than last time: the next one in order, round the family. Without
    its graph (tens of kilobytes of JSON each), only the graph's start node (``start_node``)."""
    variants = list(
        family.variants.filter(is_active=True)
        .defer("graph")
        .annotate(start_node=KT("graph__start"))
        .order_by("position", "pk")
    )
    if not variants:
        raise ValidationError(_("This scenario has no variants."))
    ids = [variant.pk for variant in variants]
    if last_id not in ids:
        return variants[0]
    return variants[(ids.index(last_id) + 1) % len(variants)]


@transaction.atomic
def attempt_start(*, card_id: int, cards: QuerySet[Card] | None = None) -> Attempt:
    """Start a run of the card's family, on another variant than last time. The card is read
    locked from ``cards`` (a view passes the person's own): ``Card.DoesNotExist`` when it is
    not among them."""
    # Lock the card row only: PostgreSQL cannot lock the nullable side of the outer join.
    card = (
        (Card.objects.all() if cards is None else cards)
        .select_for_update(of=("self",))
        .select_related("family")
        .get(pk=card_id)
    )
    variant = _next_variant(card.family, card.last_variant_id)
    card.last_variant = variant
    card.save(update_fields=["last_variant"])
    return Attempt.objects.create(
        organisation_id=card.organisation_id,
        employee_id=card.employee_id,
        variant=variant,
        node=str(variant.start_node),  # type: ignore[attr-defined]
    )


@transaction.atomic
def attempt_choose(
    *,
    organisation: Organisation,
    user: "User",
    attempt_id: int,
    node: str,
    choice: int,
    actor: Actor,
    step: int | None = None,
) -> Attempt:
    """``user`` takes ``choice`` at ``node`` as the ``step``-th answer of their run. A post for
    a node or step the attempt is no longer at does nothing (the step also tells apart two
    visits of one node in a scenario that loops back). Reaching an ending finishes the attempt
    and schedules the person's cards of the family. The attempt is read locked from the user's
    own attempts in ``organisation``: ``Attempt.DoesNotExist`` when it is not among them."""
    attempt = attempt_of(organisation, user, attempt_id, lock=True)
    if attempt is None:
        raise Attempt.DoesNotExist
    if attempt.is_finished or attempt.node != node:
        return attempt
    if step is not None and step != len(attempt.path) + 1:
        return attempt
    nodes = variant_graph(attempt.variant)["nodes"]
    choices = nodes[node].get("choices") or []
    if not 0 <= choice < len(choices):
        raise ValidationError(_("Choose one of the answers shown."))
    attempt.path = [*attempt.path, [node, choice]]
    attempt.node = str(choices[choice]["next"])
    if nodes[attempt.node].get("ending"):
        _finish(attempt, actor, organisation)
    attempt.save(update_fields=["node", "path", "finished_at", "ending", "scores", "ratings"])
    return attempt


def _finish(attempt: Attempt, actor: Actor, organisation: Organisation) -> None:
    """``organisation`` is the attempt's (``attempt_of`` read it there): its scheduling settings
    without reading it again."""
    now = timezone.now()
    nodes = variant_graph(attempt.variant)["nodes"]
    family = attempt.variant.family
    family.organisation = organisation
    attempt.finished_at = now
    attempt.ending = str(nodes[attempt.node]["ending"])
    cards = {
        card.competency_code: card
        for card in Card.objects.select_for_update().filter(
            employee_id=attempt.employee_id, family=family
        )
    }
    for code in family.competency_codes:
        score = scheduling.performance(nodes, attempt.path, code)
        if score is None:
            continue
        rating = scheduling.rating_for(score)
        attempt.scores[code] = round(score, 3)
        attempt.ratings[code] = int(rating)
        card = cards.get(code)
        if card is None:
            continue
        card.state, card.due = scheduling.review(
            card.state,
            rating,
            now,
            retention=organisation.practice_retention,
            maximum_days=organisation.practice_max_interval_days,
        )
        card.reviews += 1
        card.save(update_fields=["state", "due", "reviews"])
    audit_log(
        organisation=organisation,
        actor=actor,
        action="practice.finish",
        target=attempt,
        details={"variant": attempt.variant.code, "scores": attempt.scores},
    )
    xapi.attempt_finished(attempt)  # an xAPI statement, when the organisation has an LRS
