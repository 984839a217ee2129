"""Benchmark of the measurement engine against naive averaging, on simulated organisations.

Run ``python bench/measurement.py`` (full: 20 seeds per scenario plus the scale test) or
``python bench/measurement.py --quick`` (2 seeds, no 20,000-person run). The simulation is
``vakwerk.measurement.engine.simulate``; its effect sizes follow PRODUCT.md and it is *not*
the engine's own model (ordinal ratings, an SJT that measures a related construct, teams).

Scenarios (300 people each): full 360 (self, manager, 3-7 peers x 5 items, 12 SJT items),
appraisal only (self, manager, SJT), confounded (appraisal data where lenient managers lead the
weaker teams) and confounded 360 (the same confounding with full 360 data, an extra check).
Naive averaging is the plain mean of all ratings, standardised; its interval is the textbook
mean +- z * SD / sqrt(n) of the person's ratings, on the same standardised scale.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from vakwerk.measurement.engine import SOURCES, fit_competency  # noqa: E402
from vakwerk.measurement.engine import simulate as sim  # noqa: E402

FloatArray = NDArray[np.float64]
PEOPLE = 300
Z90, Z95 = 1.6448536269514722, 1.959963984540054
SCENARIOS = (sim.FULL_360, sim.APPRAISAL, sim.CONFOUNDED, sim.CONFOUNDED_360)
RMSE_TARGET = {"full 360": 0.85, "appraisal only": 0.75, "confounded": 0.75, "confounded 360": 0.85}
METRICS = ("corr", "rmse", "bottom25", "cov90", "cov95", "width90", "seconds")


@dataclass
class Row:
    scenario: str
    naive: dict[str, float]
    engine: dict[str, float]


def _standardise(x: FloatArray) -> FloatArray:
    return (x - x.mean()) / x.std()


def _metrics(
    estimate: FloatArray,
    lower90: FloatArray,
    upper90: FloatArray,
    sd95: FloatArray,
    centre95: FloatArray,
    truth: FloatArray,
    seconds: float,
) -> dict[str, float]:
    quarter = len(truth) // 4
    bottom_true = set(np.argsort(truth)[:quarter].tolist())
    bottom_est = set(np.argsort(estimate)[:quarter].tolist())
    return {
        "corr": float(np.corrcoef(estimate, truth)[0, 1]),
        "rmse": float(np.sqrt(np.mean((estimate - truth) ** 2))),
        "bottom25": len(bottom_true & bottom_est) / quarter,
        "cov90": float(np.mean((lower90 <= truth) & (truth <= upper90))),
        "cov95": float(np.mean(np.abs(truth - centre95) <= Z95 * sd95)),
        "width90": float(np.mean(upper90 - lower90)),
        "seconds": seconds,
    }


def run_scenario(scenario: sim.Scenario, seeds: int, offset: int) -> Row:
    naive_runs, engine_runs = [], []
    for seed in range(seeds):
        org = sim.simulate(PEOPLE, scenario, seed=offset + seed)
        evidence, truth = org.evidence["c1"], _standardise(org.truth["c1"])

        start = time.perf_counter()
        mean, sd, n = sim.naive_mean(evidence)
        spread = mean.std()
        centre = (mean - mean.mean()) / spread
        se = sd / np.sqrt(n) / spread
        naive_seconds = time.perf_counter() - start
        naive_runs.append(
            _metrics(centre, centre - Z90 * se, centre + Z90 * se, se, centre, truth, naive_seconds)
        )

        start = time.perf_counter()
        fit = fit_competency(evidence)
        seconds = time.perf_counter() - start
        lower, upper = fit.interval(0.9)
        engine_runs.append(
            _metrics(fit.estimate, lower, upper, fit.sd, fit.estimate, truth, seconds)
        )
    average = {key: float(np.mean([r[key] for r in naive_runs])) for key in METRICS}
    engine = {key: float(np.mean([r[key] for r in engine_runs])) for key in METRICS}
    return Row(scenario.name, average, engine)


def print_table(rows: list[Row], seeds: int) -> None:
    labels = (
        "correlation",
        "RMSE (std)",
        "bottom-25% agree",
        "90% coverage",
        "95% coverage",
        "width of 90%",
        "time/org (s)",
    )
    print(
        f"\nNaive averaging vs engine, {PEOPLE} people per organisation, {seeds} seeds "
        "per scenario (means over seeds)"
    )
    head = f"{'scenario':16s}" + "".join(f" | {label:^17s}" for label in labels)
    sub = f"{'':16s}" + " | naive    engine " * len(labels)
    print(head)
    print(sub)
    print("-" * len(head))
    for row in rows:
        cells = []
        for key in METRICS:
            precision = 4 if key == "seconds" else 3
            cells.append(f" | {row.naive[key]:<8.{precision}f} {row.engine[key]:<8.{precision}f}")
        print(f"{row.scenario:16s}" + "".join(cells))
    print(
        "RMSE ratio engine/naive: "
        + ", ".join(f"{row.scenario} {row.engine['rmse'] / row.naive['rmse']:.3f}" for row in rows)
    )


def write_csv(org: sim.Organisation, path: Path) -> int:
    rows = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person", "competency", "source", "rater", "item", "score", "categories"])
        for name, ev in org.evidence.items():
            persons, raters, items = ev.persons, ev.raters, ev.items
            columns = zip(
                ev.person.tolist(),
                ev.source.tolist(),
                ev.rater.tolist(),
                ev.item.tolist(),
                ev.score.tolist(),
                ev.categories.tolist(),
                strict=True,
            )
            writer.writerows(
                (persons[p], name, SOURCES[s], raters[r] if r >= 0 else "", items[i], x, k)
                for p, s, r, i, x, k in columns
            )
            rows += ev.size
    return rows


def run_cli(source: Path, target: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "vakwerk.measurement", "estimate", str(source), str(target)],
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def cli_coverage(org: sim.Organisation, path: Path) -> tuple[float, float]:
    """90% and 95% coverage of the CLI output against the simulated truth."""
    truth = {name: _standardise(values) for name, values in org.truth.items()}
    persons = next(iter(org.evidence.values())).persons
    position = {person: i for i, person in enumerate(persons)}
    hit90 = hit95 = total = 0
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            t = truth[row["competency"]][position[row["person"]]]
            estimate, sd = float(row["estimate"]), float(row["sd"])
            hit90 += float(row["lower90"]) <= t <= float(row["upper90"])
            hit95 += abs(t - estimate) <= Z95 * sd
            total += 1
    return hit90 / total, hit95 / total


def scale_test(quick: bool) -> dict[str, float]:
    results: dict[str, float] = {}
    org = sim.simulate(PEOPLE, sim.FULL_360, seed=99)
    fit_competency(org.evidence["c1"])  # warm-up (imports, caches)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fit_competency(org.evidence["c1"])
        times.append(time.perf_counter() - start)
    results["time300"] = float(np.median(times))
    print(
        f"\nScale: 300 people, 1 competency, full 360 (engine): {results['time300']:.2f} s "
        "(median of 3)"
    )
    with tempfile.TemporaryDirectory() as folder:
        small = sim.simulate(PEOPLE, sim.FULL_360, seed=98, n_competencies=7)
        write_csv(small, Path(folder) / "in300.csv")
        seconds = run_cli(Path(folder) / "in300.csv", Path(folder) / "out300.csv")
        print(
            f"Scale: 300 people x 7 competencies through the CLI (incl. start-up): {seconds:.2f} s"
        )
        if quick:
            print("Scale: 20,000 people x 7 competencies skipped (--quick)")
            return results
        big = sim.simulate(20_000, sim.FULL_360, seed=97, n_competencies=7)
        n_rows = write_csv(big, Path(folder) / "in.csv")
        results["time20k"] = run_cli(Path(folder) / "in.csv", Path(folder) / "out.csv")
        results["memory20k_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        results["cov90_20k"], results["cov95_20k"] = cli_coverage(big, Path(folder) / "out.csv")
        print(
            f"Scale: 20,000 people x 7 competencies full 360 ({n_rows:,} scores) through the "
            f"CLI: {results['time20k']:.1f} s, peak memory {results['memory20k_gb']:.2f} GB, "
            f"coverage 90% {results['cov90_20k']:.3f}, 95% {results['cov95_20k']:.3f}"
        )
    return results


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def summary(rows: list[Row], scale: dict[str, float]) -> str:
    parts = []
    for row in rows:
        ratio = row.engine["rmse"] / row.naive["rmse"]
        target = RMSE_TARGET[row.scenario]
        parts.append(
            f"{row.scenario} RMSE ratio {ratio:.3f} (<= {target}: {_verdict(ratio <= target)})"
        )
    cov95 = [row.engine["cov95"] for row in rows]
    cov90 = [row.engine["cov90"] for row in rows]
    parts.append(
        f"95% coverage {min(cov95):.3f}-{max(cov95):.3f} (0.92-0.98 every scenario: "
        f"{_verdict(min(cov95) >= 0.92 and max(cov95) <= 0.98)})"
    )
    parts.append(
        f"90% coverage {min(cov90):.3f}-{max(cov90):.3f} (0.87-0.93 every scenario: "
        f"{_verdict(min(cov90) >= 0.87 and max(cov90) <= 0.93)})"
    )
    parts.append(f"300 people {scale['time300']:.2f} s (< 2 s: {_verdict(scale['time300'] < 2.0)})")
    if "time20k" in scale:
        parts.append(
            f"20,000 x 7 {scale['time20k']:.1f} s (< 120 s: {_verdict(scale['time20k'] < 120.0)})"
        )
        parts.append(
            f"memory {scale['memory20k_gb']:.2f} GB (< 4 GB: "
            f"{_verdict(scale['memory20k_gb'] < 4.0)})"
        )
    else:
        parts.append("20,000 x 7 time and memory: not run (--quick)")
    return "SUMMARY: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, no 20,000-person run")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per scenario")
    parser.add_argument(
        "--sensitivity",
        action="store_true",
        help="only rerun appraisal and confounded with an SJT measuring exactly the rated level",
    )
    args = parser.parse_args()
    seeds = args.seeds or (2 if args.quick else 20)
    shares = sim.PERSON_SHARE, sim.LENIENCY_SD[sim.PEER] ** 2, sim.HALO_SD[sim.PEER] ** 2
    total = sum(shares) + sim.NOISE_SD**2
    print(
        f"Simulated peer rating variance: person {shares[0] / total:.0%}, rater leniency "
        f"{shares[1] / total:.0%} + halo {shares[2] / total:.0%} (idiosyncrasy "
        f"{(shares[1] + shares[2]) / total:.0%}), noise {sim.NOISE_SD**2 / total:.0%}; "
        f"self leniency d = {sim.SELF_SHIFT}; SJT alpha {_sjt_alpha():.2f}"
    )
    if args.sensitivity:
        sim.SJT_CONSTRUCT_CORRELATION = 1.0
        print("Sensitivity run: the SJT measures exactly the rated construct (r = 1.0, not 0.9)")
        rows = [run_scenario(s, seeds, 1000 * (i + 2)) for i, s in enumerate(SCENARIOS[1:3])]
        print_table(rows, seeds)
        return
    rows = [run_scenario(s, seeds, 1000 * (i + 1)) for i, s in enumerate(SCENARIOS)]
    print_table(rows, seeds)
    scale = scale_test(args.quick)
    print()
    print(summary(rows, scale))


def _sjt_alpha() -> float:
    """Coefficient alpha of the simulated 12-item SJT (mean over 5 organisations of 2,000)."""
    values = []
    for seed in range(5):
        ev = sim.simulate(2000, sim.APPRAISAL, seed=seed).evidence["c1"]
        rows = ev.source == sim.SJT
        items = np.unique(ev.item[rows])
        matrix = np.zeros((len(ev.persons), len(items)))
        matrix[ev.person[rows], np.searchsorted(items, ev.item[rows])] = ev.score[rows]
        k = len(items)
        item_var = matrix.var(axis=0, ddof=1).sum()
        values.append(k / (k - 1) * (1 - item_var / matrix.sum(axis=1).var(ddof=1)))
    return float(np.mean(values))


if __name__ == "__main__":
    main()
