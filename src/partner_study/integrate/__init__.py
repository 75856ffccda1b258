"""Mixed-methods integration: joint displays of themes, roles and survey scores.

Layer 3 (analysis): functions take processed frames (``segments``, ``participants``,
``scored``) and the quotes table of :func:`partner_study.qualitative.select_quotes`,
and return new tidy frames. Nothing here reads or writes files.

A joint display puts qualitative and quantitative results side by side so that
their fit (confirmation, expansion, discordance, silence) can be read theme by theme
(Fetters, Curry & Creswell 2013; Guetterman, Fetters & Creswell 2015). It is an
inference, held to the standard of a regression table (DESIGN §8). Modules, by concept:

- :mod:`~partner_study.integrate.survey`: themes against the survey strand
  (:func:`joint_display_statistics`): who mentions a theme at each engagement level,
  and how those who mention it score on each experience scale;
- :mod:`~partner_study.integrate.units`: the units of data collection (a focus group
  is one unit, a participant interviewed alone another) and each role's mode;
- :mod:`~partner_study.integrate.intervals`: shares counted by the independent unit,
  cluster-aware 95% intervals of a share and of a difference, and the labels that
  follow from the interval (divergence, convergence, inconclusive);
- :mod:`~partner_study.integrate.stance`: stance codes of segments and the
  meta-inference of two roles on a theme;
- :mod:`~partner_study.integrate.roles`: themes across roles
  (:func:`joint_display_roles`), one row per theme and declared role;
- :mod:`~partner_study.integrate.table`: :func:`table_joint_display`, two roles
  compared theme by theme with the survey columns (``tables/joint-display.csv``).

References
----------
Fetters MD, Curry LA, Creswell JW. Achieving integration in mixed methods designs:
principles and practices. Health Serv Res. 2013;48(6 Pt 2):2134-2156.
doi:10.1111/1475-6773.12117

Guetterman TC, Fetters MD, Creswell JW. Integrating quantitative and qualitative
results in health science mixed methods research through joint displays. Ann Fam
Med. 2015;13(6):554-561. doi:10.1370/afm.1865
"""

from partner_study.integrate.intervals import (
    CONVERGENCE,
    DIVERGENCE,
    INCONCLUSIVE,
    difference_interval,
    label_difference,
    share_interval,
)
from partner_study.integrate.roles import joint_display_roles
from partner_study.integrate.stance import (
    CONFIRMATION,
    DISCORDANCE,
    EXPANSION,
    SILENCE,
    VALENCES,
    meta_inference,
)
from partner_study.integrate.survey import joint_display_statistics
from partner_study.integrate.table import (
    MARGIN,
    NOT_APPLICABLE,
    NOT_COMPARABLE,
    SUPPRESSED_SHARE,
    table_joint_display,
)
from partner_study.integrate.units import collection_units, mode_confounded

__all__ = [
    "CONVERGENCE",
    "DIVERGENCE",
    "INCONCLUSIVE",
    "NOT_COMPARABLE",
    "NOT_APPLICABLE",
    "SUPPRESSED_SHARE",
    "MARGIN",
    "VALENCES",
    "CONFIRMATION",
    "EXPANSION",
    "DISCORDANCE",
    "SILENCE",
    "joint_display_statistics",
    "joint_display_roles",
    "table_joint_display",
    "collection_units",
    "mode_confounded",
    "share_interval",
    "difference_interval",
    "label_difference",
    "meta_inference",
]
