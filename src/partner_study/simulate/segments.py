"""The simulated study's coded segments, its roster and the identifiers planted in them.

Layer 3 (pure). Each code is mentioned by a fixed share of each role's qualitative
participants (favouring the more engaged for codes linked to engagement); segments are
drawn from the quote templates of :mod:`partner_study.simulate.vocabulary`, a quarter
coded again by a second coder with an error rate, and a few carry identifiers (names of
the roster, phone numbers, e-mail addresses, dates, health numbers) as real transcripts do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partner_study.simulate.truth import _CODER_ERROR, _DOUBLE_CODED, _PLANTED_SHARE
from partner_study.simulate.vocabulary import _NAMES, _OPENERS, _QUOTES, PREVALENCE

__all__: list[str] = []


def _roster(rng, pid, in_qual, site_idx, site_codes) -> pd.DataFrame:
    """Names of the interviewed participants (a roster kept beside the data, never reported)."""
    q = np.flatnonzero(in_qual)
    names = []
    for i in q:
        given, family = _NAMES[site_codes[site_idx[i]][:2]]
        names.append(f"{given[rng.integers(len(given))]} {family[rng.integers(len(family))]}")
    return pd.DataFrame({"participant_id": pid[q], "name": np.array(names, dtype=object)})


def _plant_identifiers(rng, segments: pd.DataFrame, roster: pd.DataFrame):
    """Add identifiers to a few segment texts, as real transcripts have them: names of
    other participants, phone numbers, e-mail addresses, dates of birth, health numbers."""
    first = segments.drop_duplicates("segment_id")
    chosen = first["segment_id"].to_numpy()[rng.random(len(first)) < _PLANTED_SHARE]
    if len(chosen) == 0 or roster.empty:
        return segments, 0
    names = roster["name"].to_numpy()
    kinds = rng.integers(0, 5, len(chosen))
    picks = names[rng.integers(0, len(names), len(chosen))]
    digits = rng.integers(10, 99, (len(chosen), 4))
    extra = []
    for kind, name, d in zip(kinds, picks, digits, strict=True):
        given, family = name.split(" ", 1)
        extra.append(
            (
                f" {name} said the same in the waiting room.",
                f" You can call me on 0470 {d[0]} {d[1]} {d[2]} if you need more.",
                f" Write to {given.lower()}.{family.lower()}@example.org for the minutes.",
                f" I was born on {d[0] % 28 + 1:02d}/{d[1] % 12 + 1:02d}/19{d[2] % 50 + 40}.",
                f" My NHS number is 943 476 59{d[3]}.",
            )[kind]
        )
    add = pd.Series(extra, index=chosen)
    out = segments.copy()
    hit = out["segment_id"].isin(chosen)
    out.loc[hit, "text"] = out.loc[hit, "text"] + out.loc[hit, "segment_id"].map(add)
    return out, int(len(chosen))


def _simulate_segments(
    rng, pid, is_pro, in_qual, site_idx, site_codes, group_id, true_score, n_segments
):
    codes = list(PREVALENCE)
    prev = np.array([PREVALENCE[c] for c in codes])  # (codes, 2)
    q = np.flatnonzero(in_qual)
    nq = len(q)
    # Exactly round(p * n) participants of each role mention each code (stratified), chosen
    # at random but favouring the more engaged for codes linked to engagement.
    boost = np.zeros(len(codes))
    for c in ("power_sharing", "experiential_knowledge", "partnership_organisation"):
        boost[codes.index(c)] = 0.6
    engaged = np.clip(true_score[q] - 3.0, -1.5, 1.5)[:, None]
    priority = rng.random((nq, len(codes))) + boost * engaged
    mentions = np.zeros((nq, len(codes)), dtype=bool)
    for r in (0, 1):
        members = np.flatnonzero(is_pro[q].astype(int) == r)
        if len(members) == 0:
            continue
        k = np.rint(prev[:, r] * len(members)).astype(int)  # (codes,)
        ranks = np.argsort(np.argsort(-priority[members], axis=0, kind="stable"), axis=0)
        mentions[members] = ranks < k
    per_mention = max(1.0, n_segments / max(1, mentions.sum()))
    counts = np.where(mentions, 1 + rng.poisson(per_mention - 1, mentions.shape), 0)
    who, code_idx = np.nonzero(counts)
    reps = counts[who, code_idx]
    who = np.repeat(who, reps)
    code_idx = np.repeat(code_idx, reps)
    m = len(who)
    participant = q[who]
    role_idx = is_pro[participant].astype(int)
    # Text: a quote template of that code and role, with a spoken opener.
    templates = np.array([t for c in codes for r in (0, 1) for t in _QUOTES[c][r]], dtype=object)
    n_tpl = np.array([len(_QUOTES[c][r]) for c in codes for r in (0, 1)])
    first = np.concatenate([[0], np.cumsum(n_tpl)[:-1]])
    slot = code_idx * 2 + role_idx
    pick = first[slot] + (rng.random(m) * n_tpl[slot]).astype(int)
    opener = np.array(_OPENERS, dtype=object)[rng.integers(0, len(_OPENERS), m)]
    body = templates[pick]
    keep = np.array([b.startswith(("I ", "I'")) for b in templates], dtype=bool)[pick]
    lowered = np.array(
        [
            b if (not o or k) else b[0].lower() + b[1:]
            for o, b, k in zip(opener, body, keep, strict=True)
        ],
        dtype=object,
    )
    text = opener + lowered
    # Order by participant (documents), then random order within the document.
    order = np.lexsort((rng.random(m), participant))
    participant, code_idx, text = participant[order], code_idx[order], text[order]
    doc = np.where(
        is_pro[participant],
        np.array([f"INT-{p_}" for p_ in pid[participant]], dtype=object),
        group_id[participant],
    )
    lengths = np.fromiter((len(t) for t in text), dtype=np.int64, count=m) + 1
    ends_all = pd.Series(lengths).groupby(doc).cumsum().to_numpy()
    start = ends_all - lengths
    end = start + lengths - 1
    seg_no = np.arange(1, m + 1)
    seg_id = np.array([f"S{k:07d}" for k in seg_no], dtype=object)
    first_coder = pd.DataFrame(
        {
            "segment_id": seg_id,
            "participant_id": pid[participant],
            "document": doc,
            "start": start.astype(str),
            "end": end.astype(str),
            "coder": "coder_a",
            "code": np.array(codes, dtype=object)[code_idx],
            "text": text,
        }
    )
    # Second coder on a quarter of the segments: same code, or another code of the same
    # theme (or any code) with the error rate.
    double = rng.random(m) < _DOUBLE_CODED
    second = first_coder.loc[double].copy()
    wrong = rng.random(len(second)) < _CODER_ERROR
    other = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(second))]
    same = other == second["code"].to_numpy()
    other[same] = np.array(codes, dtype=object)[(code_idx[double][same] + 1) % len(codes)]
    second["code"] = np.where(wrong, other, second["code"].to_numpy())
    second["coder"] = "coder_b"
    segments = (
        pd.concat([first_coder, second], ignore_index=True)
        .sort_values(["segment_id", "coder"], kind="stable")
        .reset_index(drop=True)
    )
    truth = {
        c: {"patient": float(prev[i, 0]), "professional": float(prev[i, 1])}
        for i, c in enumerate(codes)
    }
    return segments, truth
