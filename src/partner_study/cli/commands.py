"""The commands ``run``, ``verify``, ``new-site``, ``validate`` and ``simulate``, and the
lines they print.

Layer 5. Each ``_cmd_*`` function takes the parsed arguments and returns the exit status;
:func:`partner_study.cli.main` turns the errors it raises into messages.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from partner_study import __version__
from partner_study.errors import PartnerStudyError

__all__: list[str] = []


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
