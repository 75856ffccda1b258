"""The command ``import``: an export of a survey or QDA tool into a new study folder.

Layer 5. The folder is written next to ``--out``, validated, and only then moved into place,
so an import that fails leaves ``--out`` as it was. ``import qdc`` drafts the ``themes:``
and ``codes:`` of a codebook file instead.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from partner_study.errors import PartnerStudyError

__all__: list[str] = []


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
