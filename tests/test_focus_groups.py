"""Focus groups as they are in the simulator (partner_study.designs.focus_groups): members
who resemble each other and who speak differently in a group, with known truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from partner_study import designs
from partner_study.designs.focus_groups import draw_mentions, simulate_focus_group_study
from partner_study.errors import PartnerStudyError


def test_focus_group_members_resemble_each_other_as_simulated():
    """Known truth: beta-binomial groups, intraclass correlation 0.3, mean 0.4; a speaking
    effect (odds ratio 2) moves the members' mean to expit(logit(0.4) + log 2) = 4/7."""
    rng = np.random.default_rng(7)
    m, groups = 5, 4000
    group = np.r_[np.repeat(np.arange(groups), m), np.full(groups, -1)]
    p = np.full((len(group), 1), 0.4)
    raised = draw_mentions(rng, p, group, icc=0.3)[:, 0].astype(float)
    members = raised[: groups * m].reshape(groups, m)
    # one-way ANOVA estimator of the intraclass correlation (Donner 1986)
    msb = m * members.mean(axis=1).var(ddof=1)
    msw = members.var(axis=1, ddof=1).mean()
    assert (msb - msw) / (msb + (m - 1) * msw) == pytest.approx(0.3, abs=0.03)
    assert members.mean() == pytest.approx(0.4, abs=0.01)
    assert raised[groups * m :].mean() == pytest.approx(0.4, abs=0.02)
    spoken = draw_mentions(rng, p, group, speaking_effect=2.0)[:, 0]
    assert spoken[: groups * m].mean() == pytest.approx(4 / 7, abs=0.01)
    assert spoken[groups * m :].mean() == pytest.approx(0.4, abs=0.02)
    with pytest.raises(PartnerStudyError, match=r"icc: found 1.0.*Fix:"):
        draw_mentions(rng, p, group, icc=1.0)


def test_shapes_with_focus_groups_alike_draw_their_mentions():
    plain = designs.DESIGNS["be-focus-groups"]
    alike = dataclasses.replace(plain, icc=0.3, speaking_effect=1.5)
    sim = designs.simulate_shape(alike)
    assert sim.truth["focus_groups"] == {"icc": 0.3, "speaking_effect": 1.5}
    assert "focus_groups" not in designs.simulate_shape(plain).truth  # default: as before
    assert not sim.segments.equals(designs.simulate_shape(plain).segments)
    silent = set(sim.truth["silent_members"])
    assert silent and not silent & set(sim.segments["participant_id"])
    with pytest.raises(PartnerStudyError, match=r"icc: found -0.1"):
        dataclasses.replace(plain, icc=-0.1)


def test_a_focus_group_study_has_its_units_and_known_truth():
    sim = simulate_focus_group_study({"a": (0.8, 0.3), "b": (0.5, 0.5)}, seed=3)
    people = sim.participants
    assert people.groupby("role")["collection"].unique().map(list).to_dict() == {
        "patient": ["focus_group"],
        "professional": ["interview"],
    }
    assert people.loc[people["role"] == "patient", "group_id"].nunique() == 6
    assert sim.truth["difference_pp"] == pytest.approx({"a": 50.0, "b": 0.0})
    # an interviewee is coded as a whole: each has a coded segment
    interviewed = people.loc[people["collection"] == "interview", "participant_id"]
    assert set(interviewed) <= set(sim.segments["participant_id"])
    again = simulate_focus_group_study({"a": (0.8, 0.3), "b": (0.5, 0.5)}, seed=3)
    assert again.segments.equals(sim.segments)
