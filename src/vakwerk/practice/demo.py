"""Demo practice: the shipped scenarios, a few weeks of practice history for the people of a
demo organisation, and cards due today (so the demo employee has something to practise)."""

import datetime as dt
import random

from django.utils import timezone

from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import shipped_packs
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice import bank, selectors, services
from vakwerk.practice.models import Attempt, Card, ScenarioFamily

SEED = 8_000
PEOPLE = 12


def seed_scenarios(organisation: Organisation) -> int:
    """The shipped scenarios and practice bank (once)."""
    if ScenarioFamily.objects.filter(organisation=organisation).exists():
        return 0
    actor = Actor(user=None)
    for pack in shipped_packs("exercises"):
        bank.exercises_load_pack(organisation=organisation, actor=actor, pack=pack)
    return sum(
        services.scenarios_load_pack(organisation=organisation, actor=actor, pack=pack)
        for pack in shipped_packs("scenarios")
    )


def seed_practice(organisation: Organisation, *, logins: set[str]) -> int:
    """Past runs (mostly decent choices, some poor) for the demo logins and a dozen others;
    the demo logins keep two cards due today. Returns the number of runs."""
    seed_scenarios(organisation)
    if Attempt.objects.filter(organisation=organisation).exists():
        return 0
    rng = random.Random(SEED)
    people = list(
        Employee.objects.filter(organisation=organisation, user__isnull=False).order_by("pk")
    )
    chosen = [p for p in people if p.email in logins] + [
        p for p in people if p.email not in logins
    ][:PEOPLE]
    now = timezone.now()
    runs = 0
    for person in chosen:
        assert person.user is not None  # chosen from people with a login
        services.cards_ensure(
            employee=person, codes=selectors.practice_codes(organisation, person), now=now
        )
        cards = list(Card.objects.filter(employee=person).select_related("family"))
        rng.shuffle(cards)
        for card in cards[:3]:
            attempt = services.attempt_start(card_id=card.pk)
            skill = rng.random()
            while not attempt.is_finished:
                nodes = selectors.variant_graph(attempt.variant)["nodes"]
                choices = nodes[attempt.node]["choices"]
                best = max(range(len(choices)), key=lambda i: _effect(choices[i], card))
                pick = best if rng.random() < 0.45 + 0.5 * skill else rng.randrange(len(choices))
                attempt = services.attempt_choose(
                    organisation=organisation,
                    user=person.user,
                    attempt_id=attempt.pk,
                    node=attempt.node,
                    choice=pick,
                    actor=Actor(user=person.user),
                )
            days_ago = rng.randint(1, 6)
            Attempt.objects.filter(pk=attempt.pk).update(
                started_at=now - dt.timedelta(days=days_ago, minutes=6),
                finished_at=now - dt.timedelta(days=days_ago),
            )
            runs += 1
        if person.email in logins:
            # Two families due today for the demo logins, whatever FSRS said.
            due = Card.objects.filter(employee=person).exclude(pk__in=[c.pk for c in cards[:3]])[:2]
            Card.objects.filter(pk__in=[c.pk for c in due]).update(due=now)
    return runs


def _effect(choice: dict[str, object], card: Card) -> int:
    effects = choice.get("effects") or {}
    assert isinstance(effects, dict)
    return int(effects.get(card.competency_code, 0))
