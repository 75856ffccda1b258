"""How often the joint display calls chance a divergence, and how often it finds a real one.

Simulated studies with known truth (:func:`partner_study.designs.focus_groups.
simulate_focus_group_study`): 30 participants of a first role in 6 focus groups of 5, 30 of
a second role interviewed one by one. Each study goes through the package's own functions
(:func:`partner_study.integrate.joint_display_roles`, then
:func:`partner_study.integrate.table_joint_display`, equivalence margin 20 pp), exactly as
stage 05-integrate runs them. Reported per scenario, over every theme of every study:

``flagged``    share of themes labelled divergence (a false divergence where the true
               difference is 0, the power where it is not);
``any``        share of studies with at least one theme labelled divergence;
``covered``    share of themes whose 95% interval holds the true difference;
``converged``  share of themes labelled convergence;
``old_rule``   the rule used before (a difference of 20 points or more, or Fisher's exact
               p < .05 with 10 points or more), on the same studies.

Run: ``.venv/bin/python bench/joint_display_sim.py [STUDIES]`` (default 1000 studies a
scenario; a few minutes on one core). Prints a Markdown table. Seeds are fixed: the same
command prints the same table.
"""

from __future__ import annotations

import sys
import time

import pandas as pd
from scipy import stats

from partner_study import integrate as ig
from partner_study.designs.focus_groups import BELGIAN_THEMES, simulate_focus_group_study

ROLES = ["patient", "professional"]
#: Seven themes with no true difference, from rare to common.
NULL = {f"theme_{i}": (p, p) for i, p in enumerate((0.15, 0.25, 0.35, 0.5, 0.6, 0.7, 0.85), 1)}
#: Four themes with a true difference of 30 points, both directions.
THIRTY = {
    "t_60_30": (0.6, 0.3),
    "t_30_60": (0.3, 0.6),
    "t_80_50": (0.8, 0.5),
    "t_40_10": (0.4, 0.1),
}
SCENARIOS = (
    ("no difference, independent members", NULL, 0.0, 1.0),
    ("no difference, ICC 0.3", NULL, 0.3, 1.0),
    ("no difference, ICC 0.5", NULL, 0.5, 1.0),
    ("30-point difference, independent members", THIRTY, 0.0, 1.0),
    ("30-point difference, ICC 0.3", THIRTY, 0.3, 1.0),
    ("Belgian design, independent members", BELGIAN_THEMES, 0.0, 1.0),
    ("Belgian design, ICC 0.3", BELGIAN_THEMES, 0.3, 1.0),
    ("no difference alone, speaking effect OR 2 in groups, ICC 0.3", NULL, 0.3, 2.0),
)


def _old_rule(long: pd.DataFrame) -> pd.Series:
    """The rule of the display before: |difference| >= 20 pp, or Fisher p < .05 and >= 10."""
    wide = long.pivot(index="theme", columns="role", values=["n_mentioning", "n_coded"])
    out = {}
    for theme, row in wide.iterrows():
        xa, xb = int(row[("n_mentioning", ROLES[0])]), int(row[("n_mentioning", ROLES[1])])
        na, nb = int(row[("n_coded", ROLES[0])]), int(row[("n_coded", ROLES[1])])
        gap = abs(100.0 * (xa / na - xb / nb))
        p = stats.fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue
        out[theme] = gap >= 20 or (p < 0.05 and gap >= 10)
    return pd.Series(out)


def run(name: str, prevalence, icc: float, speaking: float, studies: int, seed: int):
    rows = []
    for k in range(studies):
        sim = simulate_focus_group_study(
            prevalence, icc=icc, speaking_effect=speaking, seed=seed * 100_000 + k
        )
        segments = sim.segments.assign(theme=sim.segments["code"])
        long = ig.joint_display_roles(segments, sim.participants, roles=ROLES)
        joint = ig.table_joint_display(long, roles=ROLES, margin=20).set_index("theme")
        old = _old_rule(long)
        truth = pd.Series(sim.truth["difference_pp"])
        for theme in prevalence:
            if theme not in joint.index:  # nobody raised it: nothing to compare
                continue
            row = joint.loc[theme]
            rows.append(
                {
                    "study": k,
                    "theme": theme,
                    "true": truth[theme],
                    "label": row["label"],
                    "covered": row["ci_low"] <= truth[theme] <= row["ci_high"],
                    "confounded": bool(row["mode_confounded"]),
                    "old": bool(old.get(theme, False)),
                }
            )
    return pd.DataFrame(rows)


def summarise(name: str, frame: pd.DataFrame) -> list[dict]:
    out = []
    groups = [("all themes", frame), *frame.groupby("theme", sort=False)]
    for label, part in groups:
        flagged = part["label"].eq("divergence")
        per_study = flagged.groupby(part["study"]).any()
        out.append(
            {
                "scenario": name,
                "themes": label,
                "true_pp": "/".join(sorted({f"{v:.0f}" for v in part["true"]})),
                "n": len(part),
                "flagged": flagged.mean(),
                "any": per_study.mean(),
                "covered": part["covered"].mean(),
                "converged": part["label"].eq("convergence").mean(),
                "old_rule": part["old"].mean(),
                "mode_noted": part["confounded"].mean(),
            }
        )
    return out


def main() -> None:
    studies = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    records = []
    for i, (name, prevalence, icc, speaking) in enumerate(SCENARIOS, 1):
        start = time.perf_counter()
        frame = run(name, prevalence, icc, speaking, studies, seed=i)
        records += summarise(name, frame)
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    table = pd.DataFrame(records)
    print(
        f"{studies} simulated studies a scenario; 30 participants in 6 focus groups of 5 "
        "against 30 interviewed; 95% intervals; margin 20 pp.\n"
    )
    print(_markdown(table))


def _markdown(table: pd.DataFrame) -> str:
    def cell(v) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * table.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
