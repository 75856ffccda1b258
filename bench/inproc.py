"""Run the stage notebooks' code in ONE Python process: no kernels, no papermill.

The lower limit of what the pipeline can cost: the same package calls as the notebooks, in
order, each stage in a fresh namespace, with the parameters the runner injects (``PARAMS``
relative to the project root, ``ROOT = "."``, ``OUT``). Cell outputs are not rendered (a
kernel would render the last expression of a cell, e.g. a figure, into the notebook).

Usage::

    python bench/inproc.py --root PROJECT --params params/<study>.yaml \
        [--out ""] [--timings FILE.json] [--profile DIR]

With ``--profile DIR`` each stage runs under cProfile; ``DIR/<stage>.prof`` holds the stats
and ``DIR/<stage>.txt`` the top 15 functions by cumulative time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # no display; kernels use the inline backend

from partner_study.kernels import ONE_THREAD  # noqa: E402 - before numpy is imported

os.environ.update(ONE_THREAD)  # numerical libraries on one thread, as in the runner's kernels


def _code_cells(path: Path) -> list[tuple[str, list[str]]]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [(c.source, list(c.metadata.get("tags", []))) for c in nb.cells if c.cell_type == "code"]


def _stage_cells(path: Path, injected: str) -> list[tuple[str, str]]:
    """``(label, source)`` of the cells to run: the injected parameters go right after the
    cell tagged ``parameters``, as papermill puts them."""
    out: list[tuple[str, str]] = []
    for i, (src, tags) in enumerate(_code_cells(path)):
        out.append((f"{path.name} cell {i + 1}", src))
        if "parameters" in tags:
            out.append((f"{path.name} injected-parameters", injected))
    return out


def compile_stage(path: Path, *, params: str, out: str) -> list:
    """One notebook's code cells, with the runner's parameters injected, compiled."""
    injected = f"PARAMS = {params!r}\nROOT = '.'\nOUT = {out!r}\n"
    return [compile(src, f"<{label}>", "exec") for label, src in _stage_cells(path, injected)]


def run_stage(code: list) -> None:
    """Execute one stage's compiled cells, in order, in a fresh namespace."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    for cell in code:
        exec(cell, namespace)  # noqa: S102 - the benchmark's point
    namespace.clear()


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    gc.collect()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="project root (the kernels' working folder)")
    p.add_argument("--params", required=True, help="params/<study>.yaml, relative to --root")
    p.add_argument("--out", default="", help="OUT parameter (default: final places)")
    p.add_argument("--timings", default=None, help="write per-stage seconds here (JSON)")
    p.add_argument("--profile", default=None, help="folder for per-stage cProfile output")
    p.add_argument(
        "--stage",
        action="append",
        default=None,
        help="run only this stage (repeatable), e.g. --stage 03-qualitative",
    )
    args = p.parse_args(argv)

    root = Path(args.root).resolve()
    os.chdir(root)
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if args.stage:
        notebooks = [nb for nb in notebooks if nb.stem in args.stage]
    profile_dir = Path(args.profile).resolve() if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)

    # Read every notebook first: nbformat is the benchmark's tool, not part of the analysis.
    stages = {nb.stem: compile_stage(nb, params=args.params, out=args.out) for nb in notebooks}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    for nb in notebooks:
        code = stages[nb.stem]
        started = time.perf_counter()
        if profile_dir:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            try:
                run_stage(code)
            finally:
                prof.disable()
                prof.dump_stats(profile_dir / f"{nb.stem}.prof")
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(15)
                (profile_dir / f"{nb.stem}.txt").write_text(buf.getvalue(), encoding="utf-8")
        else:
            run_stage(code)
        _close_figures()
        timings[nb.stem] = time.perf_counter() - started
        print(f"  {nb.stem:<15} {timings[nb.stem]:8.2f} s", flush=True)
    timings["total"] = time.perf_counter() - t0
    if args.timings:
        Path(args.timings).write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
