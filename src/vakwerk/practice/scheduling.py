"""Spaced practice with FSRS: how a scenario run becomes a rating, and the next review date.

**Performance.** At each decision point the chosen option's effect on a competency is compared
with the best and worst options offered there: ``(chosen - worst) / (best - worst)``; points
where all options have the same effect on that competency are skipped. The performance is the
mean over the run (0..1).

**Rating** (FSRS's Again/Hard/Good/Easy), documented in ``docs/practice.md``:

====================  ========
performance           rating
====================  ========
below 0.40            Again
0.40 up to 0.65       Hard
0.65 up to 0.90       Good
0.90 and above        Easy
====================  ========

**Scheduler.** The organisation sets the desired retention (default 0.85) and the longest
interval (default 120 days). Flashcard-style learning steps of minutes do not fit practice
that happens at most once a day, so cards go straight to day-scale review intervals; fuzzing
is off so that schedules are reproducible.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import fsrs

AGAIN_BELOW, HARD_BELOW, GOOD_BELOW = 0.40, 0.65, 0.90


def performance(nodes: Mapping[str, Any], path: Sequence[Sequence[Any]], code: str) -> float | None:
    """Mean share of the best available effect on ``code`` over the decisions taken; None when
    no decision in the run told the options apart on this competency."""
    shares = []
    for node_id, index in path:
        choices = nodes[node_id].get("choices") or []
        effects = [int((c.get("effects") or {}).get(code, 0)) for c in choices]
        best, worst = max(effects), min(effects)
        if best == worst:
            continue
        shares.append((effects[int(index)] - worst) / (best - worst))
    return sum(shares) / len(shares) if shares else None


def rating_for(score: float) -> fsrs.Rating:
    if score < AGAIN_BELOW:
        return fsrs.Rating.Again
    if score < HARD_BELOW:
        return fsrs.Rating.Hard
    if score < GOOD_BELOW:
        return fsrs.Rating.Good
    return fsrs.Rating.Easy


def scheduler(*, retention: float, maximum_days: int) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        desired_retention=retention,
        maximum_interval=maximum_days,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def new_state(now: dt.datetime) -> dict[str, Any]:
    card = fsrs.Card(due=now)
    return dict(card.to_dict())


def review(
    state: Mapping[str, Any],
    rating: fsrs.Rating,
    now: dt.datetime,
    *,
    retention: float,
    maximum_days: int,
) -> tuple[dict[str, Any], dt.datetime]:
    """The card after this review, and its next due moment."""
    # ``state`` is the stored CardDict (a TypedDict in fsrs); JSON gives it back as a dict.
    card = fsrs.Card.from_dict(state) if state else fsrs.Card(due=now)  # type: ignore[arg-type]
    updated, _log = scheduler(retention=retention, maximum_days=maximum_days).review_card(
        card, rating, review_datetime=now
    )
    return dict(updated.to_dict()), updated.due
