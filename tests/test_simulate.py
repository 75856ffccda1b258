import subprocess
import sys

import numpy as np
import pandas as pd

from partner_study.config import SEED
from partner_study.simulate import TRUE_EFFECTS, simulate_study


def test_cli_reproduces_committed_example_byte_for_byte(tmp_path, root):
    out = tmp_path / "x"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "partner_study.cli",
            "simulate",
            "--seed",
            str(SEED),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    committed = root / "data" / "raw" / "example"
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in out.iterdir())
    for name in names:
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name


def test_same_seed_same_tables_other_seed_differs():
    a, b, c = simulate_study(seed=3), simulate_study(seed=3), simulate_study(seed=4)
    pd.testing.assert_frame_equal(a.segments, b.segments)
    pd.testing.assert_frame_equal(a.survey, b.survey)
    assert not a.survey.equals(c.survey)


def test_design_of_the_example():
    sim = simulate_study()
    p = sim.participants
    assert p["site"].nunique() >= 4
    assert set(p["role"]) == {"patient", "professional"}
    assert set(p.loc[p["collection"] == "focus_group", "role"]) == {"patient"}
    assert set(p.loc[p["collection"] == "interview", "role"]) == {"professional"}
    assert len(sim.survey) >= 300
    # a second coder on a subset of the segments
    coders = sim.segments.groupby("segment_id")["coder"].nunique()
    assert 0.1 < (coders > 1).mean() < 0.5
    # missing answers present
    assert (sim.survey == "").to_numpy().any()
    assert sim.truth["effects"] == TRUE_EFFECTS


def test_planted_divergence_on_information_sharing():
    sim = simulate_study()
    seg = sim.segments.merge(sim.participants[["participant_id", "role"]])
    seg = seg[seg["coder"] == "coder_a"]
    qual = sim.participants[sim.participants["collection"] != "survey"]
    n_role = qual["role"].value_counts()
    mention = seg[seg["code"] == "information_sharing_what"].drop_duplicates("participant_id")
    share = mention["role"].value_counts() / n_role
    assert share["patient"] - share["professional"] > 0.3
    common = seg[seg["code"] == "common_language"].drop_duplicates("participant_id")
    share = common["role"].value_counts() / n_role
    assert abs(share["patient"] - share["professional"]) < 0.2


def test_sizes_scale():
    sim = simulate_study(seed=1, n_sites=10, n_participants=5000, n_segments=20000)
    assert sim.participants["site"].nunique() == 10
    first = sim.segments[sim.segments["coder"] == "coder_a"]
    assert 0.8 * 20000 < len(first) < 1.2 * 20000
    assert np.isfinite(pd.to_numeric(sim.survey["eng_1"], errors="coerce")).any()
