"""Command-line interface: ``partner-study run | validate | simulate | ...``.

Layer 5. User errors (bad data, parameters, paths) are printed as messages, never as
tracebacks, and exit with status 2; a failing stage exits with status 1. ``verify``
exits with 0 (verified), 1 (outputs differ) or 2 (the rerun cannot be made, a failing
stage included).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import threading
from pathlib import Path

from partner_study import __version__
from partner_study.errors import PartnerStudyError

__all__ = ["main", "build_parser", "environment_error"]


_OUT_LOCK = threading.Lock()


def _line(text: str) -> None:
    """Write one whole line to stdout: stages finishing together never share a line."""
    with _OUT_LOCK:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _json_line(fields: dict) -> None:
    _line(json.dumps(fields, ensure_ascii=False, sort_keys=True))


def _json_progress(line: str) -> None:
    fields = getattr(line, "fields", None) or {"event": "note", "message": line.strip()}
    _json_line(fields)


def _cmd_run(args: argparse.Namespace) -> int:
    from partner_study.pipeline import run_pipeline

    mode = "json" if args.json else "quiet" if args.quiet else "text"
    if mode == "text":
        _line(f"partner-study {__version__}: running {args.params}")
    progress = {"text": _line, "json": _json_progress, "quiet": lambda line: None}[mode]
    result = run_pipeline(
        args.params, force=args.force, jobs=args.jobs, only=args.only, progress=progress
    )
    if mode == "text":
        _summary(result)
    elif mode == "json":
        report = result.manifest.parent / "report.html"
        by_status: dict[str, list[str]] = {}
        for stage in result.stages:
            by_status.setdefault(stage.status, []).append(stage.name)
        _json_line(
            {
                "event": "finished",
                "study": result.study,
                "seconds": round(result.seconds, 3),
                "ran": by_status.get("ran", []),
                "skipped": by_status.get("skipped", []),
                "not_applicable": by_status.get("not applicable", []),
                "manifest": str(result.manifest),
                "report": str(report) if report.is_file() else None,
            }
        )
    return 0


def _summary(result) -> None:
    root = result.manifest.parent
    ran = [s for s in result.stages if s.status == "ran"]
    skipped = [s for s in result.stages if s.status == "skipped"]
    print(
        f"\n{result.study}: {len(ran)} stage(s) ran, {len(skipped)} up to date, "
        f"in {result.seconds:.1f} s"
    )
    files: dict[str, int] = {}
    for stage in result.stages:
        for rel in stage.outputs:
            parts = Path(rel).parts
            key = str(Path(*parts[:3])) if len(parts) > 3 else str(Path(*parts[:-1]))
            files[key] = files.get(key, 0) + 1
    for folder, count in sorted(files.items()):
        print(f"  {folder + '/':<40} {count:>4} files")
    print(f"  manifest: {result.manifest}")
    report = root / "report.html"
    if report.is_file():
        print(f"  report:   {report}")


def _cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0: verified; 1: outputs differ; 2: the rerun could not be made (bad data or
    parameters, no manifest, a stage that fails, an error of the machine)."""
    from partner_study.errors import StageError
    from partner_study.pipeline import verify

    try:
        result = verify(args.params, jobs=args.jobs, progress=_line)
    except StageError as exc:
        print(
            f"error: {exc}\nNOT verified: the rerun failed, so nothing was compared. Fix: "
            "run `partner-study run` on this checkout to see the failure, put it right, "
            "then verify again.",
            file=sys.stderr,
        )
        return 2
    counts: dict[str, int] = {}
    print(f"\n{'status':<10} file")
    for rel, status, detail in result.rows:
        counts[status] = counts.get(status, 0) + 1
        if status == "identical" and not args.all:
            continue
        why, *how = detail.split("\n") if detail else [""]
        print(f"{status:<10} {rel}{'  (' + why + ')' if why else ''}")
        for line in how:
            print(f"{'':<10}   {line}")
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"\n{result.study}: {summary} ({len(result.rows)} files, {result.seconds:.1f} s)")
    if result.ok:
        print("verified: a rerun reproduces every output byte for byte.")
        return 0
    changed = [line for line in result.inputs if not line.startswith("note:")]
    because = (
        f"; {len(changed)} difference(s) in the inputs, listed before the rerun, may explain them"
        if changed
        else ""
    )
    print(f"NOT verified: the files above differ{because}.", file=sys.stderr)
    return 1


def _cmd_new_site(args: argparse.Namespace) -> int:
    from partner_study.config import find_root
    from partner_study.scaffold import new_site

    root = find_root()
    written = new_site(args.name, root=root, source=args.source)
    print(f"scaffolded study '{args.name}' from '{args.source}':")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(
        f"next: fill the tables (see data/raw/{args.name}/README.md), then\n"
        f"  partner-study validate data/raw/{args.name}\n"
        f"  partner-study run params/{args.name}.yaml"
    )
    return 0


def _check_new_folder(out: Path) -> None:
    """``--out`` must be a new or empty folder: an import never mixes its files with others."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise PartnerStudyError(
            f"{out}: found {'a symbolic link' if out.is_symlink() else 'a file'}, expected a new "
            "study folder. Fix: choose another --out (e.g. data/raw/<study>)."
        )
    if out.is_dir() and any(out.iterdir()):
        raise PartnerStudyError(
            f"{out}: found a folder that is not empty, expected a new study folder. "
            "Fix: choose another --out or empty the folder."
        )


def _write_and_validate(raw, out: Path):
    """Write an imported study next to ``out``, validate it, and only then move it to
    ``out``: an import that fails leaves ``out`` as it was (absent or empty)."""
    import shutil
    import tempfile

    from partner_study.validate import validate_study
    from partner_study.writer import write_raw_study

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        written = write_raw_study(raw, partial)
        checked = validate_study(partial, display=str(out))
        if out.is_dir():
            out.rmdir()  # empty (checked before the import)
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return [p.name for p in written], checked


def _cmd_import(args: argparse.Namespace) -> int:
    if args.file and args.data_file and args.file != args.data_file:
        raise PartnerStudyError(
            f"import {args.source}: found two exports, {args.file} and --data "
            f"{args.data_file}, expected one. Fix: give the export once, as FILE or --data FILE."
        )
    args.file = args.file or args.data_file
    if not args.file:
        raise PartnerStudyError(
            f"import {args.source}: found no export file, expected the file to import. Fix: "
            f"partner-study import {args.source} FILE --out data/raw/<study> (or --data FILE)."
        )
    if args.source == "qdc":
        return _import_codes(args)
    out = Path(args.out)
    _check_new_folder(out)
    for given in (args.file, args.dictionary, args.lss, args.participants, args.codebook):
        if given and not Path(given).is_file():
            raise PartnerStudyError(
                f"{given}: found no such file, expected the export to import. Fix: check the "
                "path (relative to the current folder)."
            )
    common = {k: v for k, v in (("site", args.site), ("role", args.role)) if v}
    from partner_study.config import check_study_name

    study = check_study_name(
        args.study or out.name,
        where="import --study" if args.study else f"import --out {out} (its folder name)",
    )
    if args.source == "redcap":
        from partner_study.io.redcap import import_redcap

        if not args.dictionary:
            raise PartnerStudyError(
                "import redcap: found no --dictionary, expected the data "
                "dictionary CSV. Fix: add --dictionary DD.csv."
            )
        raw = import_redcap(
            args.file,
            args.dictionary,
            event=args.event,
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            **common,
        )
    elif args.source in ("spss", "stata"):
        from partner_study.io.spss import import_spss

        raw = import_spss(
            args.file,
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            id_column=args.id_column,
            encoding=args.encoding,
            **common,
        )
    elif args.source == "limesurvey":
        from partner_study.io.limesurvey import import_limesurvey

        raw = import_limesurvey(
            args.file,
            args.lss,
            keep_incomplete=args.keep_incomplete,
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            **common,
        )
    elif args.source == "surveymonkey":
        from partner_study.io.surveymonkey import import_surveymonkey

        raw = import_surveymonkey(
            args.file,
            labels=[[x.strip() for x in s.split(";")] for s in args.labels or []],
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            **common,
        )
    elif args.source == "qualtrics":
        from partner_study.io.qualtrics import import_qualtrics

        raw = import_qualtrics(
            args.file,
            qsf=args.qsf,
            keep_unfinished=args.keep_unfinished,
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            **common,
        )
    elif args.source == "survey":
        from partner_study.io.survey import import_survey

        raw = import_survey(
            args.file,
            header_rows=args.header_rows,
            id_column=args.id_column,
            labels=[[x.strip() for x in s.split(";")] for s in args.labels or []],
            study=study,
            site_column=args.site_column,
            role_column=args.role_column,
            **common,
        )
    elif args.source in _QDA_IMPORTERS:
        raw = _import_qda(args, study, common)
    else:
        from partner_study.io.taguette import import_taguette

        kwargs = (
            {"participant_pattern": args.participant_pattern} if args.participant_pattern else {}
        )
        raw = import_taguette(args.file, study=study, **kwargs, **common)
    from partner_study.importing import draft_params, dry_run, with_record

    raw = with_record(raw, args.source, [args.file, args.dictionary])
    if args.dry_run:
        print(dry_run(raw, out), end="")
        return 0
    written, checked = _write_and_validate(raw, out)
    print(f"wrote {len(written)} files to {out}:")
    for name in written:
        print(f"  {name}")
    for note in raw.notes:
        print(f"note: {note}")
    params = draft_params(out, study, checked)
    if params:
        print(f"wrote {params}: the analysis parameters, defaults for every choice.")
    print(
        f"{out}: valid. {len(checked.participants)} participants. Review the draft "
        f"codebook ({out / 'codebook.yaml'}) and {out / 'IMPORT.md'} before analysing."
    )
    return 0


#: The importers of coded segments: module and function (REFI-QDA, MAXQDA, ATLAS.ti).
_QDA_IMPORTERS = {
    "qdpx": ("partner_study.io.qdpx", "import_qdpx"),
    "maxqda": ("partner_study.io.maxqda", "import_maxqda"),
    "atlasti": ("partner_study.io.atlasti", "import_atlasti"),
}


def _import_qda(args: argparse.Namespace, study: str, common: dict):
    """Run the importer of coded segments ``args.source`` with the options it takes."""
    import importlib

    module, function = _QDA_IMPORTERS[args.source]
    options = {
        "participants": args.participants,
        "codebook": args.codebook,
        "site_column": args.site_column,
        "role_column": args.role_column,
    }
    if args.source != "qdpx":
        options["participant_pattern"] = args.participant_pattern
    elif args.participant_pattern:
        raise PartnerStudyError(
            "import qdpx: found --participant-pattern, expected it only with maxqda, atlasti "
            "or taguette (a project's cases or documents are its participants). Fix: leave it "
            "out, or pass --participants FILE to name the participants."
        )
    kwargs = {k: v for k, v in options.items() if v is not None}
    return getattr(importlib.import_module(module), function)(
        args.file, study=study, **kwargs, **common
    )


def _import_codes(args: argparse.Namespace) -> int:
    """``import qdc FILE --out codes.yaml``: the themes and codes of a codebook file."""
    from partner_study.io.qdpx import codes_section
    from partner_study.writer import write_text

    out = Path(args.out)
    if out.suffix.lower() not in (".yaml", ".yml") or out.exists() or out.is_symlink():
        raise PartnerStudyError(
            f"{out}: found {'an existing file' if out.exists() else 'a name without .yaml'}, "
            "expected a new .yaml file for the drafted codes. Fix: choose another --out, e.g. "
            "--out codes.yaml."
        )
    if not Path(args.file).is_file():
        raise PartnerStudyError(
            f"{args.file}: found no such file, expected the codebook to import. Fix: check "
            "the path (relative to the current folder)."
        )
    text, notes = codes_section(args.file)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, text)
    print(f"wrote {out}: the themes: and codes: sections to put in a codebook.yaml.")
    for note in notes:
        print(f"note: {note}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from partner_study.validate import validate_study

    study = validate_study(args.folder)
    n_s = 0 if study.scored is None else len(study.scored)
    n_g = 0 if study.segments is None else len(study.segments)
    print(
        f"{args.folder}: valid. {len(study.participants)} participants, {n_s} survey "
        f"answers, {n_g} coded segments, {len(study.codebook.scales)} scales, "
        f"{len(study.codebook.codes)} codes."
    )
    for roster in _tracked_rosters(Path(args.folder)):
        print(
            f"warning: {roster} is tracked by git. A roster holds participants' real names: "
            f"keep it out of git unless its names are made up, as a simulated study's are. "
            f"Fix: git rm --cached {roster} (.gitignore already keeps data/raw/*/roster.* out)."
        )
    params = _params_of(args)
    if params is not None:
        from partner_study.params import load_params

        load_params(params)
        print(f"{params}: valid parameters for this study.")
    return 0


def _tracked_rosters(folder: Path) -> list[str]:
    """The roster files of a study folder that git tracks (none when git is absent)."""
    import subprocess

    rosters = sorted(p.name for p in folder.glob("roster.*") if p.is_file())
    if not rosters:
        return []
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "--", *rosters],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if proc.returncode != 0:
        return []
    return [str(folder / name) for name in proc.stdout.split()]


def _params_of(args: argparse.Namespace) -> Path | None:
    """The parameters file to check with a study folder: ``--params``, else
    ``params/<folder name>.yaml`` of the folder's project when there is one."""
    from partner_study.config import find_root

    if args.params:
        path = Path(args.params)
        if not path.is_file():
            raise PartnerStudyError(
                f"{path}: found no such parameters file, expected params/<study>.yaml. Fix: "
                "check the path, or leave --params out."
            )
        return path
    folder = Path(args.folder).resolve()
    candidate = find_root(folder) / "params" / f"{folder.name}.yaml"
    if not candidate.is_file():
        return None
    try:
        return candidate.relative_to(Path.cwd())
    except ValueError:
        return candidate


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.design:
        return _simulate_design(args)
    from partner_study.config import SEED
    from partner_study.simulate import SIZES, simulate_study
    from partner_study.writer import write_raw_study

    if args.params:
        raise PartnerStudyError(
            "simulate --params: found it without --design, expected it only with a design. "
            "Fix: add --design NAME, or leave --params out (the example's parameters are "
            "params/example.yaml)."
        )
    seed = SEED if args.seed is None else args.seed
    sizes = dict(SIZES[args.size or "S"])
    for key in ("n_sites", "n_participants", "n_segments"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    sim = simulate_study(
        seed=seed,
        study=args.study or "example",
        n_sites=sizes["n_sites"],
        n_participants=sizes["n_participants"],
        n_segments=sizes["n_segments"],
    )
    paths = write_raw_study(sim, args.out)
    print(
        f"wrote {len(paths)} files to {args.out} (seed {seed}, "
        f"{len(sim.participants)} participants, {len(sim.segments)} coded segments)"
    )
    return 0


def _simulate_design(args: argparse.Namespace) -> int:
    """``simulate --design NAME``: one of the study designs of :mod:`partner_study.designs`
    (``all``: every design as OUT/<name>/raw/ and OUT/<name>/params.yaml)."""
    import dataclasses

    from partner_study import designs
    from partner_study.config import check_study_name

    sized = [
        flag
        for flag, value in (
            ("--size", args.size),
            ("--n-sites", args.n_sites),
            ("--n-participants", args.n_participants),
            ("--n-segments", args.n_segments),
        )
        if value is not None
    ]
    if sized:
        raise PartnerStudyError(
            f"simulate --design: found {', '.join(sized)}, expected no sizes (a design has "
            "its own). Fix: leave the sizes out, or leave --design out to size the example."
        )
    out = Path(args.out)
    if args.design == "all":
        extra = [
            flag
            for flag, value in (
                ("--seed", args.seed),
                ("--study", args.study),
                ("--params", args.params),
            )
            if value is not None
        ]
        if extra:
            raise PartnerStudyError(
                f"simulate --design all: found {', '.join(extra)}"
                ", expected none (each design has its own seed, name and parameters). Fix: "
                "leave them out, or name one design."
            )
        written = designs.write_designs(out)
        print(f"wrote {len(designs.DESIGNS)} designs ({len(written)} files) to {out}:")
        for name in designs.DESIGNS:
            print(f"  {out / name}/raw/  {out / name}/params.yaml")
        return 0
    shape = designs.design_shape(args.design)
    if args.seed is not None:
        shape = dataclasses.replace(shape, seed=args.seed)
    if args.study:
        study = check_study_name(args.study, where="simulate --study")
    else:  # the folder's name, as data/raw/<study> has it, else the design's
        try:
            study = check_study_name(out.name, where="simulate --out")
        except PartnerStudyError:
            study = args.design
    params = Path(args.params) if args.params else None
    if params is not None and params.exists():
        raise PartnerStudyError(
            f"{params}: found a file, expected a new parameters file. Fix: choose another "
            "--params path, or remove the file first."
        )
    paths = designs.write_shape(shape, out, study=study)
    print(f"wrote design '{args.design}' (seed {shape.seed}) as study '{study}' to {out}:")
    for path in paths:
        print(f"  {path}")
    text = designs.params_text(shape, study).replace(f"data/raw/{study}", out.as_posix(), 1)
    if params is not None:
        params.parent.mkdir(parents=True, exist_ok=True)
        params.write_text(text, encoding="utf-8")
        print(f"  {params}")
    else:
        print("parameters (save as params/<study>.yaml, or pass --params):\n" + text, end="")
    return 0


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
    p.set_defaults(func=_cmd_run)

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
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("new-site", help="scaffold data/raw/NAME and params/NAME.yaml")
    p.add_argument("name")
    p.add_argument(
        "--from",
        dest="source",
        default="example",
        help="study whose codebook and parameters are copied (default: example)",
    )
    p.set_defaults(func=_cmd_new_site)

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
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "validate",
        help="check a raw study folder against its codebook, and its parameters file",
    )
    p.add_argument("folder")
    p.add_argument(
        "--params",
        help="parameters file to check too (default: params/<folder name>.yaml, if present)",
    )
    p.set_defaults(func=_cmd_validate)

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
    p.set_defaults(func=_cmd_simulate)
    return parser


_ENVIRONMENT_FIXES = {
    errno.EACCES: "make it writable for you (chmod u+w) or run the project from a folder "
    "you may write to",
    errno.EPERM: "make it writable for you (chmod u+w) or run the project from a folder "
    "you may write to",
    errno.EROFS: "the file system is read-only: copy the project to a writable disk",
    errno.ENOSPC: "free some disk space, then run again",
    errno.EDQUOT: "your disk quota is used up: free some space, then run again",
    errno.EFBIG: "a limit on file sizes is set for this shell (see `ulimit -f`): raise it, "
    "then run again",
    errno.EXDEV: "keep reports/, data/processed/ and .staging/ on one disk",
    errno.ENAMETOOLONG: "use shorter folder names",
    errno.EMFILE: "raise the limit on open files (`ulimit -n`)",
}


def environment_error(exc: OSError) -> str:
    """The standard message for an error of the machine (permissions, disk, limits)."""
    where = exc.filename or "a file"
    what = exc.strerror or str(exc)
    fix = _ENVIRONMENT_FIXES.get(exc.errno or 0, "check the path and its permissions")
    return (
        f"{where}: found '{what}' when reading or writing it, expected a readable and "
        f"writable project. Fix: {fix}. Nothing was half-written: run again once fixed."
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``partner-study`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PartnerStudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if type(exc).__name__ == "StageError" else 2
    except OSError as exc:  # the machine's, not the program's: a clear message, no traceback
        print(f"error: {environment_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
