"""The known truth of the simulated study: sizes, effects, variances and rates.

Layer 3 (pure constants).

Experience scale scores are drawn first. The engagement *true score* is
``T = b0 + sum_k beta_k * score_k + beta_role * professional + u_site + e``; each
engagement item is ``floor(T + d_j + U(0, 1))`` with ``U`` uniform dither, so that
``E[item | T] = T`` exactly while ``1 <= T + d_j <= 5``. Hence the coefficients
``beta_k`` are the true effects of the observed experience scores on the expected
engagement score (the joint model). Site intercepts ``u_site`` are independent of the
experience scores. Item non-response is missing completely at random.
"""

from __future__ import annotations

__all__ = ["SIZES", "TRUE_EFFECTS"]

#: Study sizes used by the example, the benchmark and power studies.
SIZES: dict[str, dict[str, int]] = {
    "S": {"n_sites": 4, "n_participants": 600, "n_segments": 1_200},
    "M": {"n_sites": 10, "n_participants": 10_000, "n_segments": 100_000},
    "L": {"n_sites": 50, "n_participants": 100_000, "n_segments": 1_000_000},
}

#: True effects of the experience scores on the engagement score (joint model).
TRUE_EFFECTS: dict[str, float] = {
    "communication": 0.20,
    "listening": 0.10,
    "information_sharing": 0.15,
    "teamwork": 0.10,
    "trust": 0.0,
    "power_sharing": 0.25,
}
_INTERCEPT = 0.35
_ROLE_EFFECT = -0.15  # professionals rate their partnership engagement lower
_SITE_SD = 0.20
_RESIDUAL_SD = 0.35
_ITEM_SD = 0.25
_ITEM_MISSING = 0.03
_SURVEY_RESPONSE = 0.9
_CODER_ERROR = 0.10
_DOUBLE_CODED = 0.25

_PLANTED_SHARE = 0.02
