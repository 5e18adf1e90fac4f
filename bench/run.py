#!/usr/bin/env python3
"""inspectkit benchmark: each figure as a ratio against a baseline measured in the same run.

    python bench/run.py            # full sizes (first run generates ~100,000 synthetic cases: a few minutes)
    python bench/run.py --quick    # smaller sizes, for a quick look

Standard library and inspectkit only. Every figure runs the installed ``inspectkit`` command in a
child process, and every baseline is a child process too, so both sides pay for an interpreter
start-up. Each measurement is made by a fresh wrapper process that starts the command, times it and
reads its peak memory with ``resource.getrusage(RUSAGE_CHILDREN)``.

The script reports; it does not assert: it exits 0 whether or not a target is met (2 only when the
benchmark itself cannot run, e.g. inspectkit or the edition is not installed).

Generated cases are cached under ``bench/.data/`` (keyed on edition, size, seed and inspectkit's
version), so reruns are fast; ``--regen`` rebuilds them.

Child processes cache their bytecode under ``bench/.data/pycache`` (``PYTHONPYCACHEPREFIX``, with any
``PYTHONDONTWRITEBYTECODE`` dropped), as an installed package has its ``.pyc`` files, without writing
into the source tree; a warm-up run of each command fills that cache before anything is timed.
``--inherit-env`` runs the children in this process's environment unchanged instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import inspectkit

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
EDITION = "carag_2019"
CHILD_ENV: dict[str, str] | None = None  # set in main(); None: the children inherit this environment

# Run inside a fresh wrapper process per measurement, so that RUSAGE_CHILDREN sees exactly one child.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    t0 = time.perf_counter()
    rc = subprocess.call(spec["cmd"], stdout=out, stderr=err)
    wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
print(json.dumps({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss * scale}))
"""

_PARSE_JSONL = r"""
import json, sys
loads = json.loads
n = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        if line.strip():
            loads(line)
            n += 1
print(n)
"""

_LOAD_YAML = r"""
import sys
from pathlib import Path
import yaml
n = 0
for p in sorted(Path(sys.argv[1]).rglob("*")):
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        n += 1
print(n)
"""


# ------------------------------------------------------------------------------------------ helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def find_inspectkit() -> str:
    """The installed ``inspectkit`` command: next to this interpreter first, then on PATH."""
    bindir = Path(sys.executable).parent
    for name in ("inspectkit", "inspectkit.exe"):
        if (bindir / name).exists():
            return str(bindir / name)
    found = shutil.which("inspectkit")
    if not found:
        log("error: the inspectkit command is not installed (pip install -e . and an edition plugin)")
        sys.exit(2)
    return found


class Measure:
    """One child process: wall seconds, CPU seconds, peak RSS (bytes), exit code, output files."""

    def __init__(self, cmd: list[str], workdir: Path, tag: str):
        self.cmd = cmd
        self.stdout = workdir / f"{tag}.out"
        self.stderr = workdir / f"{tag}.err"
        spec = json.dumps({"cmd": cmd, "stdout": str(self.stdout), "stderr": str(self.stderr)})
        res = subprocess.run([sys.executable, "-c", _WRAPPER, spec], capture_output=True, text=True, check=False, env=CHILD_ENV)
        if res.returncode != 0:
            log(res.stderr)
            raise RuntimeError(f"the measuring wrapper failed for {cmd}")
        data = json.loads(res.stdout)
        self.rc: int = data["rc"]
        self.wall: float = data["wall"]
        self.cpu: float = data["cpu"]
        self.maxrss: int = data["maxrss"]

    def err_head(self, lines: int = 3) -> str:
        try:
            with self.stderr.open(encoding="utf-8", errors="replace") as fh:
                return "".join(next(fh, "") for _ in range(lines)).strip()
        except OSError:
            return ""


def median(values: list[float]) -> float:
    return statistics.median(values)


def warm(path: Path) -> None:
    """Read the data once so that neither side pays for a cold disk cache."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        with f.open("rb") as fh:
            while fh.read(1 << 20):
                pass


def fmt_seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def fmt_bytes(b: float) -> str:
    return f"{b / (1 << 20):.1f} MiB"


# ------------------------------------------------------------------------------------------ data


def _key(n: int, seed: int) -> str:
    return f"{EDITION}-v{inspectkit.__version__}-n{n}-s{seed}"


def _synth(cli: str, n: int, seed: int, out: Path) -> None:
    subprocess.run([cli, "synth", "--edition", EDITION, "-n", str(n), "--seed", str(seed), "-o", str(out)], check=True)


def jsonl_data(cli: str, n: int, seed: int, regen: bool) -> Path:
    """``n`` synthetic cases in one JSON Lines file (generated in a temporary folder, then moved into the cache)."""
    DATA.mkdir(parents=True, exist_ok=True)
    final = DATA / f"{_key(n, seed)}.jsonl"
    if final.exists() and not regen:
        with final.open("rb") as fh:
            if sum(1 for _ in fh) == n:
                return final
    log(f"generating {n:,} synthetic {EDITION} cases (JSON Lines, seed {seed}) ...")
    t0 = time.perf_counter()
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=DATA))
    try:
        out = tmpdir / final.name
        _synth(cli, n, seed, out)
        os.replace(out, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    log(f"  done in {time.perf_counter() - t0:.1f} s -> {final.relative_to(HERE.parent)}")
    return final


def yaml_data(cli: str, n: int, seed: int, regen: bool) -> Path:
    """``n`` synthetic cases, one YAML file each, in a folder (generated aside, then moved into the cache)."""
    DATA.mkdir(parents=True, exist_ok=True)
    final = DATA / f"{_key(n, seed)}-yaml"
    if final.is_dir() and not regen and sum(1 for _ in final.glob("*.yaml")) == n:
        return final
    log(f"generating {n:,} synthetic {EDITION} cases (one YAML file each, seed {seed}) ...")
    t0 = time.perf_counter()
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=DATA))
    try:
        out = tmpdir / "cases"
        _synth(cli, n, seed, out)
        if final.exists():
            shutil.rmtree(final)
        os.replace(out, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    log(f"  done in {time.perf_counter() - t0:.1f} s -> {final.relative_to(HERE.parent)}")
    return final


# ------------------------------------------------------------------------------------------ figures


class Row:
    def __init__(self, figure: str, measured: str, baseline: str, ratio: float, target: float, notes: list[str]):
        self.figure = figure
        self.measured = measured
        self.baseline = baseline
        self.ratio = ratio
        self.target = target
        self.notes = notes

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target

    def to_dict(self) -> dict:
        return {
            "figure": self.figure,
            "measured": self.measured,
            "baseline": self.baseline,
            "ratio": round(self.ratio, 3),
            "target": self.target,
            "within_target": self.ok,
            "notes": self.notes,
        }


def _rate_cmd(cli: str, path: Path) -> list[str]:
    return [cli, "rate", "--edition", EDITION, "--format", "json", str(path)]


def _check_rate(m: Measure, expected: int, notes: list[str]) -> None:
    """Make sure the run rated what it was given (so that a fast failure cannot pass for a fast run)."""
    if m.rc != 0:
        notes.append(f"WARNING: inspectkit rate exited {m.rc}: {m.err_head()}")
    try:
        report = json.loads(m.stdout.read_text(encoding="utf-8"))
        counted, left_out, errors = report["cases"], len(report["excluded"]), len(report["errors"])
    except (OSError, ValueError, KeyError, TypeError):
        notes.append("WARNING: inspectkit rate did not write a readable JSON report")
        return
    if counted + left_out != expected or errors:
        notes.append(
            f"WARNING: the report counted {counted:,} and left out {left_out:,} ({errors:,} errors); expected {expected:,} in all"
        )
    elif left_out:
        notes.append(
            f"the report counted {counted:,} cases and left {left_out:,} out of the sample (by the edition's sample rule)"
        )


def _timed_pair(label: str, cmd: list[str], base_cmd: list[str], repeat: int, work: Path) -> tuple[list[Measure], list[Measure]]:
    """Alternate baseline and measured runs, so that drift in the machine hits both sides alike."""
    runs: list[Measure] = []
    bases: list[Measure] = []
    for i in range(repeat):
        log(f"  {label}: run {i + 1}/{repeat} ...")
        bases.append(Measure(base_cmd, work, f"{label}-base-{i}"))
        runs.append(Measure(cmd, work, f"{label}-run-{i}"))
    return runs, bases


def _spread(runs: list[Measure], bases: list[Measure]) -> str:
    return f"runs {', '.join(fmt_seconds(m.wall) for m in runs)} vs {', '.join(fmt_seconds(m.wall) for m in bases)}"


def warm_up(cli: str, jsonl: Path, yaml_dir: Path, work: Path) -> None:
    """One run of every command on a single case, so that no timed run pays for writing bytecode."""
    log("warm-up: one run of each command on one case")
    one = work / "one.jsonl"
    with jsonl.open("rb") as fh:
        one.write_bytes(fh.readline())
    one_dir = work / "one-yaml"
    one_dir.mkdir()
    first = min(yaml_dir.glob("*.yaml"))
    (one_dir / first.name).write_bytes(first.read_bytes())
    for tag, cmd in (
        ("rate-jsonl", _rate_cmd(cli, one)),
        ("rate-yaml", _rate_cmd(cli, one_dir)),
        ("parse-jsonl", [sys.executable, "-c", _PARSE_JSONL, str(one)]),
        ("load-yaml", [sys.executable, "-c", _LOAD_YAML, str(one_dir)]),
    ):
        m = Measure(cmd, work, f"warm-{tag}")
        if m.rc != 0:
            log(f"  warning: warm-up {tag} exited {m.rc}: {m.err_head()}")


def fig_rate_jsonl(cli: str, data: Path, n: int, repeat: int, work: Path) -> tuple[Row, list[Measure]]:
    log(f"figure 1: rate {n:,} cases from JSON Lines vs json.loads over the lines")
    warm(data)
    runs, bases = _timed_pair("jsonl", _rate_cmd(cli, data), [sys.executable, "-c", _PARSE_JSONL, str(data)], repeat, work)
    notes: list[str] = []
    _check_rate(runs[-1], n, notes)
    t, b = median([m.wall for m in runs]), median([m.wall for m in bases])
    notes.append(
        f"rate: {n / t:,.0f} cases/s ({t / n * 1e6:.0f} us/case); json.loads loop: {n / b:,.0f} lines/s "
        f"({b / n * 1e6:.0f} us/line); median of {repeat}: {_spread(runs, bases)}"
    )
    row = Row(f"1. rate {n:,} cases, JSON Lines", fmt_seconds(t), f"{fmt_seconds(b)} (json.loads loop)", t / b, 3.0, notes)
    return row, runs


def fig_rate_yaml(cli: str, data: Path, n: int, repeat: int, work: Path) -> Row:
    log(f"figure 2: rate {n:,} YAML case files vs yaml.load(CSafeLoader) over the files")
    warm(data)
    runs, bases = _timed_pair("yaml", _rate_cmd(cli, data), [sys.executable, "-c", _LOAD_YAML, str(data)], repeat, work)
    notes: list[str] = []
    _check_rate(runs[-1], n, notes)
    t, b = median([m.wall for m in runs]), median([m.wall for m in bases])
    notes.append(
        f"{n:,} files, fewer than figure 1 (one file per case); rate: {n / t:,.0f} files/s, "
        f"CSafeLoader loop: {n / b:,.0f} files/s; median of {repeat}: {_spread(runs, bases)}"
    )
    return Row(f"2. rate {n:,} cases, YAML files", fmt_seconds(t), f"{fmt_seconds(b)} (CSafeLoader loop)", t / b, 1.5, notes)


def fig_startup(cli: str, runs_n: int, work: Path) -> Row:
    log(f"figure 3: start-up, median of {runs_n} runs each after one warm-up run each")
    cmd = [cli, "frameworks", "--format", "json"]
    base = [sys.executable, "-c", "import click, yaml, attrs, cattrs, pluggy"]
    Measure(cmd, work, "startup-warm")
    Measure(base, work, "startup-base-warm")
    runs, bases = [], []
    for i in range(runs_n):
        bases.append(Measure(base, work, f"startup-base-{i}"))
        runs.append(Measure(cmd, work, f"startup-{i}"))
    notes = []
    if runs[-1].rc != 0:
        notes.append(f"WARNING: inspectkit frameworks exited {runs[-1].rc}: {runs[-1].err_head()}")
    t, b = median([m.wall for m in runs]), median([m.wall for m in bases])
    notes.append(
        f"min/max {fmt_seconds(min(m.wall for m in runs))}/{fmt_seconds(max(m.wall for m in runs))} vs "
        f"{fmt_seconds(min(m.wall for m in bases))}/{fmt_seconds(max(m.wall for m in bases))}; "
        f"peak memory {fmt_bytes(median([m.maxrss for m in runs]))} vs {fmt_bytes(median([m.maxrss for m in bases]))}"
    )
    return Row("3. start-up: frameworks --format json", fmt_seconds(t), f"{fmt_seconds(b)} (import deps)", t / b, 1.5, notes)


def fig_memory(cli: str, big_runs: list[Measure], big_n: int, small: Path, small_n: int, repeat: int, work: Path) -> Row:
    log(f"figure 4: peak memory rating {big_n:,} cases vs {small_n:,}")
    warm(small)
    small_runs = [Measure(_rate_cmd(cli, small), work, f"mem-small-{i}") for i in range(repeat)]
    notes: list[str] = []
    _check_rate(small_runs[-1], small_n, notes)
    big, sm = median([m.maxrss for m in big_runs]), median([m.maxrss for m in small_runs])
    notes.append(
        f"max RSS of the inspectkit process (getrusage RUSAGE_CHILDREN, a fresh wrapper per run; the {big_n:,}-case runs "
        f"are figure 1's), median of {len(big_runs)} and {repeat}; growth {fmt_bytes(big - sm)} over "
        f"{big_n - small_n:,} more cases = {(big - sm) / max(1, big_n - small_n):.0f} bytes/case"
    )
    return Row(
        f"4. peak memory, {big_n:,} vs {small_n:,} cases",
        fmt_bytes(big),
        f"{fmt_bytes(sm)} ({small_n:,} cases)",
        big / sm,
        1.2,
        notes,
    )


# ------------------------------------------------------------------------------------------ report


def print_table(rows: list[Row]) -> None:
    headers = ["figure", "measured", "baseline", "ratio", "target", "within target"]
    table = [[r.figure, r.measured, r.baseline, f"{r.ratio:.2f}x", f"<= {r.target:g}x", "yes" if r.ok else "NO"] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print()
    for r in rows:
        for note in r.notes:
            print(f"{r.figure.split('.')[0]}. {note}")


def machine() -> str:
    cpus = os.cpu_count()
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} core(s), Python {platform.python_version()}, inspectkit {inspectkit.__version__}"


def source_version() -> str:
    """The git commit inspectkit runs from (marked ``+changes`` when src/ or plugins/ differ from it), where known."""
    root = Path(inspectkit.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "-C", top.stdout.strip(), "status", "--porcelain", "--untracked-files=no", "--", "src", "plugins"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head.stdout.strip()}" + (" +changes" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    global CHILD_ENV
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick", action="store_true", help="smaller sizes: 10,000 JSON Lines cases, 500 YAML files, 5 start-up runs"
    )
    ap.add_argument("--cases", type=int, help="cases for figures 1 and 4 (default 100,000; --quick 10,000)")
    ap.add_argument("--yaml-cases", type=int, help="YAML case files for figure 2 (default 3,000; --quick 500)")
    ap.add_argument("--small-cases", type=int, help="the smaller run of figure 4 (default a tenth of --cases)")
    ap.add_argument("--repeat", type=int, help="timed runs per side for figures 1, 2 and 4 (median; default 3, --quick 2)")
    ap.add_argument("--startup-runs", type=int, help="runs per side for figure 3 (median; default 10, --quick 5)")
    ap.add_argument("--seed", type=int, default=2019, help="synthetic data seed (default 2019)")
    ap.add_argument("--regen", action="store_true", help="regenerate the cached synthetic data in bench/.data/")
    ap.add_argument(
        "--inherit-env", action="store_true", help="run the children in this environment unchanged (no bytecode cache set-up)"
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    args = ap.parse_args(argv)

    n = args.cases or (10_000 if args.quick else 100_000)
    yaml_n = args.yaml_cases or (500 if args.quick else 3_000)
    small_n = args.small_cases or max(1, n // 10)
    repeat = args.repeat or (2 if args.quick else 3)
    startup_runs = args.startup_runs or (5 if args.quick else 10)

    if args.inherit_env:
        CHILD_ENV = None
        env_note = "children inherit this environment" + (
            " (PYTHONDONTWRITEBYTECODE is set)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
        )
    else:
        CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
        env_note = "children cache bytecode in bench/.data/pycache"

    cli = find_inspectkit()
    # the Python API: make sure the edition is installed before spending minutes generating data
    try:
        registry = inspectkit.load_registry()
        fw = registry.framework(EDITION)
    except Exception as exc:  # noqa: BLE001 - any failure to load means the benchmark cannot run
        log(f"error: edition {EDITION} is not usable: {exc}")
        return 2
    log(f"inspectkit {inspectkit.__version__} at {cli}; {EDITION}: {len(fw.items)} items")

    big = jsonl_data(cli, n, args.seed, args.regen)
    small = jsonl_data(cli, small_n, args.seed, args.regen)
    yaml_dir = yaml_data(cli, yaml_n, args.seed, args.regen)

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="inspectkit-bench-") as tmp:
        work = Path(tmp)
        warm_up(cli, small, yaml_dir, work)
        row1, big_runs = fig_rate_jsonl(cli, big, n, repeat, work)
        rows.append(row1)
        rows.append(fig_rate_yaml(cli, yaml_dir, yaml_n, repeat, work))
        rows.append(fig_startup(cli, startup_runs, work))
        rows.append(fig_memory(cli, big_runs, n, small, small_n, repeat, work))

    print()
    custom = any(v is not None for v in (args.cases, args.yaml_cases, args.small_cases, args.repeat, args.startup_runs))
    sizes = "custom sizes" if custom else ("quick" if args.quick else "full")
    print(f"inspectkit benchmark ({sizes}): {machine()}, {source_version()}")
    print(f"edition {EDITION}, synthetic cases seed {args.seed}; times are wall-clock medians of whole processes; {env_note}")
    print()
    print_table(rows)
    missed = [r.figure for r in rows if not r.ok]
    print()
    print(f"{len(rows) - len(missed)}/{len(rows)} within target" + (f"; missed: {'; '.join(missed)}" if missed else ""))
    if sizes != "full":
        print(f"({sizes} sizes: start-up dominates and only the full sizes, python bench/run.py, measure the targets)")
    if args.json:
        result = {
            "machine": machine(),
            "source": source_version(),
            "quick": args.quick,
            "environment": env_note,
            "results": [r.to_dict() for r in rows],
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
