"""Practice results as evidence (source ``practice``), for organisations that let practice count.

One result is one finished scenario attempt on one of its competencies (its score 0..1: the
share of the best available effect chosen), or one answer to a judgement exercise or an insight
card's check question (1 when right, 0 when not). Reflections are private and never evidence.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from vakwerk.organisations.models import Organisation
from vakwerk.practice.models import Attempt, ExerciseAnswer

SOURCE = "practice"


def practice_results(
    organisation: Organisation,
    employee_ids: Iterable[int],
    codes: Iterable[str],
    since: datetime,
    until: datetime,
) -> dict[tuple[int, str], list[float]]:
    """Per (employee id, competency code): the practice results in ``[since, until)``."""
    employees = set(employee_ids)
    wanted = set(codes)
    results: dict[tuple[int, str], list[float]] = defaultdict(list)
    attempts = Attempt.objects.filter(
        organisation=organisation,
        employee_id__in=employees,
        finished_at__gte=since,
        finished_at__lt=until,
    ).values_list("employee_id", "scores")
    for employee_id, scores in attempts.iterator(chunk_size=2000):
        for code, score in scores.items():
            if code in wanted:
                results[employee_id, code].append(float(score))
    answers = ExerciseAnswer.objects.filter(
        organisation=organisation,
        employee_id__in=employees,
        exercise__competency_code__in=wanted,
        answered_at__gte=since,
        answered_at__lt=until,
    ).values_list("employee_id", "exercise__competency_code", "correct")
    for employee_id, code, correct in answers.iterator(chunk_size=2000):
        results[employee_id, code].append(1.0 if correct else 0.0)
    return results
