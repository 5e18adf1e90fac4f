"""How long export takes, for each shape and format, against rate on the same cases (same run, same data).

    python bench/export.py             # 20,000 carag_2019 cases, 3 runs per side
    python bench/export.py --quick     # 2,000 cases, 2 runs per side (checks that it runs)

Every command runs as a child process of the ``inspectkit`` command beside this interpreter, in one process
(``--jobs 1``), so both sides pay for an interpreter start-up. The measure is CPU time (user + system) of the
child, read as the change in ``resource.getrusage(RUSAGE_CHILDREN)`` across it: on a shared machine wall
time says more about the neighbours. Runs alternate (rate, then each export, then rate again ...), so a
change in the machine's load hits every side; each figure is the median of its runs, and the ratio is the
export's median over rate's. The script reports; it does not assert (exit 0 whether or not a figure is
within rate's time; 2 when it cannot run at all).

export writes a row per case and question (about 170 for a carag_2019 case in the long table) where rate
writes one report, so the long table carries more output than rate's whole run does: the ratio says how
much that costs on top of reading and judging the same cases.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIDES = (("long", "csv"), ("long", "jsonl"), ("wide", "csv"), ("wide", "jsonl"))


def _command() -> str:
    beside = Path(sys.executable).with_name("inspectkit")
    return str(beside) if beside.exists() else (shutil.which("inspectkit") or "inspectkit")


def _cpu(args: list[str], env: dict[str, str]) -> float:
    """The CPU time (user + system) of one child process and everything it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the input had errors, as synthetic cases may not
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cases, 2 runs per side")
    parser.add_argument("-n", type=int, default=None, help="cases (default 20,000; --quick 2,000)")
    parser.add_argument("--edition", default="carag_2019", help="the edition synthesised, rated and exported")
    parser.add_argument("--runs", type=int, default=None, help="runs per side (default 3; --quick 2)")
    parser.add_argument("--cases", type=Path, default=None, help="a JSON Lines file of cases to use instead of synth's")
    opts = parser.parse_args(argv)
    n = opts.n or (2_000 if opts.quick else 20_000)
    runs = opts.runs or (2 if opts.quick else 3)
    exe = _command()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.setdefault("INSPECTKIT_CACHE_DIR", str(Path(tmp) / "cache"))  # warmed below, as a returning user's is
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cases = opts.cases
        if cases is None:
            cases = Path(tmp) / "cases.jsonl"
            synth = [exe, "synth", "--edition", opts.edition, "-n", str(n), "--seed", "2019", "-o", str(cases)]
            try:
                subprocess.run(synth, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            except (OSError, subprocess.CalledProcessError) as exc:
                print(f"cannot run {exe} synth: {exc}", file=sys.stderr)
                return 2
        else:
            with cases.open("rb") as fh:
                n = sum(1 for _ in fh)
        out = Path(tmp) / "out"
        commands = {
            "rate": [exe, "rate", "--edition", opts.edition, str(cases), "--format", "json", "--jobs", "1", "-o", f"{out}.json"],
        }
        for shape, fmt in SIDES:
            commands[f"export {shape} {fmt}"] = [
                exe,
                "export",
                "--edition",
                opts.edition,
                str(cases),
                "--shape",
                shape,
                "--format",
                fmt,
                "--jobs",
                "1",
                "-o",
                f"{out}.{shape}.{fmt}",
            ]
        try:
            for args in commands.values():  # once each before timing: bytecode, the definition cache, the disk cache
                _cpu(args, env)
        except (OSError, RuntimeError) as exc:
            print(f"cannot run: {exc}", file=sys.stderr)
            return 2
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, args in commands.items():
                times[name].append(_cpu(args, env))
        rows = {}
        with open(f"{out}.long.csv", "rb") as fh:
            rows["long"] = sum(1 for _ in fh) - 1
    rate = statistics.median(times["rate"])
    print(f"{n:,} {opts.edition} cases, CPU time (user + system), median of {runs}, one process each")
    print(f"{'command':<20} {'CPU':>8} {'per case':>10} {'x rate':>7}   runs")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:<20} {m:>7.2f}s {m / n * 1e6:>8.0f}us {m / rate:>6.2f}x   {', '.join(f'{t:.2f}' for t in ts)}")
    print(f"(the long table holds {rows['long']:,} rows: {rows['long'] / max(n, 1):.0f} per case)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
