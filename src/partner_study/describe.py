"""Descriptive statistics: Table 1 (with small-count suppression) and Likert response tables.

Layer 3 (pure functions on DataFrames).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.codebook import Codebook
from partner_study.disclosure import suppress_characteristics, suppress_likert
from partner_study.errors import Problem, StudyDataError

__all__ = [
    "CHARACTERISTICS_COLUMNS",
    "LIKERT_COLUMNS",
    "suppress_small_counts",
    "table_characteristics",
    "table_likert",
]

CHARACTERISTICS_COLUMNS = [
    "variable",
    "level",
    "role",
    "n",
    "percent",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "missing",
    "suppressed",
]
LIKERT_COLUMNS = ["scale", "item", "role", "response", "n", "percent"]
_ALL = "all"


def _groups(data: pd.DataFrame, by: str) -> list[tuple[str, pd.DataFrame]]:
    roles = [r for r in pd.unique(data[by].astype(str))]
    return [(r, data[data[by].astype(str) == r]) for r in sorted(roles)] + [(_ALL, data)]


def table_characteristics(
    participants: pd.DataFrame,
    codebook: Codebook,
    *,
    by: str = "role",
    suppress_below: int = 5,
    variables: list[str] | None = None,
) -> pd.DataFrame:
    """Table 1: participant characteristics by role, small counts suppressed.

    Parameters
    ----------
    participants : DataFrame
        Processed participants (site, role and the codebook's variables).
    codebook : Codebook
        Declares each variable's type, levels and the roles it applies to.
    by : str
        Column defining the groups (default ``role``); an ``all`` group is added.
    suppress_below : int
        Counts from 1 to ``suppress_below - 1`` are suppressed, with the percentages and
        summary statistics they would reveal; 0 or 1 disables suppression. Zero counts are
        shown: a zero discloses no one.
    variables : list of str, optional
        Variables to describe (default: ``site`` then every codebook variable).

    Returns
    -------
    DataFrame
        One row per variable, level and group: ``variable, level, role, n, percent, mean, sd,
        median, q1, q3, missing, suppressed``. ``variable == "participants"`` gives group sizes.
        Category rows have ``n`` and ``percent`` (of non-missing answers in the group);
        numeric rows (``level`` empty) have ``n`` (answers), mean, sd (ddof 1), median, q1,
        q3. ``missing`` is the group's count of missing answers for the variable. Suppressed
        cells are empty and ``suppressed`` is True.

    Notes
    -----
    Primary suppression blanks every count below ``suppress_below`` and the statistics of
    numeric variables answered by fewer people. Complementary suppression then blanks
    further cells until no suppressed count can be narrowed to fewer than
    ``suppress_below`` possible values by any arithmetic on what is printed: the group
    sizes, the sums of levels and missing answers, the ``all`` column and the percentages
    at their printed precision (:mod:`partner_study.disclosure.audit`). With suppression
    on, percentages are rounded to the one decimal Table 1 shows.
    """
    cb = codebook
    names = variables if variables is not None else ["site", *cb.variables]
    rows: list[dict] = []
    for role, group in _groups(participants, by):
        rows.append(
            {"variable": "participants", "level": "", "role": role, "n": len(group), "missing": 0}
        )
    for name in names:
        var = cb.variables.get(name)
        applies = var.roles if var is not None and var.roles else None
        numeric = var is not None and var.type in ("integer", "number")
        for role, group in _groups(participants, by):
            if applies and role != _ALL and role not in applies:
                continue
            sub = group if not applies else group[group[by].astype(str).isin(applies)]
            values = sub[name]
            missing = int(values.isna().sum())
            if numeric:
                v = values.dropna().astype(float)
                rows.append(
                    {
                        "variable": name,
                        "level": "",
                        "role": role,
                        "n": len(v),
                        "mean": v.mean() if len(v) else np.nan,
                        "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
                        "median": v.median() if len(v) else np.nan,
                        "q1": v.quantile(0.25) if len(v) else np.nan,
                        "q3": v.quantile(0.75) if len(v) else np.nan,
                        "missing": missing,
                    }
                )
                continue
            present = sorted(pd.unique(participants[name].dropna().astype(str)))
            if var is not None:
                levels = var.ordered_labels
            elif name == "site":  # declared sites first, in codebook order
                levels = [s for s in cb.site_labels if s in present]
                levels += [s for s in present if s not in cb.site_labels]
            else:
                levels = present
            counts = values.astype("object").value_counts()
            answered = int(values.notna().sum())
            for level in levels:
                k = int(counts.get(level, 0))
                rows.append(
                    {
                        "variable": name,
                        "level": level,
                        "role": role,
                        "n": k,
                        "percent": 100 * k / answered if answered else np.nan,
                        "missing": missing,
                    }
                )
    table = pd.DataFrame(rows).reindex(columns=CHARACTERISTICS_COLUMNS)
    table["suppressed"] = False
    return suppress_small_counts(table, threshold=suppress_below)


def suppress_small_counts(table: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """Primary and complementary suppression of a characteristics table (see
    :func:`table_characteristics` and
    :func:`partner_study.disclosure.suppress_characteristics`). Returns a copy."""
    return suppress_characteristics(table, threshold=threshold)


def _likert_groups(data: pd.DataFrame, by: str, codebook: Codebook) -> list[str]:
    """Groups of a Likert table in the codebook's declared order (roles as ``role.levels``
    declares them, sites as ``site.levels``), undeclared ones after (sorted), ``all`` last."""
    present = list(dict.fromkeys(data[by].dropna().astype(str)))
    declared: list[str] = (
        list(codebook.role_levels)
        if by == "role"
        else list(codebook.site_labels)
        if by == "site"
        else []
    )
    known = [g for g in declared if g in present]
    return known + sorted(g for g in present if g not in known and g != _ALL) + [_ALL]


def _unanswered(scored: pd.DataFrame, codebook: Codebook) -> list[Problem]:
    """A problem for every scale none of whose items holds an answer."""
    problems = []
    for name, scale in codebook.scales.items():
        items = [i for i in scale.items if i in scored.columns]
        if items and scored[items].notna().to_numpy().any():
            continue
        missing = f" or one of its missing codes {list(scale.missing)}" if scale.missing else ""
        problems.append(
            Problem(
                file="survey.csv",
                column=scale.items[0] if len(scale.items) == 1 else None,
                found=(
                    f"no answer to any item of scale '{name}' (columns "
                    f"{', '.join(scale.items)}) in {len(scored):,} survey row(s): every "
                    f"cell is empty{missing}"
                ),
                expected=f"answers {scale.low}-{scale.high} to at least one item of the scale",
                fix=(
                    f"check that survey.csv holds the answers of '{name}' in these columns "
                    f"(an export may leave a question's columns empty), and that "
                    f"scales.{name}.missing in the codebook lists only codes that mean "
                    "'not answered', not real answers (e.g. 0 of a 0-1 scale); a cell "
                    "holding a response label the codebook does not declare is reported "
                    "by validation. If the scale was not asked, remove it from the codebook"
                ),
            )
        )
    return problems


def table_likert(
    scored: pd.DataFrame | None,
    codebook: Codebook,
    *,
    by: str = "role",
    suppress_below: int = 0,
) -> pd.DataFrame:
    """Distribution of the answers to every Likert item, by group.

    Parameters
    ----------
    scored : DataFrame or None
        The scored survey (item answers as numbers, NaN = missing, and the ``by`` column).
    codebook : Codebook
        The scales (items, response range) and the declared order of the groups.
    by : str
        Column defining the groups (default ``role``); an ``all`` group is added.
    suppress_below : int
        Disclosure threshold (``describe.suppress_below``, which stage 02 passes): counts
        from 1 to ``suppress_below - 1``, and the counts from which they could be derived,
        are empty with their percentages, and percentages are rounded to one decimal
        (:func:`partner_study.disclosure.suppress_likert`). 0 (the default) or 1: off.

    Returns
    -------
    DataFrame
        ``scale, item, role, response, n, percent``: one row per item, group and
        response value of the scale's range; percent of the group's answers to the item
        (NaN when the group gave none). Items in codebook order; groups in the
        codebook's declared order (roles as ``role.levels`` lists them, sites as
        ``site.levels``; undeclared values after them, sorted), the margin ``all``
        last. Answers are as given (reverse-keyed items are not recoded here). A study
        without a survey (no scales) gives a frame with these columns and no rows.

    Raises
    ------
    StudyDataError
        A scale none of whose items holds any answer (every cell empty or a declared
        missing code), one problem per such scale: its table and figure would be empty.
        Cells holding undeclared text never get here: validation reports them first.
    """
    if scored is None or not codebook.scales:
        return pd.DataFrame(columns=LIKERT_COLUMNS)
    problems = _unanswered(scored, codebook)
    if problems:
        raise StudyDataError(problems)
    groups = _likert_groups(scored, by, codebook)
    keys = scored[by].astype(str)
    frames = []
    for role in groups:
        group = scored if role == _ALL else scored[keys == role]
        for name, scale in codebook.scales.items():
            block = group[list(scale.items)]
            counts = block.apply(lambda s: s.value_counts()).reindex(scale.responses).fillna(0)
            long = counts.reset_index(names="response").melt(
                id_vars="response", var_name="item", value_name="n"
            )
            answered = long.groupby("item")["n"].transform("sum")
            long["percent"] = np.where(
                answered > 0, 100 * long["n"] / answered.where(answered > 0), np.nan
            )
            long["scale"], long["role"] = name, role
            frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].astype(int)
    out["response"] = out["response"].astype(int)
    order = {item: i for i, item in enumerate(codebook.items)}
    rank = {g: i for i, g in enumerate(groups)}
    out = (
        out.assign(_o=out["item"].map(order), _g=out["role"].map(rank))
        .sort_values(["_o", "_g", "response"], kind="stable")
        .drop(columns=["_o", "_g"])
    )
    out = out[LIKERT_COLUMNS].reset_index(drop=True)
    return suppress_likert(out, threshold=suppress_below) if suppress_below > 1 else out
