"""Source views, self-other agreement and the level scale."""

import numpy as np
import pytest

from vakwerk.measurement.engine import (
    AGREES_HIGH,
    AGREES_LOW,
    OVERESTIMATES,
    UNDERESTIMATES,
    Evidence,
    agreement,
    fit_competency,
    level_scale,
    source_views,
)
from vakwerk.measurement.engine.simulate import APPRAISAL, FULL_360, simulate


@pytest.fixture(scope="module")
def full_fit():
    return fit_competency(simulate(150, FULL_360, 21).evidence["c1"])


def _rater_count(fit, person, source):
    st = fit.state
    mask = (st.pairs.person == person) & (st.pairs.source == source)
    return int(np.count_nonzero(mask))


def test_views_respect_the_anonymity_threshold(full_fit):
    views = source_views(full_fit, threshold=3)
    for person, groups in enumerate(views):
        peers = _rater_count(full_fit, person, 2)
        assert ("peer" in groups) == (peers >= 3)
        assert "manager" not in groups  # a single manager is below the threshold
        assert groups["self"].n_raters == 1
        assert "sjt" in groups
        if peers < 3:
            # manager plus the few peers are pooled when they reach the threshold together
            assert ("others" in groups) == (peers + 1 >= 3)
        for view in groups.values():
            assert 0.0 < view.sd <= 1.0


def test_views_can_exempt_a_named_manager(full_fit):
    views = source_views(full_fit, threshold=3, exempt={"self", "manager"})
    assert all(groups["manager"].n_raters == 1 for groups in views)


def test_views_agree_with_the_pooled_estimate(full_fit):
    views = source_views(full_fit, threshold=3)
    peer = [(g["peer"].estimate, full_fit.estimate[p]) for p, g in enumerate(views) if "peer" in g]
    view, pooled = np.array(peer).T
    assert np.corrcoef(view, pooled)[0, 1] > 0.8


def test_agreement_classes(full_fit):
    classes = agreement(full_fit, threshold=3)
    found = {a.category for a in classes}
    assert found <= {OVERESTIMATES, UNDERESTIMATES, AGREES_HIGH, AGREES_LOW}
    assert found == {OVERESTIMATES, UNDERESTIMATES, AGREES_HIGH, AGREES_LOW}
    for person, result in enumerate(classes):
        if result.category == OVERESTIMATES:
            assert result.difference > result.margin
        if result.category == AGREES_HIGH:
            assert full_fit.estimate[person] >= 0
        assert result.se > 0


def test_agreement_flags_a_glowing_self_rating():
    rows = []
    for p in range(30):
        self_score = 4 if p == 0 else 2 + p % 2
        for i in range(4):
            rows.append((f"p{p}", "self", "", f"i{i}", self_score, 5))
            for k in (1, 2, 3):
                rows.append((f"p{p}", "peer", f"p{(p + k) % 30}", f"i{i}", 1 + (p + k + i) % 3, 5))
    fit = fit_competency(Evidence.from_records(rows, persons=["loner"]))
    classes = agreement(fit)
    assert classes[fit.persons.index("p0")].category == OVERESTIMATES
    assert classes[fit.persons.index("loner")].category is None


def test_agreement_needs_enough_other_raters():
    fit = fit_competency(simulate(80, APPRAISAL, 4).evidence["c1"])
    assert all(a.category is None for a in agreement(fit, threshold=3))
    named = agreement(fit, threshold=3, exempt={"self", "manager"})
    assert all(a.category is not None for a in named)


def test_level_scale(full_fit):
    mapping = {"r4": 1, "r3": 1, "r2": 2, "r1": 3, "r0": 4}
    scale = level_scale(full_fit, mapping)
    assert scale.top == 4
    assert np.all(np.diff(scale.thresholds) >= 0)
    level, lower, upper = scale.express_fit(full_fit)
    assert np.all((lower <= level) & (level <= upper))
    assert np.all((lower >= 0) & (upper <= 4))
    order = np.argsort(full_fit.estimate)
    assert np.all(np.diff(level[order]) >= -1e-12)
    # At a level threshold the value is exactly that level.
    assert scale.express(scale.thresholds[1:2])[0] == pytest.approx(2.0)
    # Demanding more ("always" instead of "often") moves every threshold up.
    stricter = level_scale(full_fit, mapping, often=1.0)
    assert np.all(stricter.thresholds > scale.thresholds)


def test_level_scale_fills_levels_without_items(full_fit):
    scale = level_scale(full_fit, {"r4": 1, "r0": 4})
    assert scale.top == 4
    assert np.all(np.diff(scale.thresholds) >= 0)
    with pytest.raises(ValueError, match="none of the mapped items"):
        level_scale(full_fit, {"unknown": 1})
