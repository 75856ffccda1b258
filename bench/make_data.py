"""Write a simulated benchmark study (a size of :data:`partner_study.simulate.SIZES`).

Run by ``bench/run_bench.py`` in its own process, so that the benchmark driver does not
keep the simulated tables in memory while it measures::

    python bench/make_data.py --size M --study bench_m --out data/raw/bench_m
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", required=True)
    p.add_argument("--study", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    from partner_study.config import SEED
    from partner_study.simulate import SIZES, simulate_study
    from partner_study.writer import write_raw_study

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim = simulate_study(seed=SEED, study=args.study, **SIZES[args.size])
    t_sim = time.perf_counter() - t0
    write_raw_study(sim, Path(args.out))
    t_write = time.perf_counter() - t0 - t_sim
    for w in dict.fromkeys(
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
    ):
        print(f"  simulate_study warned: {w}")
    print(f"  simulated in {t_sim:.1f} s, written in {t_write:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
