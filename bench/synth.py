"""How long synth takes to make cases, against rate reading and judging the same cases (same run, same data).

    python bench/synth.py             # 20,000 carag_2019 cases, 3 runs each
    python bench/synth.py --quick     # 2,000 cases, 2 runs each

Both run as child processes of the inspectkit command beside this interpreter, in one process each
(rate --jobs 1, since synth has no workers), alternating so a change in the machine's load hits both. The
figure is the median wall time of each, per case, and synth's time as a multiple of rate's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _command() -> str:
    beside = Path(sys.executable).with_name("inspectkit")
    return str(beside) if beside.exists() else (shutil.which("inspectkit") or "inspectkit")


def _timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cases, 2 runs each")
    parser.add_argument("-n", type=int, default=None, help="cases (default 20,000; --quick 2,000)")
    parser.add_argument("--edition", default="carag_2019", help="the edition synthesised and rated")
    parser.add_argument("--runs", type=int, default=None, help="runs per side (default 3; --quick 2)")
    opts = parser.parse_args(argv)
    n = opts.n or (2_000 if opts.quick else 20_000)
    runs = opts.runs or (2 if opts.quick else 3)
    exe = _command()
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "cases.jsonl"
        synth = [exe, "synth", "--edition", opts.edition, "-n", str(n), "--seed", "2019", "-o", str(cases)]
        rate = [
            exe,
            "rate",
            "--edition",
            opts.edition,
            str(cases),
            "--format",
            "json",
            "--jobs",
            "1",
            "-o",
            str(Path(tmp) / "r.json"),
        ]
        try:
            _timed(synth)  # also warms the definition cache and the disk cache
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"cannot run {exe} synth: {exc}", file=sys.stderr)
            return 2
        synth_times, rate_times = [], []
        for _ in range(runs):
            synth_times.append(_timed(synth))
            rate_times.append(_timed(rate))
    s, r = statistics.median(synth_times), statistics.median(rate_times)
    print(f"synth {n:,} {opts.edition} cases: {s:.2f} s ({s / n * 1e6:.0f} us/case)")
    print(f"rate the same cases (--jobs 1): {r:.2f} s ({r / n * 1e6:.0f} us/case)")
    print(
        f"synth / rate: {s / r:.2f}x (median of {runs}; runs {', '.join(f'{t:.2f}' for t in synth_times)} vs {', '.join(f'{t:.2f}' for t in rate_times)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
