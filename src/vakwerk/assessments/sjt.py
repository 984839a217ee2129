"""Situational judgement tests (SJT): loading item packs, choosing a person's items, scoring.

Format: rate-the-effectiveness. Each item is a situation with four responses; the person rates
each response from 1 (very ineffective) to 5 (very effective). Scoring follows McDaniel et al.
(2011): the person's ratings and the expert key are both standardised *within the test*, and
each item scores 0-4 by how close the person's standardised ratings lie to the standardised key.
``docs/sjt.md`` explains every step, the cut points and the simulation behind them.

The scoring functions (``standardise``, ``item_distance``, ``score_item``, ``score_answers``)
are pure: lists in, numbers out, no database.
"""

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vakwerk.assessments.models import Round, SjtAnswer, SjtItem, SjtOption, Subject
from vakwerk.assessments.privacy import person_key
from vakwerk.assessments.services import require_open
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.content import Pack
from vakwerk.organisations.models import Organisation

OPTIONS_PER_ITEM = 4
# Answer categories of an item score (0..4), as the measurement engine reads them.
SJT_CATEGORIES = 5
# A test shows about 12 situations (10-15 minutes); with fewer than 8 for the person's own
# competencies it is filled up from other competencies, so the within-person standardisation
# rests on at least 32 ratings.
MAX_ITEMS = 12
MIN_ITEMS = 8
# Upper bounds of the mean absolute distance (in standard deviations) for scores 4, 3, 2 and 1;
# anything further scores 0. Fixed before any real answers were seen, from the simulation in
# ``bench/sjt_cut_points.py`` (docs/sjt.md, "Cut points"). Chance level is about 1.13.
CUT_POINTS = (0.5, 0.8, 1.1, 1.4)
# Ratings whose standard deviation is below this count as constant (no differentiation).
MIN_SPREAD = 1e-9


# ----------------------------------------------------------------------------- loading


@transaction.atomic
def sjt_load_pack(*, organisation: Organisation, actor: Actor, pack: Pack) -> int:
    """Add a pack's items (each with its four options and key) to the organisation's item bank.

    Items whose code the organisation already has are left as they are: history is never
    rewritten, and loading a pack twice adds nothing. Returns the number of items created.
    """
    if pack.kind != "sjt":
        raise ValidationError(_("This is not a situational judgement test pack."))
    existing = set(SjtItem.objects.filter(organisation=organisation).values_list("code", flat=True))
    new = [entry for entry in pack.data["items"] if entry["code"] not in existing]
    items = []
    for entry in new:
        item = SjtItem(
            organisation=organisation,
            code=entry["code"],
            competency_code=entry["competency"],
            setting=entry["setting"],
            situation=entry["situation"]["nl"],
            situation_en=entry["situation"]["en"],
            question=entry["question"]["nl"],
            question_en=entry["question"]["en"],
        )
        item.full_clean(validate_unique=False)
        items.append(item)
    items = SjtItem.objects.bulk_create(items)
    options = []
    for item, entry in zip(items, new, strict=True):
        for position, raw in enumerate(entry["options"], start=1):
            option = SjtOption(
                item=item,
                position=position,
                text=raw["text"]["nl"],
                text_en=raw["text"]["en"],
                key=Decimal(str(raw["key"])),
            )
            option.full_clean(validate_unique=False)
            options.append(option)
    SjtOption.objects.bulk_create(options)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="sjt.load_pack",
        details={"pack": pack.slug, "version": pack.data["version"], "created": len(items)},
    )
    return len(items)


# ----------------------------------------------------------------------------- choosing items


class _Coded(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def competency_code(self) -> str: ...


def _rank(seed: str, code: str) -> str:
    # A hash rather than random.shuffle: an item's place depends only on the person and the
    # item's own code, so adding items to the bank later does not reshuffle a test in progress.
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def _interleaved[T: _Coded](items: Iterable[T], seed: str) -> list[T]:
    """Items taken round-robin over their competencies (one of each, then the next one of
    each, ...), both competencies and items within a competency in the person's own order."""
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[item.competency_code].append(item)
    ordered = [
        sorted(groups[code], key=lambda i: _rank(seed, i.code))
        for code in sorted(groups, key=lambda c: _rank(seed, c))
    ]
    result: list[T] = []
    for depth in range(max((len(g) for g in ordered), default=0)):
        result.extend(group[depth] for group in ordered if depth < len(group))
    return result


def select_items[T: _Coded](
    items: Sequence[T], competency_codes: Iterable[str], seed: str, answered: Iterable[str] = ()
) -> list[T]:
    """The person's test: up to ``MAX_ITEMS`` items spread evenly over their competencies,
    filled up to ``MIN_ITEMS`` from other competencies, in an order of their own.

    Items already ``answered`` (codes) always stay in, so the test cannot change under a
    person who has started it. Pure: the same input gives the same test.
    """
    codes = set(competency_codes)
    answered = set(answered)
    chosen: dict[str, T] = {i.code: i for i in items if i.code in answered}
    own = _interleaved((i for i in items if i.competency_code in codes), seed)
    for item in own:
        if len(chosen) >= MAX_ITEMS:
            break
        chosen.setdefault(item.code, item)
    if len(chosen) < MIN_ITEMS:
        for item in _interleaved((i for i in items if i.competency_code not in codes), seed):
            if len(chosen) >= MIN_ITEMS:
                break
            chosen.setdefault(item.code, item)
    return sorted(chosen.values(), key=lambda i: _rank(seed, f"order:{i.code}"))


def subject_ratings(subject: Subject) -> dict[int, int]:
    """The subject's ratings so far: option id -> rating (1-5)."""
    return dict(SjtAnswer.objects.filter(subject=subject).values_list("option_id", "rating"))


def sjt_items_for(subject: Subject, ratings: dict[int, int] | None = None) -> list[SjtItem]:
    """The items this subject's test shows, in their order, with options prefetched."""
    bank = list(
        SjtItem.objects.filter(organisation_id=subject.round.organisation_id).prefetch_related(
            Prefetch("options", queryset=SjtOption.objects.order_by("position"))
        )
    )
    if ratings is None:
        ratings = subject_ratings(subject)
    answered = {item.code for item in bank if any(o.pk in ratings for o in item.options.all())}
    return select_items(bank, subject.competency_codes, f"subject:{subject.pk}", answered)


def item_complete(item: SjtItem, ratings: dict[int, int]) -> bool:
    options = item.options.all()
    return len(options) == OPTIONS_PER_ITEM and all(o.pk in ratings for o in options)


@transaction.atomic
def sjt_complete(*, subject: Subject, actor: Actor) -> None:
    """Hand in the test: every situation shown must have all four responses rated."""
    round_ = subject.round
    require_open(round_)
    if not round_.use_sjt:
        raise ValidationError(_("This round has no situational judgement test."))
    subject = Subject.objects.select_for_update().select_related("round").get(pk=subject.pk)
    ratings = subject_ratings(subject)
    items = sjt_items_for(subject, ratings)
    if not items:
        raise ValidationError(_("There are no situations in this test yet."))
    missing = [item for item in items if not item_complete(item, ratings)]
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)s situation still needs a rating for every response.",
                "%(count)s situations still need a rating for every response.",
                len(missing),
            )
            % {"count": len(missing)}
        )
    if subject.sjt_completed_at is not None:
        return
    subject.sjt_completed_at = timezone.now()
    subject.save(update_fields=["sjt_completed_at"])
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="sjt.complete",
        target=subject,
        details={"items": len(items)},
    )


# ----------------------------------------------------------------------------- scoring


def standardise(values: Sequence[float]) -> list[float]:
    """z-scores (population SD). Constant values have no spread: they all become 0."""
    if not values:
        return []
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if spread < MIN_SPREAD:
        return [0.0 for _v in values]
    return [(v - mean) / spread for v in values]


def item_distance(ratings: Sequence[float], key: Sequence[float]) -> float:
    """Mean absolute distance between standardised ratings and the standardised key."""
    if len(ratings) != len(key) or not ratings:
        raise ValueError("ratings and key must have the same, non-zero length")
    return sum(abs(r - k) for r, k in zip(ratings, key, strict=True)) / len(ratings)


def score_item(ratings: list[float], key: list[float]) -> int:
    """An item's score 0-4 (4: closest to the experts) from the person's *standardised*
    ratings of its four responses and the *standardised* key (see ``score_answers``)."""
    distance = item_distance(ratings, key)
    return 4 - sum(1 for cut in CUT_POINTS if distance >= cut)


def score_answers(
    ratings: dict[str, dict[int, float]], keys: dict[str, dict[int, float]]
) -> dict[str, int]:
    """Item scores for one person's test.

    ``ratings``: item code -> {option position: rating 1-5}; ``keys``: item code -> {option
    position: expert key}. Only items with every option rated are scored. The person's ratings
    over all options of those items are z-scored together (removing their elevation and
    scatter: lenient or strict, extreme or cautious), the key over the same options likewise;
    each item then scores by its mean absolute distance. A person who gives every option the
    same rating has no spread to standardise: nothing is scored (an empty result).
    """
    scored = sorted(
        code
        for code, given in ratings.items()
        if code in keys and len(keys[code]) > 0 and set(given) >= set(keys[code])
    )
    positions = {code: sorted(keys[code]) for code in scored}
    flat_ratings = [float(ratings[c][p]) for c in scored for p in positions[c]]
    flat_key = [float(keys[c][p]) for c in scored for p in positions[c]]
    if not flat_ratings or len(set(flat_ratings)) == 1:
        return {}
    z_ratings, z_key = standardise(flat_ratings), standardise(flat_key)
    scores: dict[str, int] = {}
    start = 0
    for code in scored:
        end = start + len(positions[code])
        scores[code] = score_item(z_ratings[start:end], z_key[start:end])
        start = end
    return scores


def _keys(organisation_id: int, codes: Iterable[str]) -> dict[str, dict[int, float]]:
    keys: dict[str, dict[int, float]] = defaultdict(dict)
    for code, position, key in SjtOption.objects.filter(
        item__organisation_id=organisation_id, item__code__in=list(codes)
    ).values_list("item__code", "position", "key"):
        keys[code][position] = float(key)
    return dict(keys)


def subject_scores(subject: Subject) -> dict[str, int]:
    """Item code -> score 0-4 for the subject's fully rated items."""
    ratings: dict[str, dict[int, float]] = defaultdict(dict)
    for code, position, rating in SjtAnswer.objects.filter(subject=subject).values_list(
        "option__item__code", "option__position", "rating"
    ):
        ratings[code][position] = rating
    keys = _keys(subject.round.organisation_id, ratings)
    return score_answers(dict(ratings), keys)


def sjt_evidence_rows(round_: Round) -> Iterator[dict[str, Any]]:
    """Evidence rows of the round's completed tests, in the measurement engine's long format
    (``person, competency, source, rater, item, score, categories``)."""
    subjects = {
        s.pk: s
        for s in Subject.objects.filter(round=round_, sjt_completed_at__isnull=False)
        .select_related("employee")
        .order_by("pk")
    }
    if not subjects:
        return
    ratings: dict[int, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    competency: dict[str, str] = {}
    for subject_id, code, competency_code, position, rating in SjtAnswer.objects.filter(
        subject_id__in=list(subjects)
    ).values_list(
        "subject_id",
        "option__item__code",
        "option__item__competency_code",
        "option__position",
        "rating",
    ):
        ratings[subject_id][code][position] = rating
        competency[code] = competency_code
    keys = _keys(round_.organisation_id, competency)
    for subject_id, subject in subjects.items():
        employee = subject.employee
        person = person_key(employee.employee_number, employee.pk)
        scores = score_answers(dict(ratings.get(subject_id, {})), keys)
        for code in sorted(scores):
            yield {
                "person": person,
                "competency": competency[code],
                "source": "sjt",
                "rater": "",
                "item": code,
                "score": scores[code],
                "categories": SJT_CATEGORIES,
            }
