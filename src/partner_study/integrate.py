"""Mixed-methods integration: joint displays of themes, roles and survey scores.

Layer 3 (analysis): functions take processed frames (``segments``, ``participants``,
``scored``) and the quotes table of :func:`partner_study.qualitative.select_quotes`,
and return new tidy frames. Nothing here reads or writes files.

A joint display puts qualitative and quantitative results side by side so that
their fit (confirmation, expansion, discordance) can be read theme by theme
(Guetterman, Fetters & Creswell 2015). Two are built here:

- themes against the survey strand (:func:`joint_display_statistics`): who mentions a
  theme at each engagement level, and how those who mention it score on each
  experience scale, for participants who took part in both strands;
- themes across roles (:func:`joint_display_roles`): patients against professionals,
  labelled convergence or divergence, with a quote from each side.

:func:`table_joint_display` joins them into ``tables/joint-display.csv``.

References
----------
Guetterman TC, Fetters MD, Creswell JW. Integrating quantitative and qualitative
results in health science mixed methods research through joint displays. Ann Fam
Med. 2015;13(6):554-561. doi:10.1370/afm.1865
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from partner_study.arrays import isin
from partner_study.errors import ParamsError, Problem, StudyDataError

__all__ = [
    "CONVERGENCE",
    "DIVERGENCE",
    "NOT_COMPARABLE",
    "joint_display_statistics",
    "joint_display_roles",
    "table_joint_display",
]

CONVERGENCE = "convergence"
DIVERGENCE = "divergence"
#: Label when one role has no coded participant, so the roles cannot be compared.
NOT_COMPARABLE = "not_comparable"

_STAT_COLUMNS = ["theme", "measure", "group", "value", "n"]
_ROLE_COLUMNS = [
    "theme",
    "n_patients",
    "n_patients_coded",
    "pct_patients",
    "n_professionals",
    "n_professionals_coded",
    "pct_professionals",
    "difference_pp",
    "p_value",
    "label",
    "patient_quote",
    "professional_quote",
]
_JOINT_COLUMNS = [
    "theme",
    "pct_patients",
    "pct_professionals",
    "difference_pp",
    "label",
    "patient_quote",
    "professional_quote",
]


def _require(frame: pd.DataFrame, columns: Sequence[str], *, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyDataError(
            Problem(
                file=f"{name} (data frame)",
                found=f"no column(s) {', '.join(repr(c) for c in missing)}",
                expected=f"the {name} columns of the data contract",
                fix=f"pass the '{name}' frame built by the pipeline or add the missing column(s)",
            )
        )


def _mentions(segments: pd.DataFrame) -> pd.DataFrame:
    """Distinct (participant_id, theme) over coded segments, union of coders."""
    _require(segments, ["participant_id", "theme", "code"], name="segments")
    coded = segments[["participant_id", "theme", "code"]].dropna(subset=["theme", "code"])
    return coded[["participant_id", "theme"]].drop_duplicates(ignore_index=True)


def _snake(label: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(label).lower()).strip("_")


def _level_order(scored: pd.DataFrame, level: str) -> list[str]:
    """Level labels in their order: categorical order, else by ``<level>_code``, else sorted."""
    column = scored[level]
    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.ordered:
        return [str(c) for c in column.cat.categories]
    labels = column.dropna()
    if f"{level}_code" in scored.columns:
        codes = scored.loc[labels.index, f"{level}_code"]
        pairs = pd.DataFrame({"label": labels.astype(str), "code": codes})
        first = pairs.groupby("label")["code"].min().sort_values(kind="mergesort")
        return [str(label) for label in first.index]
    return sorted(labels.astype(str).unique())


# --------------------------------------------------------------------------- survey strand


def joint_display_statistics(
    segments: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    scales: Sequence[str],
    level: str | None = "engagement_level",
) -> pd.DataFrame:
    """Themes against engagement level and experience scores (both strands).

    Parameters
    ----------
    segments : DataFrame
        Coded segments (participant_id, theme, code).
    scored : DataFrame
        Scored survey: participant_id, ``level`` and the ``scales`` columns.
    scales : sequence of str
        Scale score columns to compare (e.g. ``["communication", "trust"]``).
    level : str or None
        Engagement level column (ordered labels). None, or a column the scored survey
        does not have (a study whose codebook declares no engagement level): the
        percentages are given for ``"all"`` only.

    Returns
    -------
    DataFrame
        Long format, one row per theme, measure and group:

        - ``theme`` : str
        - ``measure`` : str, ``"pct_mentioning"`` or ``"mean_<scale>"``
        - ``group`` : str; for ``pct_mentioning`` an engagement level, in order,
          then ``"all"``; for ``mean_<scale>`` ``"mentioned"`` or ``"not_mentioned"``
        - ``value`` : float; percent of the group's participants who mention the
          theme, or the group's mean scale score (NaN when nobody has a score)
        - ``n`` : int; participants in the group (denominator of the percent), or
          participants of the group with a score on the scale

    Notes
    -----
    Only participants present in both strands enter (a participant_id with at
    least one coded segment and a row in ``scored``). "Mentioning" a theme means
    having at least one segment coded with any of its codes (union of coders).
    Participants whose level is missing count in ``"all"`` and in the scale means.
    With indicator matrix M (participant x theme) and score vector y,
    ``mean_mentioned = M'y / M'1`` over participants with a score, computed for
    every theme at once. No test is made: the display is for integration, not
    inference.

    A warning is issued, and an empty frame returned, when no participant is in
    both strands.

    References
    ----------
    Guetterman, Fetters & Creswell (2015), doi:10.1370/afm.1865
    """
    scales = [scales] if isinstance(scales, str) else list(scales)
    if not scales:
        raise ParamsError("scales is empty; name at least one scale score column")
    _require(scored, ["participant_id"], name="scored")
    if level is not None and level not in scored.columns:
        level = None  # no engagement level in this study: percentages of all only
    absent = [c for c in scales if c not in scored.columns]
    if absent:
        raise ParamsError(
            f"{', '.join(repr(c) for c in absent)} not a column of the scored survey; "
            f"scales and level must name scored columns such as "
            f"{', '.join(map(str, list(scored.columns)[:8]))}"
        )
    mentions = _mentions(segments)
    both = scored.drop_duplicates("participant_id")
    both = both.loc[isin(both["participant_id"], mentions["participant_id"])].reset_index(drop=True)
    if both.empty:
        warnings.warn(
            "no participant is in both the survey and the coded segments; "
            "the theme-by-survey joint display is empty",
            stacklevel=2,
        )
        return pd.DataFrame({c: pd.Series(dtype=_stat_dtype(c)) for c in _STAT_COLUMNS})
    mentions = mentions.loc[isin(mentions["participant_id"], both["participant_id"])]
    themes = sorted(mentions["theme"].astype(str).unique())
    row = pd.Index(both["participant_id"]).get_indexer(mentions["participant_id"])
    col = pd.Index(themes).get_indexer(mentions["theme"].astype(str))
    mentioned = np.zeros((len(both), len(themes)), dtype=np.float64)
    mentioned[row, col] = 1.0

    levels = _level_order(scored, level) if level is not None else []
    values = both[level] if level is not None else pd.Series(np.nan, index=both.index)
    label = values.astype("str").where(values.notna())
    frames = []
    for group in [*levels, "all"]:
        in_group = np.ones(len(both), bool) if group == "all" else (label == group).to_numpy()
        n = int(in_group.sum())
        share = mentioned[in_group].mean(axis=0) * 100.0 if n else np.full(len(themes), np.nan)
        frames.append(_stat_block(themes, "pct_mentioning", group, share, n))
    for scale in scales:
        y = pd.to_numeric(both[scale], errors="coerce").to_numpy(dtype=np.float64)
        has = ~np.isnan(y)
        y0 = np.where(has, y, 0.0)
        for group, m in (("mentioned", mentioned), ("not_mentioned", 1.0 - mentioned)):
            n = m[has].sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (m.T @ y0) / n
            frames.append(_stat_block(themes, f"mean_{scale}", group, mean, n))
    out = pd.concat(frames, ignore_index=True)
    order = {t: i for i, t in enumerate(themes)}
    out = out.sort_values("theme", key=lambda s: s.map(order), kind="mergesort")
    return out.reset_index(drop=True)


def _stat_block(themes: list[str], measure: str, group: str, value, n) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": pd.array(themes, dtype="str"),
            "measure": measure,
            "group": group,
            "value": np.asarray(value, dtype=np.float64),
            "n": np.broadcast_to(np.asarray(n, dtype=np.int64), (len(themes),)),
        }
    ).astype({"measure": "str", "group": "str"})


def _stat_dtype(column: str) -> str:
    return {"value": "float64", "n": "int64"}.get(column, "str")


# --------------------------------------------------------------------------- roles


def _first_quotes(quotes: pd.DataFrame | None, role: str) -> pd.Series:
    """The first quote per theme for ``role``, as “quote” (pseudonym)."""
    if quotes is None or quotes.empty:
        return pd.Series(dtype="str")
    _require(quotes, ["theme", "role", "quote"], name="quotes")
    mine = quotes.loc[quotes["role"] == role].drop_duplicates("theme")
    text = "\u201c" + mine["quote"].astype("str") + "\u201d"
    if "pseudonym" in mine.columns:
        text = text + " (" + mine["pseudonym"].astype("str") + ")"
    return pd.Series(text.to_numpy(), index=mine["theme"].astype("str").to_numpy(), dtype="str")


def joint_display_roles(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    quotes: pd.DataFrame | None = None,
    *,
    threshold: float = 20.0,
    min_difference: float = 10.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Patients against professionals, theme by theme: convergence or divergence.

    Parameters
    ----------
    segments : DataFrame
        Coded segments (participant_id, theme, code).
    participants : DataFrame
        Roster with participant_id and role (``patient`` / ``professional``).
    quotes : DataFrame, optional
        Output of :func:`partner_study.qualitative.select_quotes` (theme, role,
        quote, pseudonym); the first quote per theme and role is shown.
    threshold : float
        Absolute difference in percentage points that is a divergence by itself.
    min_difference : float
        Smallest absolute difference (pp) that a significant test makes a divergence.
    alpha : float
        Significance level of Fisher's exact test.

    Returns
    -------
    DataFrame
        One row per theme, sorted by theme:

        - ``theme`` : str
        - ``n_patients``, ``n_professionals`` : int, participants of the role
          mentioning the theme
        - ``n_patients_coded``, ``n_professionals_coded`` : int, participants of
          the role with any coded segment (the denominators)
        - ``pct_patients``, ``pct_professionals`` : float, percent mentioning
        - ``difference_pp`` : float, ``pct_patients - pct_professionals``
        - ``p_value`` : float, two-sided Fisher exact test of the 2x2 table
          (role x mentioned), unadjusted
        - ``label`` : str, ``"divergence"``, ``"convergence"`` or
          ``"not_comparable"`` (a role has no coded participant)
        - ``patient_quote``, ``professional_quote`` : str, “quote” (pseudonym), or
          missing

    Notes
    -----
    Divergence rule: ``|difference_pp| >= threshold`` (default 20 pp), or
    ``p_value < alpha`` and ``|difference_pp| >= min_difference`` (default 10 pp).
    Otherwise convergence. The first arm catches large differences in small
    qualitative samples where a test has no power; the second catches smaller
    but clear differences in large samples while ignoring trivial ones. The test
    is a flag for the integration, not a confirmatory analysis, so it is not
    adjusted for the number of themes.

    References
    ----------
    Guetterman, Fetters & Creswell (2015), doi:10.1370/afm.1865
    """
    for name, value in (("threshold", threshold), ("min_difference", min_difference)):
        if not np.isfinite(value) or not 0 <= value <= 100:
            raise ParamsError(f"{name} must be between 0 and 100 percentage points, got {value!r}")
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha must be between 0 and 1, got {alpha!r}")
    mentions = _mentions(segments)
    _require(participants, ["participant_id", "role"], name="participants")
    roster = participants[["participant_id", "role"]].drop_duplicates("participant_id")
    unknown = pd.unique(
        mentions.loc[~isin(mentions["participant_id"], roster["participant_id"]), "participant_id"]
    )
    if len(unknown):
        raise StudyDataError(
            Problem(
                file="segments (data frame)",
                column="participant_id",
                found=", ".join(repr(str(u)) for u in unknown[:5])
                + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""),
                expected="participant ids listed in participants",
                fix="add the participant(s) to participants.csv or correct segments.csv",
            )
        )
    mentions = mentions.merge(roster, on="participant_id", how="left")
    coded = mentions.drop_duplicates("participant_id")["role"].value_counts()
    counts = pd.crosstab(mentions["theme"].astype(str), mentions["role"].astype(str))
    counts = counts.reindex(columns=["patient", "professional"], fill_value=0)
    out = pd.DataFrame({"theme": counts.index.astype("str")})
    for role, plural in (("patient", "patients"), ("professional", "professionals")):
        total = int(coded.get(role, 0))
        out[f"n_{plural}"] = counts[role].to_numpy(dtype=np.int64)
        out[f"n_{plural}_coded"] = np.int64(total)
        out[f"pct_{plural}"] = 100.0 * out[f"n_{plural}"] / total if total else np.nan
    out["difference_pp"] = out["pct_patients"] - out["pct_professionals"]
    out["p_value"] = [
        stats.fisher_exact([[a, na - a], [b, nb - b]]).pvalue if na and nb else np.nan
        for a, na, b, nb in out[
            ["n_patients", "n_patients_coded", "n_professionals", "n_professionals_coded"]
        ].itertuples(index=False)
    ]
    size = out["difference_pp"].abs()
    divergent = (size >= threshold) | ((out["p_value"] < alpha) & (size >= min_difference))
    out["label"] = np.where(
        out["difference_pp"].isna(), NOT_COMPARABLE, np.where(divergent, DIVERGENCE, CONVERGENCE)
    )
    out["patient_quote"] = out["theme"].map(_first_quotes(quotes, "patient"))
    out["professional_quote"] = out["theme"].map(_first_quotes(quotes, "professional"))
    out = out.astype({"label": "str", "patient_quote": "str", "professional_quote": "str"})
    return out[_ROLE_COLUMNS].sort_values("theme", kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- combined


def table_joint_display(
    roles: pd.DataFrame, *, statistics: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The joint display table (``tables/joint-display.csv``), one row per theme.

    Parameters
    ----------
    roles : DataFrame
        Output of :func:`joint_display_roles`.
    statistics : DataFrame, optional
        Output of :func:`joint_display_statistics` (long); spread into columns.

    Returns
    -------
    DataFrame
        One row per theme of ``roles`` (themes only in ``statistics`` are added
        with missing role columns), in ``roles`` order:

        - ``theme``, ``pct_patients``, ``pct_professionals``, ``difference_pp``,
          ``label``, ``patient_quote``, ``professional_quote`` : from ``roles``
        - ``pct_level_<level>`` : float, per engagement level (snake_case label), in
          level order: percent of both-strand participants at that level mentioning
          the theme
        - ``mean_<scale>_mentioned``, ``mean_<scale>_not_mentioned`` : float, per
          scale in the order given to :func:`joint_display_statistics`

    Notes
    -----
    The wide table is the display a reader scans theme by theme; the counts
    behind each percentage and mean (``n``) stay in the long
    :func:`joint_display_statistics` frame, which is its companion table.
    """
    _require(roles, _JOINT_COLUMNS, name="roles")
    out = roles[_JOINT_COLUMNS].copy()
    if statistics is None or statistics.empty:
        return out.reset_index(drop=True)
    _require(statistics, _STAT_COLUMNS, name="statistics")
    stat = statistics.loc[statistics["group"] != "all"]
    is_pct = stat["measure"] == "pct_mentioning"
    column = np.where(
        is_pct,
        "pct_level_" + stat["group"].map(_snake),
        stat["measure"].astype(str) + "_" + stat["group"].astype(str),
    )
    stat = stat.assign(column=column)
    order = list(pd.unique(stat["column"]))
    wide = stat.pivot(index="theme", columns="column", values="value").reindex(columns=order)
    wide.columns.name = None
    wide.index = wide.index.astype("str")
    out = out.merge(wide, left_on="theme", right_index=True, how="outer", sort=False)
    known = pd.Index(roles["theme"].astype(str))
    rank = out["theme"].map(lambda t: known.get_loc(t) if t in known else len(known))
    out = out.assign(_rank=rank).sort_values(["_rank", "theme"], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)
