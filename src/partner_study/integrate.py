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
- themes across roles (:func:`joint_display_roles`): the share of each declared role
  (any number, any names) raising each theme, with a quote from each, in a long frame.

:func:`table_joint_display` joins them into ``tables/joint-display.csv``: two roles
compared theme by theme (convergence or divergence), with the survey columns.

References
----------
Guetterman TC, Fetters MD, Creswell JW. Integrating quantitative and qualitative
results in health science mixed methods research through joint displays. Ann Fam
Med. 2015;13(6):554-561. doi:10.1370/afm.1865
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from partner_study.arrays import isin
from partner_study.errors import ParamsError, Problem, StudyDataError
from partner_study.qualitative import silent_members

__all__ = [
    "CONVERGENCE",
    "DIVERGENCE",
    "NOT_COMPARABLE",
    "NOT_APPLICABLE",
    "SUPPRESSED_SHARE",
    "joint_display_statistics",
    "joint_display_roles",
    "table_joint_display",
]

CONVERGENCE = "convergence"
DIVERGENCE = "divergence"
#: Label when fewer than two roles have a coded participant, so they cannot be compared.
NOT_COMPARABLE = "not_comparable"
#: Label when the study declares one role: there is nothing to compare.
NOT_APPLICABLE = "not_applicable"
#: Label when a share compared is hidden by disclosure control: no comparison is shown.
SUPPRESSED_SHARE = "suppressed"

_STAT_COLUMNS = ["theme", "measure", "group", "value", "n"]
_LONG_COLUMNS = ["theme", "role", "n_coded", "n_mentioning", "pct_mentioning", "quote"]
_JOINT_COLUMNS = [
    "theme",
    "role_a",
    "role_b",
    "pct_a",
    "pct_b",
    "difference_pp",
    "p_value",
    "label",
    "quote_a",
    "quote_b",
]
_DEFAULT_RULE = {"threshold": 20.0, "min_difference": 10.0, "alpha": 0.05}


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
    """``"Co-construction"`` -> ``"co_construction"``; accents dropped (``"Éducation"`` ->
    ``"education"``), so a column name holds ASCII letters, digits and ``_`` only."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


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


def _check_rule(threshold: float, min_difference: float, alpha: float) -> dict[str, float]:
    for name, value in (("threshold", threshold), ("min_difference", min_difference)):
        if not np.isfinite(value) or not 0 <= value <= 100:
            raise ParamsError(f"{name} must be between 0 and 100 percentage points, got {value!r}")
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha must be between 0 and 1, got {alpha!r}")
    return {
        "threshold": float(threshold),
        "min_difference": float(min_difference),
        "alpha": float(alpha),
    }


def _role_names(roles: Sequence[str] | str | None) -> list[str] | None:
    if roles is None:
        return None
    names = [roles] if isinstance(roles, str) else [str(r) for r in roles]
    if len(set(names)) != len(names):
        raise ParamsError(f"roles names a role twice: {names!r}; list each declared role once")
    return names


def _first_quotes(quotes: pd.DataFrame | None) -> pd.Series:
    """The first quote per (theme, role), as “quote” (pseudonym)."""
    empty = pd.Series([], dtype="str", index=pd.MultiIndex.from_arrays([[], []]))
    if quotes is None or quotes.empty:
        return empty
    _require(quotes, ["theme", "role", "quote"], name="quotes")
    first = quotes.dropna(subset=["theme", "role"]).drop_duplicates(["theme", "role"])
    if first.empty:
        return empty
    text = "\u201c" + first["quote"].astype("str") + "\u201d"
    if "pseudonym" in first.columns:
        text = text + " (" + first["pseudonym"].astype("str") + ")"
    index = pd.MultiIndex.from_arrays(
        [first["theme"].astype("str").to_numpy(), first["role"].astype("str").to_numpy()]
    )
    return pd.Series(text.to_numpy(), index=index, dtype="str")


def joint_display_roles(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    quotes: pd.DataFrame | None = None,
    *,
    roles: Sequence[str] | None = None,
    threshold: float = 20.0,
    min_difference: float = 10.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Who raises each theme, role by role: the tidy half of the joint display.

    Parameters
    ----------
    segments : DataFrame
        Coded segments (participant_id, theme, code).
    participants : DataFrame
        Roster with participant_id and role.
    quotes : DataFrame, optional
        Output of :func:`partner_study.qualitative.select_quotes` (theme, role,
        quote, pseudonym); the first quote per theme and role is shown.
    roles : sequence of str, optional
        The roles the codebook declares, in declared order
        (:attr:`partner_study.shape.StudyShape.role_names`): one or more, any names, any
        language. Every declared role gets a row per theme, coded participants or not.
        Roles of coded participants that are not declared follow, sorted, with a
        warning. Default: the roles of the roster, sorted.
    threshold, min_difference, alpha : float
        The divergence rule :func:`table_joint_display` applies, checked here and kept
        in ``attrs["divergence_rule"]`` of the result: an absolute difference of
        ``threshold`` percentage points or more (default 20), or a two-sided Fisher
        exact ``p < alpha`` (default 0.05) with a difference of ``min_difference`` pp or
        more (default 10).

    Returns
    -------
    DataFrame
        Long (tidy), one row per theme and role, themes sorted, roles in declared order
        (``tables/joint-display-roles.csv``):

        - ``theme`` : str
        - ``role`` : str, the role as stored (a value, never part of a column name)
        - ``n_coded`` : int, participants of the role with any coded segment (the
          denominator); 0 for a declared role nobody coded
        - ``n_mentioning`` : int, participants of the role mentioning the theme
        - ``pct_mentioning`` : float, ``100 * n_mentioning / n_coded``; NaN when
          ``n_coded`` is 0
        - ``quote`` : str, “quote” (pseudonym) of the role on the theme, or missing

    Notes
    -----
    "Mentioning" a theme means at least one segment coded with any of its codes (union
    of coders). Participants whose role is missing are left out.

    Examples
    --------
    >>> seg = pd.DataFrame({"participant_id": ["a", "b", "c"], "theme": ["t", "t", "u"],
    ...                     "code": ["x", "x", "y"]})
    >>> ppl = pd.DataFrame({"participant_id": ["a", "b", "c"],
    ...                     "role": ["staff", "resident", "resident"]})
    >>> joint_display_roles(seg, ppl, roles=["staff", "resident", "visitor"]).iloc[:3, :5]
      theme      role  n_coded  n_mentioning  pct_mentioning
    0     t     staff        1             1           100.0
    1     t  resident        2             1            50.0
    2     t   visitor        0             0             NaN

    References
    ----------
    Guetterman, Fetters & Creswell (2015), doi:10.1370/afm.1865
    """
    rule = _check_rule(threshold, min_difference, alpha)
    declared = _role_names(roles)
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
    mentions = mentions.merge(roster, on="participant_id", how="left").dropna(subset=["role"])
    mentions = mentions.assign(
        role=mentions["role"].astype("str"), theme=mentions["theme"].astype("str")
    )
    coded_ids = mentions.drop_duplicates("participant_id")["participant_id"]
    silent = silent_members(coded_ids, participants)
    coded = pd.concat(
        [
            mentions.drop_duplicates("participant_id")["role"],
            roster.loc[roster["participant_id"].isin(silent), "role"].astype("str"),
        ]
    ).value_counts()
    if declared is None:
        order = sorted(roster["role"].dropna().astype("str").unique())
    else:
        extra = sorted(set(coded.index) - set(declared))
        if extra:
            warnings.warn(
                f"coded participants have role(s) {', '.join(map(repr, extra))} that the "
                f"codebook does not declare ({', '.join(map(repr, declared)) or 'none'}); "
                "they are shown after the declared roles. Declare them under role: levels "
                "in codebook.yaml",
                stacklevel=2,
            )
        order = [*declared, *extra]
    themes = sorted(mentions["theme"].unique())
    counts = pd.crosstab(mentions["theme"], mentions["role"])
    counts = counts.reindex(index=themes, columns=order, fill_value=0)
    n_mentioning = counts.to_numpy(dtype=np.int64).reshape(len(themes), len(order))
    n_coded = np.array([int(coded.get(r, 0)) for r in order], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n_coded > 0, 100.0 * n_mentioning / np.maximum(n_coded, 1), np.nan)
    out = pd.DataFrame(
        {
            "theme": pd.array(np.repeat(np.asarray(themes, dtype=object), len(order)), "str"),
            "role": pd.array(np.tile(np.asarray(order, dtype=object), len(themes)), "str"),
            "n_coded": np.tile(n_coded, len(themes)),
            "n_mentioning": n_mentioning.ravel(),
            "pct_mentioning": pct.ravel().astype(np.float64),
        }
    )
    keys = pd.MultiIndex.from_arrays([out["theme"].to_numpy(), out["role"].to_numpy()])
    out["quote"] = pd.array(_first_quotes(quotes).reindex(keys).to_numpy(), dtype="str")
    out.attrs["divergence_rule"] = rule
    return out


# --------------------------------------------------------------------------- combined


def _pairs(pct: np.ndarray, coded: np.ndarray, n_roles: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (declared order, ``a < b``) of the two roles compared on each theme; ``b``
    is -1 when the study has one role."""
    n_themes = len(pct)
    if n_roles == 1:
        return np.zeros(n_themes, np.int64), np.full(n_themes, -1, np.int64)
    present = np.flatnonzero(coded)
    if len(present) < 2:
        # nothing to compare: the coded role, if any, beside the first other declared role
        first = sorted([*present, *(i for i in range(n_roles) if i not in present)][:2])
        return np.full(n_themes, first[0], np.int64), np.full(n_themes, first[1], np.int64)
    # the two coded roles whose shares differ most (with two coded roles, those two); when
    # every coded role has the same share, the first two coded roles
    among = pct[:, present]  # a share hidden by disclosure control is never the one chosen
    low = present[np.argmin(np.where(np.isnan(among), np.inf, among), axis=1)]
    high = present[np.argmax(np.where(np.isnan(among), -np.inf, among), axis=1)]
    same = low == high
    low[same], high[same] = present[0], present[1]
    return np.minimum(low, high), np.maximum(low, high)


def _compare(long: pd.DataFrame, roles: list[str], rule: dict[str, float]) -> pd.DataFrame:
    """The comparison columns of the wide joint display, one row per theme."""
    themes = list(pd.unique(long["theme"].astype("str")))
    grid = pd.MultiIndex.from_product([themes, roles], names=["theme", "role"])
    cells = long.assign(theme=long["theme"].astype("str"), role=long["role"].astype("str"))
    cells = cells.set_index(["theme", "role"])
    cells = cells.loc[~cells.index.duplicated()].reindex(grid)
    size = (len(themes), len(roles))
    pct = cells["pct_mentioning"].to_numpy(dtype=np.float64).reshape(size)
    n = cells["n_mentioning"].fillna(0).to_numpy(dtype=np.int64).reshape(size)
    total = cells["n_coded"].fillna(0).to_numpy(dtype=np.int64).reshape(size)
    if "quote" in cells.columns:
        quote = cells["quote"].astype(object).to_numpy().reshape(size)
    else:
        quote = np.full(size, None, dtype=object)
    a, b = _pairs(pct, np.asarray((total > 0).any(axis=0)), len(roles))
    rows = np.arange(len(themes))
    has_b = b >= 0
    bb = np.where(has_b, b, 0)
    names = np.asarray(roles, dtype=object)
    pct_a = pct[rows, a]
    pct_b = np.where(has_b, pct[rows, bb], np.nan)
    difference = pct_a - pct_b
    p_value = np.full(len(themes), np.nan)
    # a share hidden by disclosure control (NaN with coded participants) is not compared:
    # a difference or a test beside it would give it away
    testable = has_b & (total[rows, a] > 0) & (total[rows, bb] > 0)
    testable &= ~np.isnan(pct_a) & ~np.isnan(pct_b)
    for i in np.flatnonzero(testable):  # one test per theme
        x, nx, y, ny = n[i, a[i]], total[i, a[i]], n[i, b[i]], total[i, b[i]]
        p_value[i] = stats.fisher_exact([[x, nx - x], [y, ny - y]]).pvalue
    gap = np.abs(difference)
    with np.errstate(invalid="ignore"):
        divergent = (gap >= rule["threshold"]) | (
            (p_value < rule["alpha"]) & (gap >= rule["min_difference"])
        )
    hidden = (np.isnan(pct_a) & (total[rows, a] > 0)) | (
        has_b & np.isnan(pct_b) & (total[rows, bb] > 0)
    )
    label = np.where(divergent, DIVERGENCE, CONVERGENCE)
    label = np.where(np.isnan(difference), NOT_COMPARABLE, label)
    label = np.where(hidden, SUPPRESSED_SHARE, label)
    label = np.where(has_b, label, NOT_APPLICABLE)
    return pd.DataFrame(
        {
            "theme": pd.array(themes, dtype="str"),
            "role_a": pd.array(names[a], dtype="str"),
            "role_b": pd.array(np.where(has_b, names[bb], None), dtype="str"),  # type: ignore[call-overload]
            "pct_a": pct_a,
            "pct_b": pct_b,
            "difference_pp": difference,
            "p_value": p_value,
            "label": pd.array(label, dtype="str"),
            "quote_a": pd.array(quote[rows, a], dtype="str"),
            "quote_b": pd.array(np.where(has_b, quote[rows, bb], None), dtype="str"),  # type: ignore[call-overload]
        }
    )


def table_joint_display(
    roles_long: pd.DataFrame,
    *,
    roles: Sequence[str] | None = None,
    statistics: pd.DataFrame | None = None,
    threshold: float | None = None,
    min_difference: float | None = None,
    alpha: float | None = None,
) -> pd.DataFrame:
    """The joint display table (``tables/joint-display.csv``), one row per theme.

    Parameters
    ----------
    roles_long : DataFrame
        Output of :func:`joint_display_roles` (theme, role, n_coded, n_mentioning,
        pct_mentioning, quote), or ``tables/joint-display-roles.csv`` read back.
    roles : sequence of str, optional
        The declared roles in declared order (as given to :func:`joint_display_roles`).
        Default: the roles of ``roles_long`` in their order there.
    statistics : DataFrame, optional
        Output of :func:`joint_display_statistics` (long); spread into columns.
    threshold, min_difference, alpha : float, optional
        The divergence rule (see :func:`joint_display_roles`). Default: the rule kept
        in ``roles_long.attrs["divergence_rule"]``, else 20 pp, 10 pp and 0.05.

    Returns
    -------
    DataFrame
        One row per theme of ``roles_long`` (themes only in ``statistics`` are added
        with missing role columns), in ``roles_long`` order. The columns are the same
        for every study, whatever its roles are called:

        - ``theme`` : str
        - ``role_a``, ``role_b`` : str, the two roles compared on the theme, in declared
          order (see Notes); with one declared role ``role_a`` is that role and
          ``role_b`` is missing
        - ``pct_a``, ``pct_b`` : float, percent of the coded participants of ``role_a``
          and ``role_b`` mentioning the theme (NaN for a role nobody coded)
        - ``difference_pp`` : float, ``pct_a - pct_b``
        - ``p_value`` : float, two-sided Fisher exact test of the 2x2 table
          (role x mentioned) of the two roles, unadjusted
        - ``label`` : str, ``"divergence"``, ``"convergence"``, ``"not_comparable"``
          (fewer than two roles have a coded participant), ``"suppressed"`` (a share is
          hidden by disclosure control: ``difference_pp`` and ``p_value`` are empty) or
          ``"not_applicable"`` (the study declares one role)
        - ``quote_a``, ``quote_b`` : str, “quote” (pseudonym) of each role, or missing
        - ``pct_level_<level>`` : float, per engagement level (snake_case label), in
          level order: percent of both-strand participants at that level mentioning
          the theme
        - ``mean_<scale>_mentioned``, ``mean_<scale>_not_mentioned`` : float, per
          scale in the order given to :func:`joint_display_statistics`

    Notes
    -----
    Which roles are compared: with two coded roles, those two; with three or more, on
    each theme the pair whose shares differ most (the lowest and the highest share; the
    first two coded roles when all shares are equal), named in ``role_a`` and
    ``role_b``; every role's share stays in ``roles_long``. With fewer than two coded
    roles, the coded one (if any) beside the first other declared role.

    Divergence rule: ``|difference_pp| >= threshold``, or ``p_value < alpha`` and
    ``|difference_pp| >= min_difference``; otherwise convergence. The first arm catches
    large differences in small qualitative samples where a test has no power; the
    second catches smaller but clear differences in large samples while ignoring
    trivial ones. The test is a flag for the integration, not a confirmatory analysis,
    so it is adjusted neither for the number of themes nor, with three or more roles,
    for choosing the most different pair.

    The wide table is the display a reader scans theme by theme; the counts behind
    each percentage and mean stay in the long frames (:func:`joint_display_roles`,
    :func:`joint_display_statistics`), its companion tables.
    """
    _require(
        roles_long, ["theme", "role", "n_coded", "n_mentioning", "pct_mentioning"], name="roles"
    )
    rule = dict(_DEFAULT_RULE)
    rule.update(roles_long.attrs.get("divergence_rule") or {})
    given = {"threshold": threshold, "min_difference": min_difference, "alpha": alpha}
    rule.update({k: v for k, v in given.items() if v is not None})
    rule = _check_rule(rule["threshold"], rule["min_difference"], rule["alpha"])
    present = [str(r) for r in pd.unique(roles_long["role"].dropna().astype("str"))]
    declared = _role_names(roles)
    order = present if declared is None else [*declared, *(r for r in present if r not in declared)]
    if roles_long.empty or not order:
        out = pd.DataFrame({c: pd.Series(dtype=_joint_dtype(c)) for c in _JOINT_COLUMNS})
    else:
        out = _compare(roles_long, order, rule)
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
    columns = list(pd.unique(stat["column"]))
    wide = stat.pivot(index="theme", columns="column", values="value").reindex(columns=columns)
    wide.columns.name = None
    wide.index = wide.index.astype("str")
    out = out.merge(wide, left_on="theme", right_index=True, how="outer", sort=False)
    known = pd.Index(pd.unique(roles_long["theme"].astype(str)))
    rank = out["theme"].map(lambda t: known.get_loc(t) if t in known else len(known))
    out = out.assign(_rank=rank).sort_values(["_rank", "theme"], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)


def _joint_dtype(column: str) -> str:
    return (
        "float64" if column.startswith("pct_") or column in ("difference_pp", "p_value") else "str"
    )
