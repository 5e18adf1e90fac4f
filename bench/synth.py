"""How much CPU time synth takes per case, beside rate reading and judging the same cases (same run, same data).

    python bench/synth.py                      # every installed edition of the four, 20,000 cases, 3 runs each
    python bench/synth.py --quick              # 2,000 cases, 1 run each: checks that it runs
    python bench/synth.py --edition carag_2019 -n 50000
    python bench/synth.py --against OLD/bin/inspectkit   # also an older inspectkit's synth, paired with this one

Every command runs as a child process of the ``inspectkit`` command beside this interpreter (rate with
``--jobs 1``, since synth makes cases in one process), and its CPU time (user + system) is read with
``resource.getrusage(RUSAGE_CHILDREN)``: the machine may be shared, and CPU time is what the work costs.
Each command also runs on one case, so its start-up (interpreter, plugins, the edition's definition) is
measured and taken off: the figure *per case* is ``(CPU for n cases - CPU for 1 case) / (n - 1)``, what a
large run costs per case. Runs alternate (synth, rate, ...) so a change in the machine's load hits every
side, and each figure is the median of its runs. ``--against`` adds another inspectkit's synth (say, an
older version installed in its own virtual environment), timed in the same alternation, with its own
definition cache; its cases are its own (another version may make other cases for a seed).

The script reports; it does not assert: it exits 0 whatever the figures (2 only when it cannot run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

EDITIONS = ("standards_2020", "carag_2019", "qi_2017", "adult_offending_2013")


def _command() -> str:
    beside = Path(sys.executable).with_name("inspectkit")
    return str(beside) if beside.exists() else (shutil.which("inspectkit") or "inspectkit")


def _cpu(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one run of ``args``. rate's exit status 1 is accepted: an edition rated
    per inspection reports that no inspection file was given, and still rates every case (checked below)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    if done.returncode not in (0, 1) or (done.returncode == 1 and args[1] != "rate"):
        raise subprocess.CalledProcessError(done.returncode, args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _installed(exe: str, env: dict[str, str]) -> set[str]:
    out = subprocess.run([exe, "frameworks", "--format", "json"], capture_output=True, text=True, env=env, check=False)
    return {edition for edition in EDITIONS if f'"{edition}"' in out.stdout}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cases, 1 run each")
    parser.add_argument("-n", type=int, default=None, help="cases (default 20,000; --quick 2,000)")
    parser.add_argument("--edition", action="append", help="an edition to measure (repeatable; default: all four installed)")
    parser.add_argument("--runs", type=int, default=None, help="runs per command (default 3; --quick 1)")
    parser.add_argument("--seed", type=int, default=3, help="synth's seed (default 3)")
    parser.add_argument("--against", metavar="INSPECTKIT", help="another inspectkit command whose synth is timed too")
    parser.add_argument("-v", "--verbose", action="store_true", help="each run's CPU time too")
    opts = parser.parse_args(argv)
    n = opts.n or (2_000 if opts.quick else 20_000)
    runs = opts.runs or (1 if opts.quick else 3)
    exe = _command()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "INSPECTKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        other_env = {**os.environ, "INSPECTKIT_CACHE_DIR": str(Path(tmp) / "other-cache")}
        editions = opts.edition or sorted(_installed(exe, env), key=EDITIONS.index)
        if not editions:
            print(f"no edition to measure: {exe} has none of {', '.join(EDITIONS)} installed", file=sys.stderr)
            return 2
        print(f"CPU time per case (start-up taken off), median of {runs} run(s), {n:,} cases, seed {opts.seed}")
        header = f"{'edition':22} {'synth':>12} {'rate --jobs 1':>14} {'synth / rate':>13}"
        if opts.against:
            header += f" {'--against':>12} {'--against / synth':>18}"
        print(header)
        for edition in editions:
            cases, one = Path(tmp) / f"{edition}.jsonl", Path(tmp) / f"{edition}-1.jsonl"
            other_out = Path(tmp) / f"{edition}-other.jsonl"

            def synth(count: int, out: Path, command: str = exe, edition: str = edition) -> list[str]:
                return [command, "synth", "--edition", edition, "-n", str(count), "--seed", str(opts.seed), "-o", str(out)]

            def rate(path: Path, edition: str = edition) -> list[str]:
                report = Path(tmp) / "report.json"
                return [exe, "rate", "--edition", edition, str(path), "--format", "json", "--jobs", "1", "-o", str(report)]

            sides: dict[str, tuple[list[str], list[str], dict[str, str]]] = {
                "synth": (synth(n, cases), synth(1, one), env),
                "rate": (rate(cases), rate(one), env),
            }
            if opts.against:
                sides["against"] = (synth(n, other_out, opts.against), synth(1, other_out, opts.against), other_env)
            try:
                for _full, single, side_env in sides.values():  # warm-up: caches, bytecode, the data rate reads
                    _cpu(single, side_env)
                _cpu(sides["synth"][0], env)
                _cpu(sides["rate"][0], env)
            except (OSError, subprocess.CalledProcessError) as exc:
                print(f"cannot run {edition}: {exc}", file=sys.stderr)
                return 2
            report = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
            case_errors = [e for e in report["errors"] if e.get("source")]
            if case_errors or report["cases"] + len(report["excluded"]) != n:
                print(f"warning: rate found {len(case_errors)} error(s) in {edition}'s synthetic cases", file=sys.stderr)
            fulls: dict[str, list[float]] = {name: [] for name in sides}
            singles: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(runs):  # alternating: each side once per round
                for name, (full, single, side_env) in sides.items():
                    fulls[name].append(_cpu(full, side_env))
                    singles[name].append(_cpu(single, side_env))
            per_case = {
                name: max(statistics.median(fulls[name]) - statistics.median(singles[name]), 0.0) / (n - 1) for name in sides
            }
            s, r = per_case["synth"], per_case["rate"]
            line = f"{edition:22} {s * 1e6:9.1f} us {r * 1e6:11.1f} us {s / r:12.2f}x"
            if opts.against:
                a = per_case["against"]
                line += f" {a * 1e6:9.1f} us {a / s:17.1f}x"
            print(line, flush=True)
            if opts.verbose:
                for name in sides:
                    shown = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(fulls[name], singles[name], strict=True))
                    print(f"    {name}: CPU s for {n:,} cases / for 1 case, each run: {shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
