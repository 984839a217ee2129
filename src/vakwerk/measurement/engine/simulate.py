"""Synthetic organisations with known true levels, for tests and the benchmark.

The generating model is deliberately *not* the engine's model: ratings are ordinal (a latent
continuous judgement cut into categories, with floor and ceiling effects), the SJT measures a
construct that correlates 0.9 with the rated one, teams differ in level, and in the confounded
variant lenient managers lead the weaker teams. Effect sizes follow PRODUCT.md: per rating the
person explains about 22% of the variance and rater idiosyncrasy (general leniency plus the
rater x person halo) about 55%, the rest is item noise; self-ratings are lenient by d = 0.32
and agree weakly with others; the SJT has coefficient alpha around 0.46-0.49.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, IntArray
from .evidence import MANAGER, NO_RATER, PEER, SELF, SJT, Evidence

RATING_CUTS = np.array([-1.8, -1.0, -0.2, 0.7])  # 5 categories, lenient-skewed like real 360s
PERSON_SHARE = 0.22
LENIENCY_SD = {MANAGER: 0.45, PEER: 0.47}
HALO_SD = {MANAGER: 0.55, PEER: 0.57}
SELF_IDIOSYNCRASY_SD = 0.74
NOISE_SD = 0.48
SELF_SHIFT = 0.32
SJT_CONSTRUCT_CORRELATION = 0.9
SJT_DISCRIMINATION = (0.3, 0.7)  # gives coefficient alpha about 0.46 (PRODUCT.md)


@dataclass(frozen=True)
class Scenario:
    """Which evidence is collected and whether manager leniency is confounded with team level."""

    name: str
    peers: tuple[int, int] | None = (3, 7)
    confounded: bool = False
    rating_items: int = 5
    sjt_items: int = 12
    team_sd: float = 0.3


FULL_360 = Scenario("full 360")
APPRAISAL = Scenario("appraisal only", peers=None)
CONFOUNDED = Scenario("confounded", peers=None, confounded=True, team_sd=0.45)
CONFOUNDED_360 = Scenario("confounded 360", confounded=True, team_sd=0.45)


@dataclass(frozen=True)
class Organisation:
    """Simulated evidence per competency with the true levels (mean 0, SD 1 in expectation)."""

    evidence: dict[str, Evidence]
    truth: dict[str, FloatArray]
    team: IntArray


def simulate(
    n_persons: int, scenario: Scenario, seed: int, n_competencies: int = 1
) -> Organisation:
    """Simulate one organisation; deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    team = _teams(n_persons, rng)
    n_teams = int(team.max()) + 1
    persons = tuple(f"p{i:05d}" for i in range(n_persons))
    raters = persons + tuple(f"m{t:04d}" for t in range(n_teams))
    rating_items = tuple(f"r{i}" for i in range(scenario.rating_items))
    sjt_items = tuple(f"s{i}" for i in range(scenario.sjt_items))
    items = rating_items + sjt_items

    # Who rates whom: the same colleagues for every competency.
    pair_person = [np.arange(n_persons), np.arange(n_persons)]
    pair_source = [np.full(n_persons, SELF), np.full(n_persons, MANAGER)]
    pair_rater = [np.full(n_persons, NO_RATER), n_persons + team]
    if scenario.peers is not None:
        peer_person, peer_rater = _peers(team, scenario.peers, rng)
        pair_person.append(peer_person)
        pair_source.append(np.full(len(peer_person), PEER))
        pair_rater.append(peer_rater)
    person_of = np.concatenate(pair_person)
    source_of = np.concatenate(pair_source)
    rater_of = np.concatenate(pair_rater)

    evidence: dict[str, Evidence] = {}
    truth: dict[str, FloatArray] = {}
    for c in range(n_competencies):
        name = f"c{c + 1}"
        team_level = rng.normal(0.0, scenario.team_sd, n_teams)
        theta = team_level[team] + rng.normal(0.0, np.sqrt(1.0 - scenario.team_sd**2), n_persons)
        truth[name] = theta
        columns = _ratings(
            rng, scenario, theta, team_level, person_of, source_of, rater_of, len(raters)
        )
        sjt = _sjt(rng, scenario, theta, len(rating_items))
        merged = [np.concatenate([a, b]) for a, b in zip(columns, sjt, strict=True)]
        evidence[name] = Evidence(persons, raters, items, *merged)
    return Organisation(evidence, truth, team)


def _teams(n_persons: int, rng: np.random.Generator) -> IntArray:
    sizes: list[int] = []
    while sum(sizes) < n_persons:
        sizes.append(int(rng.integers(6, 13)))
    sizes[-1] -= sum(sizes) - n_persons
    if sizes[-1] < 4 and len(sizes) > 1:
        last = sizes.pop()
        sizes[-1] += last
    return np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)


def _peers(
    team: IntArray, bounds: tuple[int, int], rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """3-7 peers each: mostly team mates, some from the department (5 teams), a few anywhere."""
    n = len(team)
    department = team // 5
    members = {t: np.flatnonzero(team == t) for t in np.unique(team)}
    dept_members = {d: np.flatnonzero(department == d) for d in np.unique(department)}
    persons, raters = [], []
    counts = rng.integers(bounds[0], bounds[1] + 1, n)
    for p in range(n):
        chosen: set[int] = set()
        mates = members[int(team[p])]
        colleagues = dept_members[int(department[p])]
        while len(chosen) < counts[p]:
            u = rng.random()
            pool = mates if u < 0.75 else colleagues if u < 0.95 else None
            candidate = int(rng.choice(pool)) if pool is not None else int(rng.integers(n))
            if candidate != p:
                chosen.add(candidate)
        ordered = sorted(chosen)
        persons.extend([p] * len(ordered))
        raters.extend(ordered)
    return np.array(persons, dtype=np.int64), np.array(raters, dtype=np.int64)


def _ratings(
    rng: np.random.Generator,
    scenario: Scenario,
    theta: FloatArray,
    team_level: FloatArray,
    person_of: IntArray,
    source_of: IntArray,
    rater_of: IntArray,
    n_raters: int,
) -> list[IntArray]:
    n_pairs, n_items = len(person_of), scenario.rating_items
    loading = np.sqrt(PERSON_SHARE)
    # Leniency per (source, rater); managers' leniency can mirror their team's weakness.
    leniency = np.zeros((2, n_raters))
    leniency[0] = rng.normal(0.0, LENIENCY_SD[MANAGER], n_raters)
    leniency[1] = rng.normal(0.0, LENIENCY_SD[PEER], n_raters)
    if scenario.confounded:
        n_persons = len(theta)
        standard = team_level / scenario.team_sd
        noise = rng.normal(0.0, 1.0, len(team_level))
        leniency[0, n_persons : n_persons + len(team_level)] = LENIENCY_SD[MANAGER] * (
            -0.6 * standard + 0.8 * noise
        )
    pair_shift = np.zeros(n_pairs)
    is_self = source_of == SELF
    pair_shift[is_self] = SELF_SHIFT + rng.normal(0.0, SELF_IDIOSYNCRASY_SD, int(is_self.sum()))
    for source, row in ((MANAGER, 0), (PEER, 1)):
        mask = source_of == source
        pair_shift[mask] = leniency[row, rater_of[mask]] + rng.normal(
            0.0, HALO_SD[source], int(mask.sum())
        )
    # Item easiness: the first items describe the most demanding behaviour (higher levels).
    easiness = np.linspace(-0.4, 0.4, n_items) + rng.normal(0.0, 0.1, n_items)
    latent = (
        loading * theta[person_of][:, None]
        + pair_shift[:, None]
        + easiness[None, :]
        + rng.normal(0.0, NOISE_SD, (n_pairs, n_items))
    )
    score = np.searchsorted(RATING_CUTS, latent).astype(np.int64)
    return [
        np.repeat(person_of, n_items),
        np.repeat(source_of, n_items),
        np.repeat(rater_of, n_items),
        np.tile(np.arange(n_items), n_pairs),
        score.ravel(),
        np.full(n_pairs * n_items, len(RATING_CUTS) + 1, dtype=np.int64),
    ]


def _sjt(
    rng: np.random.Generator, scenario: Scenario, theta: FloatArray, first_item: int
) -> list[IntArray]:
    """Graded-response answers (4 categories) on a construct correlated 0.9 with theta."""
    n, n_items = len(theta), scenario.sjt_items
    r = SJT_CONSTRUCT_CORRELATION
    construct = r * theta + np.sqrt(1.0 - r**2) * rng.normal(0.0, 1.0, n)
    discrimination = rng.uniform(*SJT_DISCRIMINATION, n_items)
    centre = rng.normal(0.0, 0.6, n_items)
    cuts = centre[:, None] + np.array([-1.5, 0.0, 1.5])[None, :]
    eta = discrimination[None, :, None] * construct[:, None, None] - cuts[None, :, :]
    at_least = 1.0 / (1.0 + np.exp(-eta))
    score = (rng.random((n, n_items))[:, :, None] < at_least).sum(axis=2)
    # One uniform per answer against the nested cumulative probabilities: a graded draw.
    return [
        np.repeat(np.arange(n), n_items),
        np.full(n * n_items, SJT),
        np.full(n * n_items, NO_RATER),
        np.tile(np.arange(first_item, first_item + n_items), n),
        score.ravel().astype(np.int64),
        np.full(n * n_items, 4, dtype=np.int64),
    ]


def naive_mean(evidence: Evidence) -> tuple[FloatArray, FloatArray, IntArray]:
    """Plain mean of all ratings (0..1 scale) per person, their SD and count."""
    rows = evidence.source != SJT
    y = evidence.score[rows] / (evidence.categories[rows] - 1.0)
    person = evidence.person[rows]
    n = np.bincount(person, minlength=len(evidence.persons))
    total = np.bincount(person, weights=y, minlength=len(evidence.persons))
    squares = np.bincount(person, weights=y**2, minlength=len(evidence.persons))
    mean = total / np.maximum(n, 1)
    var = np.maximum(squares / np.maximum(n, 1) - mean**2, 0.0) * n / np.maximum(n - 1, 1)
    return mean, np.sqrt(var), n.astype(np.int64)
