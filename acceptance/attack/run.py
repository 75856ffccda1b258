"""Hostile-input attack on partner-study: every case in a throwaway project copy.

    .venv/bin/python acceptance/attack/run.py [--only GROUP] [-k SUBSTRING] [--jobs 2]
                                              [--json results.json] [--keep] [--list]

Each case copies a minimal project (notebooks/, params/example.yaml, data/raw/example/, an
empty pyproject.toml) and a sibling "victim" folder into a temporary folder, mutates the
copy, runs the ``partner-study`` command as a subprocess (own process group, timeout,
``RLIMIT_AS`` of 4 GB) and checks the contract (see harness.py). One line per case:

    PASS group/case-name  (1.2s) detail

then a summary per group and, last, ``N passed, M failed``. Exit status 0 only when every
case passes. Nothing under the project this script lives in is ever written.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # nothing written beside the script, not even bytecode
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # nor by the worker processes
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import harness  # noqa: E402

GROUP_MODULES = {
    "names": "cases_names",
    "params": "cases_params",
    "codebook": "cases_codebook",
    "tables": "cases_tables",
    "importers": "cases_importers",
    "disclosure": "cases_disclosure",
    "runs": "cases_runs",
    "outputs": "cases_outputs",
}


def load_cases() -> list[harness.Case]:
    import importlib

    if not harness.REGISTRY:
        for module in GROUP_MODULES.values():
            importlib.import_module(module)
    return list(harness.REGISTRY)


def select(
    cases: list[harness.Case], groups: list[str] | None, keys: list[str] | None
) -> list[harness.Case]:
    out = []
    for case in cases:
        if groups and case.group not in groups:
            continue
        if keys:
            names = [case.key, *(f"{case.group}/{s}" for s in case.subnames)]
            if not any(k in n for k in keys for n in names):
                continue
        out.append(case)
    return out


# ------------------------------------------------------------------------ workers
def _init_worker(base: str) -> None:
    harness.BASE = Path(base)
    load_cases()


def run_case(key: str, base: str, keep: bool) -> list[dict]:
    """Run one registered case in its own folder; return one dict per outcome."""
    harness.BASE = Path(base)
    cases = {c.key: c for c in load_cases()}
    case = cases[key]
    case_dir = Path(base) / "cases" / key.replace("/", "__")
    case_dir.mkdir(parents=True, exist_ok=True)
    ctx = harness.Ctx(case_dir)
    t0 = time.monotonic()
    try:
        got = case.fn(ctx)
        outcomes = got if isinstance(got, list) else [got]
    except Exception as exc:  # a broken case is reported, never hidden
        detail = (
            f"harness error: {type(exc).__name__}: {exc} | "
            + traceback.format_exc(limit=3).replace("\n", " ")[-300:]
        )
        names = case.subnames or (case.name,)
        outcomes = [harness.Outcome(n, False, detail) for n in names]
    finally:
        ctx.cleanup()
    elapsed = time.monotonic() - t0
    results = []
    for o in outcomes:
        results.append(
            {
                "group": case.group,
                "case": o.name,
                "ok": bool(o.ok),
                "seconds": round(o.seconds if o.seconds is not None else elapsed, 2),
                "detail": " ".join(str(o.detail).split()),
            }
        )
    if not keep:
        shutil.rmtree(case_dir, ignore_errors=True)
    return results


def fmt(r: dict) -> str:
    status = "PASS" if r["ok"] else "FAIL"
    return f"{status} {r['group']}/{r['case']}  ({r['seconds']:.1f}s) {r['detail']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Hostile-input attack on partner-study.")
    ap.add_argument(
        "--only",
        action="append",
        metavar="GROUP",
        help=f"run only this group (repeatable or comma-separated): {', '.join(GROUP_MODULES)}",
    )
    ap.add_argument(
        "-k", action="append", metavar="SUBSTRING", help="run cases whose name contains this"
    )
    ap.add_argument("--jobs", type=int, default=1, help="cases at once (default 1)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    ap.add_argument(
        "--keep", action="store_true", help="keep the throwaway folders (for debugging)"
    )
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)

    groups = None
    if args.only:
        groups = [g.strip() for item in args.only for g in item.split(",") if g.strip()]
        unknown = [g for g in groups if g not in GROUP_MODULES]
        if unknown:
            print(
                f"error: unknown group(s) {unknown}; groups: {', '.join(GROUP_MODULES)}",
                file=sys.stderr,
            )
            return 2
    cases = select(load_cases(), groups, args.k)
    if args.list:
        for c in cases:
            subs = f"  [{len(c.subnames)} checks]" if c.subnames else ""
            print(f"{c.key}{subs}")
        print(f"{sum(c.count() for c in cases)} cases")
        return 0
    if not cases:
        print("error: no case selected", file=sys.stderr)
        return 2

    base = Path(tempfile.mkdtemp(prefix="psattack-"))
    os.chmod(base, 0o755)
    harness.build_template(base)
    # the heaviest cases first, so that two workers finish together
    ordered = sorted(cases, key=lambda c: (not c.heavy, list(GROUP_MODULES).index(c.group)))
    total = sum(c.count() for c in ordered)
    print(
        f"{total} cases in {len(ordered)} runs, {args.jobs} at a time; work folder {base}",
        flush=True,
    )
    results: list[dict] = []
    t0 = time.monotonic()
    try:
        if args.jobs <= 1:
            harness.BASE = base
            for c in ordered:
                for r in run_case(c.key, str(base), args.keep):
                    results.append(r)
                    print(fmt(r), flush=True)
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(
                max_workers=args.jobs,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(str(base),),
            ) as pool:
                futures = {pool.submit(run_case, c.key, str(base), args.keep): c for c in ordered}
                for fut in cf.as_completed(futures):
                    case = futures[fut]
                    try:
                        batch = fut.result()
                    except Exception as exc:  # a worker that died
                        batch = [
                            {
                                "group": case.group,
                                "case": n,
                                "ok": False,
                                "seconds": 0.0,
                                "detail": f"worker error: {type(exc).__name__}: {exc}",
                            }
                            for n in (case.subnames or (case.name,))
                        ]
                    for r in batch:
                        results.append(r)
                        print(fmt(r), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept: {base}")

    wall = time.monotonic() - t0
    print()
    by_group: dict[str, list[int]] = {}
    for r in results:
        g = by_group.setdefault(r["group"], [0, 0])
        g[0 if r["ok"] else 1] += 1
    for group in GROUP_MODULES:
        if group in by_group:
            p, f = by_group[group]
            print(f"  {group:<11} {p:>4} passed {f:>4} failed")
    print(f"  wall clock {wall:.0f}s")
    passed = sum(1 for r in results if r["ok"])
    failed = len(results) - passed
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"passed": passed, "failed": failed, "seconds": round(wall, 1), "results": results},
                indent=1,
            ),
            encoding="utf-8",
        )
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
