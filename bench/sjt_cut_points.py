"""Simulation behind the SJT cut points (docs/sjt.md, "Cut points").

Run ``python bench/sjt_cut_points.py`` (``make bench`` runs it too). It scores simulated people
taking 12 random items of the shipped pack with Vakwerk's own scoring (``score_answers``) and
prints, per kind of responder, the mean absolute distance to the key and the share of each item
score 0-4. The cut points were fixed from one run of this script, before any real answers.

Responders (2,000 people x 12 items each):
* expert-like: the key plus personal elevation (N(0, 0.5)) and scale (0.7-1.3), plus noise of
  SD 0.3, 0.6 or 0.9 per rating, rounded to 1-5: the same judgement, used differently;
* key rounded: exactly the key, rounded to whole ratings;
* random: every rating uniformly 1-5;
* reversed: 6 minus the rounded key (best rated worst and vice versa).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vakwerk.settings")

import django  # noqa: E402

django.setup()

from vakwerk.assessments.sjt import CUT_POINTS, score_answers, standardise  # noqa: E402
from vakwerk.frameworks.content import shipped_pack  # noqa: E402

PEOPLE = 2000
ITEMS = 12


def main() -> None:
    pack = shipped_pack("sjt-ambtelijk-vakmanschap-3.0")
    assert pack is not None
    bank = {
        entry["code"]: {n: float(o["key"]) for n, o in enumerate(entry["options"], start=1)}
        for entry in pack.data["items"]
    }
    codes = sorted(bank)
    rng = np.random.default_rng(2026)
    kinds = [
        ("key rounded", 0.0),
        ("expert-like", 0.3),
        ("expert-like", 0.6),
        ("expert-like", 0.9),
        ("random", 0.0),
        ("reversed", 0.0),
    ]
    print(f"cut points (upper bounds of the distance for 4, 3, 2, 1): {CUT_POINTS}")
    print(f"{'responder':<22}{'distance':>9}   share of scores 0 1 2 3 4   mean score")
    for kind, noise in kinds:
        counts = np.zeros(5)
        distances: list[float] = []
        for _person in range(PEOPLE):
            chosen = rng.choice(codes, ITEMS, replace=False)
            keys = {code: bank[code] for code in chosen}
            elevation, scale = rng.normal(0, 0.5), rng.uniform(0.7, 1.3)
            ratings: dict[str, dict[int, float]] = {}
            for code in chosen:
                key = np.array([keys[code][n] for n in (1, 2, 3, 4)])
                if kind == "expert-like":
                    raw = 3 + elevation + scale * (key - 3) + rng.normal(0, noise, 4)
                elif kind == "key rounded":
                    raw = key
                elif kind == "random":
                    raw = rng.integers(1, 6, 4).astype(float)
                else:
                    raw = 6 - np.rint(key)
                values = np.clip(np.rint(raw), 1, 5)
                ratings[code] = {n: float(v) for n, v in zip((1, 2, 3, 4), values, strict=True)}
            scores = score_answers(ratings, keys)
            for score in scores.values():
                counts[score] += 1
            flat_r = standardise([ratings[c][n] for c in chosen for n in (1, 2, 3, 4)])
            flat_k = standardise([keys[c][n] for c in chosen for n in (1, 2, 3, 4)])
            distances += [
                float(np.mean(np.abs(np.subtract(flat_r[i : i + 4], flat_k[i : i + 4]))))
                for i in range(0, len(flat_r), 4)
            ]
        share = counts / counts.sum()
        label = f"{kind} {noise:.1f}" if kind == "expert-like" else kind
        mean_score = float((share * np.arange(5)).sum())
        print(
            f"{label:<22}{np.median(distances):>9.2f}   "
            + " ".join(f"{s:4.0%}" for s in share)
            + f"   {mean_score:.2f}"
        )


if __name__ == "__main__":
    main()
