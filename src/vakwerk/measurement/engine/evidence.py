"""Evidence about one competency: ratings and SJT answers as integer-coded columns.

Every row is one score: who is scored (``person``), by which kind of source, by which rater,
on which item, the 0-based ``score`` and the number of answer ``categories``. Strings are
interned once into tuples (``persons``, ``raters``, ``items``) so the model works on arrays.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ._arrays import IntArray

SOURCES: tuple[str, ...] = ("self", "manager", "peer", "external", "sjt")
"""Evidence sources; the first four are rating sources, ``sjt`` are test answers."""
RATING_SOURCES: tuple[str, ...] = SOURCES[:4]
SOURCE_INDEX: dict[str, int] = {name: code for code, name in enumerate(SOURCES)}
SELF, MANAGER, PEER, EXTERNAL, SJT = range(5)
NO_RATER = -1


@dataclass(frozen=True)
class Evidence:
    """All scores about one competency, column-wise.

    ``persons`` lists everyone to estimate, also people without any evidence (they get the
    prior). ``rater`` is ``NO_RATER`` where there is none (SJT answers, and self-ratings whose
    rater is implied).
    """

    persons: tuple[str, ...]
    raters: tuple[str, ...]
    items: tuple[str, ...]
    person: IntArray
    source: IntArray
    rater: IntArray
    item: IntArray
    score: IntArray
    categories: IntArray

    def __post_init__(self) -> None:
        n = len(self.person)
        columns = (self.source, self.rater, self.item, self.score, self.categories)
        if any(len(column) != n for column in columns):
            raise ValueError("evidence columns differ in length")
        if n == 0:
            return
        checks = (
            (self.person, 0, len(self.persons), "person"),
            (self.source, 0, len(SOURCES), "source"),
            (self.rater, NO_RATER, len(self.raters), "rater"),
            (self.item, 0, len(self.items), "item"),
        )
        for column, low, high, name in checks:
            if column.min() < low or column.max() >= high:
                raise ValueError(f"{name} code out of range")
        if self.categories.min() < 2:
            raise ValueError("categories must be at least 2")
        if self.score.min() < 0 or np.any(self.score >= self.categories):
            raise ValueError("score must lie in 0..categories-1")
        needs_rater = (self.source != SELF) & (self.source != SJT)
        if np.any(needs_rater & (self.rater == NO_RATER)):
            raise ValueError("manager, peer and external scores need a rater")

    @property
    def size(self) -> int:
        """Number of scores."""
        return len(self.person)

    def counts(self) -> IntArray:
        """Scores per person and source, shape ``(len(persons), len(SOURCES))``."""
        flat = self.person * len(SOURCES) + self.source
        counts = np.bincount(flat, minlength=len(self.persons) * len(SOURCES))
        return counts.reshape(len(self.persons), len(SOURCES)).astype(np.int64)

    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[str, str, str, str, int, int]],
        persons: Sequence[str] = (),
    ) -> Evidence:
        """Build evidence for one competency from ``(person, source, rater, item, score,
        categories)`` tuples; ``persons`` adds people who may have no scores at all."""
        builder = EvidenceBuilder(persons)
        for person, source, rater, item, score, categories in records:
            builder.add("", person, source, rater, item, score, categories)
        return builder.build().get("", builder.empty())


class EvidenceBuilder:
    """Collects scores for many competencies with compact storage (for large CSV files)."""

    def __init__(self, persons: Sequence[str] = ()) -> None:
        self._persons: dict[str, int] = {}
        self._raters: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self._columns: dict[str, tuple[array[int], ...]] = {}
        for person in persons:
            self._intern(self._persons, person)

    @staticmethod
    def _intern(table: dict[str, int], key: str) -> int:
        code = table.get(key)
        if code is None:
            code = table[key] = len(table)
        return code

    def add(
        self,
        competency: str,
        person: str,
        source: str,
        rater: str,
        item: str,
        score: int,
        categories: int,
    ) -> None:
        """Add one score. ``source`` must be one of ``SOURCES``."""
        source_code = SOURCE_INDEX[source]
        columns = self._columns.get(competency)
        if columns is None:
            columns = self._columns[competency] = tuple(array("q") for _ in range(6))
        rater_code = NO_RATER if source_code in (SELF, SJT) or not rater else None
        if rater_code is None:
            rater_code = self._intern(self._raters, rater)
        columns[0].append(self._intern(self._persons, person))
        columns[1].append(source_code)
        columns[2].append(rater_code)
        columns[3].append(self._intern(self._items, item))
        columns[4].append(score)
        columns[5].append(categories)

    def empty(self) -> Evidence:
        """Evidence without scores for the persons known so far."""
        none = np.zeros(0, dtype=np.int64)
        return Evidence(
            tuple(self._persons), tuple(self._raters), tuple(self._items), *([none] * 6)
        )

    def build(self) -> dict[str, Evidence]:
        """Evidence per competency; every competency lists every person seen anywhere."""
        persons, raters, items = tuple(self._persons), tuple(self._raters), tuple(self._items)
        result: dict[str, Evidence] = {}
        for competency in sorted(self._columns):
            arrays = [np.frombuffer(column, dtype=np.int64) for column in self._columns[competency]]
            result[competency] = Evidence(persons, raters, items, *arrays)
        return result
