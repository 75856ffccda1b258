"""The argument parser of the ``partner-study`` command and its argument types.

Layer 5.
"""

from __future__ import annotations

import argparse

from partner_study import __version__
from partner_study.cli import commands
from partner_study.cli import imports as import_command

__all__ = ["build_parser"]


def _count(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"found {text!r}, expected a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"found {value:,}, expected a whole number from {low:,} to {high:,}"
            )
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    from partner_study.config import SEED

    parser = argparse.ArgumentParser(
        prog="partner-study",
        description="Reproducible mixed-methods analysis of patient partnership.",
    )
    parser.add_argument("--version", action="version", version=f"partner-study {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the pipeline (default params/example.yaml)")
    p.add_argument("params", nargs="?", default="params/example.yaml")
    p.add_argument("--force", action="store_true", help="rerun every stage")
    p.add_argument(
        "--jobs", type=_count(1, 64), default=None, help="stages at once (default: cores)"
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="STAGE",
        help="run only this stage (repeatable), e.g. --only 02-describe",
    )
    output = p.add_mutually_exclusive_group()
    output.add_argument(
        "--quiet", action="store_true", help="print nothing but errors (exit status says it all)"
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line: each stage event, then a 'finished' summary",
    )
    p.set_defaults(func=commands._cmd_run)

    p = sub.add_parser(
        "verify",
        help="rerun in a scratch folder and compare every output "
        "(exit 0: verified, 1: outputs differ, 2: cannot rerun)",
        description="Name the inputs that differ from the manifest, rerun the pipeline in a "
        "scratch folder, and compare every output byte for byte, saying how each differing "
        "file differs. Exit status: 0 verified, 1 outputs differ, 2 the rerun cannot be made.",
    )
    p.add_argument("params", nargs="?", default="params/example.yaml")
    p.add_argument("--jobs", type=_count(1, 64), default=None)
    p.add_argument("--all", action="store_true", help="list identical files too")
    p.set_defaults(func=commands._cmd_verify)

    p = sub.add_parser("new-site", help="scaffold data/raw/NAME and params/NAME.yaml")
    p.add_argument("name")
    p.add_argument(
        "--from",
        dest="source",
        default="example",
        help="study whose codebook and parameters are copied (default: example)",
    )
    p.set_defaults(func=commands._cmd_new_site)

    p = sub.add_parser(
        "import",
        help="turn a REDCap, SPSS/Stata, Qualtrics, LimeSurvey, SurveyMonkey, other survey, "
        "REFI-QDA, MAXQDA, ATLAS.ti or Taguette export into a study folder with a draft "
        "codebook and IMPORT.md (qdc: a codebook's codes only)",
    )
    p.add_argument(
        "source",
        choices=[
            "redcap",
            "spss",
            "stata",
            "qualtrics",
            "limesurvey",
            "surveymonkey",
            "survey",
            "qdpx",
            "maxqda",
            "atlasti",
            "qdc",
            "taguette",
        ],
    )
    p.add_argument(
        "file", nargs="?", help="the export (REDCap: the data CSV or .xlsx); or --data FILE"
    )
    p.add_argument(
        "--data", dest="data_file", metavar="FILE", help="the export, as the positional FILE"
    )
    p.add_argument("--out", required=True, help="study folder to write (data/raw/<study>)")
    p.add_argument("--dictionary", help="REDCap data dictionary (CSV or .xlsx)")
    p.add_argument("--event", help="REDCap longitudinal event to keep")
    p.add_argument("--study", help="study name (default: the folder name)")
    p.add_argument("--site", help="site of every participant, when the source has none")
    p.add_argument("--role", help="role of every participant, when the source has none")
    p.add_argument("--site-column", dest="site_column")
    p.add_argument("--role-column", dest="role_column")
    p.add_argument(
        "--id-column",
        "--id",
        dest="id_column",
        metavar="COLUMN",
        help="the participant id column (survey: its header text or number)",
    )
    p.add_argument("--qsf", help="Qualtrics: the survey definition (.qsf) of the export")
    p.add_argument(
        "--keep-unfinished",
        dest="keep_unfinished",
        action="store_true",
        help="Qualtrics: keep responses whose Finished is 0/False",
    )
    p.add_argument(
        "--header-rows",
        dest="header_rows",
        type=_count(1, 20),
        default=1,
        help="survey: rows above the first response; the first holds the questions (default 1)",
    )
    p.add_argument(
        "--labels",
        action="append",
        metavar="'LOW;...;HIGH'",
        help="survey, surveymonkey: response labels of rating questions, low to high, "
        "separated by ';' "
        "(repeatable)",
    )
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="print what would be imported (IMPORT.md) and write nothing",
    )
    p.add_argument("--encoding", help="text encoding of an SPSS/Stata file (e.g. latin1)")
    p.add_argument(
        "--participant-pattern",
        dest="participant_pattern",
        help="Taguette, MAXQDA, ATLAS.ti: regex whose first group is the participant id in a "
        "document name (Taguette default ^(P\\d+); others: the whole name)",
    )
    p.add_argument(
        "--participants",
        metavar="FILE",
        help="qdpx, MAXQDA, ATLAS.ti: facesheet (CSV/Excel, one row per participant) "
        "matched to documents or speakers",
    )
    p.add_argument(
        "--codebook",
        metavar="FILE",
        help="qdpx, MAXQDA, ATLAS.ti: codebook (.qdc, .qdpx or code list) for themes and labels",
    )
    p.add_argument("--lss", help="LimeSurvey: the survey structure (.lss) of the export")
    p.add_argument(
        "--keep-incomplete",
        dest="keep_incomplete",
        action="store_true",
        help="LimeSurvey: keep responses without a submit date",
    )
    p.set_defaults(func=import_command._cmd_import)

    p = sub.add_parser(
        "validate",
        help="check a raw study folder against its codebook, and its parameters file",
    )
    p.add_argument("folder")
    p.add_argument(
        "--params",
        help="parameters file to check too (default: params/<folder name>.yaml, if present)",
    )
    p.set_defaults(func=commands._cmd_validate)

    p = sub.add_parser(
        "simulate",
        help="write a simulated study with known truth (the example, or a study design)",
    )
    p.add_argument(
        "--seed",
        type=_count(0, 2**32 - 1),
        default=None,
        help=f"default {SEED} (a design: its own)",
    )
    p.add_argument(
        "--out",
        required=True,
        help="folder to write (data/raw/<study>); with --design all, the folder that gets "
        "one <design>/raw/ and <design>/params.yaml each (tests/data/designs)",
    )
    p.add_argument(
        "--study",
        default=None,
        help="study name (default: example; with --design, the --out folder's name)",
    )
    p.add_argument("--size", choices=["S", "M", "L"], default=None, help="default S")
    p.add_argument("--n-sites", dest="n_sites", type=_count(1, 1_000))
    p.add_argument("--n-participants", dest="n_participants", type=_count(1, 10_000_000))
    p.add_argument("--n-segments", dest="n_segments", type=_count(0, 100_000_000))
    p.add_argument(
        "--design",
        metavar="NAME",
        help="a study design instead of the example: be-focus-groups, qc-establishments, "
        "no-facilitators, coproduction, msk-partnership, or all",
    )
    p.add_argument(
        "--params",
        metavar="FILE",
        help="with --design NAME: also write its minimal parameters file (params/<study>.yaml)",
    )
    p.set_defaults(func=commands._cmd_simulate)
    return parser
