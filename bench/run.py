#!/usr/bin/env python3
"""inspectkit benchmark: each figure as a ratio against the fairest baseline measured in the same run.

    python bench/run.py            # full sizes (the first run generates the synthetic data: several minutes)
    python bench/run.py --quick    # small sizes: checks that the benchmark runs (CI), not the targets

Standard library and inspectkit only (pandas, where installed, adds the pandas-route figure). Every
figure runs the installed ``inspectkit`` command in a child process and every baseline is a child process
too, so both sides pay for an interpreter start-up. Each measurement is made by a fresh wrapper process
that starts the command, reads its CPU time (user + system, of the whole process tree) with
``resource.getrusage(RUSAGE_CHILDREN)``, and samples the resident memory of the whole process tree (the
command and any workers it starts) from ``/proc`` while it runs.

CPU time, not wall time, is the measure where one process does the work: the machine may be shared, and
CPU time is what the work costs. Wall time is the measure for the run with workers (their point is to
finish sooner); it means something only on an otherwise idle machine. Measured and baseline runs
alternate, and each figure is the median of its runs.

The script reports; it does not assert: it exits 0 whether or not a target is met (2 only when the
benchmark itself cannot run, e.g. inspectkit or the edition is not installed).

Generated cases are cached under ``bench/.data/`` (keyed on edition, size, seed and inspectkit's
version), so reruns are fast; ``--regen`` rebuilds them. Children cache their bytecode under
``bench/.data/pycache`` (``PYTHONPYCACHEPREFIX``, with any ``PYTHONDONTWRITEBYTECODE`` dropped), as an
installed package has its ``.pyc`` files; a warm-up run of each command fills that cache first.
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
BAD_KEY = "ZZ_NOT_A_QUESTION"  # added to every case of the "with errors" data: one error per case

# Run inside a fresh wrapper process per measurement, so that RUSAGE_CHILDREN sees exactly one command
# (and the workers it waits for). The tree's memory is sampled from /proc where there is one.
_WRAPPER = r"""
import json, os, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])

def tree_rss(root):
    # resident memory of a process and all its descendants, in bytes (Linux /proc)
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            pass
    return total

sampling = os.path.exists("/proc/self/task")
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    t0 = time.perf_counter()
    proc = subprocess.Popen(spec["cmd"], stdout=out, stderr=err, env=spec.get("env"))
    peak = 0
    while proc.poll() is None:
        if sampling:
            peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.02)
    rc = proc.returncode
    wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
print(json.dumps({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss * scale,
                  "tree": peak if sampling else None}))
"""

# The least any reader of a JSON Lines file must do: orjson (what rate uses) over every line, streamed.
_PARSE_JSONL = r"""
import sys
from orjson import loads
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

# What an analyst would do with pandas: read the answers as a tidy CSV (case, in sample, question, answer)
# and compute each item's percentage. It applies no rule: the sample is given, and an item's
# denominator is its answers that are not n/a, which for this edition's items gives rate's numbers.
_PANDAS = r"""
import json, sys
import pandas as pd
spec = json.loads(open(sys.argv[2]).read())
df = pd.read_csv(sys.argv[1], dtype={"case_id": str, "in_sample": "int8", "question": str, "value": str})
df = df[(df["in_sample"] == 1) & df["question"].isin(spec["items"])]
df = df[df["value"] != "n/a"]
df["ok"] = df["value"].isin(spec["sufficient"])
g = df.groupby("question")["ok"].agg(["sum", "count"])
out = {q: [int(r["sum"]), int(r["count"]), round(100 * r["sum"] / r["count"], 1)] for q, r in g.iterrows()}
print(json.dumps(out))
"""

# Run a command in-process and list the modules it imported (beyond the interpreter's own start-up).
_IMPORTS = r"""
import json, sys
before = set(sys.modules)
out, argv = sys.argv[1], sys.argv[2:]
sys.argv = ["inspectkit", *argv]
try:
    from inspectkit.cli import main
    main()
except SystemExit:
    pass
finally:
    mods = sorted(m for m in set(sys.modules) - before if sys.modules.get(m) is not None)
    files = {m: getattr(sys.modules[m], "__file__", None) for m in mods}
    with open(out, "w") as fh:
        json.dump(files, fh)
"""

_IMPORT_LIST = r"""
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
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
    """One child process: wall and CPU seconds, peak memory (largest process, whole tree), exit code, output."""

    def __init__(self, cmd: list[str], workdir: Path, tag: str, env: dict[str, str] | None = None):
        self.cmd = cmd
        self.stdout = workdir / f"{tag}.out"
        self.stderr = workdir / f"{tag}.err"
        child_env = dict(CHILD_ENV if CHILD_ENV is not None else os.environ)
        child_env.update(env or {})
        spec = json.dumps({"cmd": cmd, "stdout": str(self.stdout), "stderr": str(self.stderr), "env": child_env})
        res = subprocess.run([sys.executable, "-c", _WRAPPER, spec], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            log(res.stderr)
            raise RuntimeError(f"the measuring wrapper failed for {cmd}")
        data = json.loads(res.stdout)
        self.rc: int = data["rc"]
        self.wall: float = data["wall"]
        self.cpu: float = data["cpu"]
        self.maxrss: int = data["maxrss"]
        # the whole tree's sampled peak; never below the largest single process, which getrusage sees exactly
        self.tree: int = max(data["tree"] or 0, self.maxrss)

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


_DEFINITION = ""  # a digest of the edition's definition, set in main(): data made for another one is stale


def _key(n: int, seed: int) -> str:
    return f"{EDITION}-v{inspectkit.__version__}-d{_DEFINITION}-n{n}-s{seed}"


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _publish(final: Path, make) -> Path:
    """Build a data file aside (``make(tmp_path)``), then move it into place: a half-made file is never reused."""
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=DATA))
    try:
        out = tmpdir / final.name
        make(out)
        if final.is_dir():
            shutil.rmtree(final)
        os.replace(out, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return final


def jsonl_data(cli: str, n: int, seed: int, regen: bool) -> Path:
    """``n`` synthetic cases in one JSON Lines file (``inspectkit synth``)."""
    DATA.mkdir(parents=True, exist_ok=True)
    final = DATA / f"{_key(n, seed)}.jsonl"
    if final.exists() and not regen and _count_lines(final) == n:
        return final
    log(f"generating {n:,} synthetic {EDITION} cases (JSON Lines, seed {seed}) ...")
    t0 = time.perf_counter()
    _publish(
        final,
        lambda out: subprocess.run(
            [cli, "synth", "--edition", EDITION, "-n", str(n), "--seed", str(seed), "-o", str(out)], check=True
        ),
    )
    log(f"  done in {time.perf_counter() - t0:.1f} s")
    return final


def derived_data(source: Path, name: str, n: int, errors: bool, regen: bool) -> Path:
    """``n`` cases from ``source``'s: its first ``n``, or it repeated with new case ids until there are ``n``.

    ``errors``: every case also answers a question the edition does not have (one error each), so that
    every case is reported and left out: what memory keeps per failing case shows.
    """
    import orjson

    final = DATA / name
    if final.exists() and not regen and _count_lines(final) == n:
        return final
    log(f"writing {n:,} cases{' with errors' if errors else ''} -> {final.name} ...")

    def make(out: Path) -> None:
        written, rep = 0, 0
        with out.open("wb") as dst:
            while written < n:
                with source.open("rb") as src:
                    for line in src:
                        if written >= n:
                            break
                        if rep or errors:
                            doc = orjson.loads(line)
                            if rep:
                                doc["case_id"] = f"{doc['case_id']}-r{rep}"
                            if errors:
                                doc["answers"][BAD_KEY] = "yes"
                            line = orjson.dumps(doc) + b"\n"
                        dst.write(line)
                        written += 1
                rep += 1

    return _publish(final, make)


def yaml_data(cli: str, n: int, seed: int, regen: bool) -> Path:
    """``n`` synthetic cases, one YAML file each, in a folder."""
    DATA.mkdir(parents=True, exist_ok=True)
    final = DATA / f"{_key(n, seed)}-yaml"
    if final.is_dir() and not regen and sum(1 for _ in final.glob("*.yaml")) == n:
        return final
    log(f"generating {n:,} synthetic {EDITION} cases (one YAML file each, seed {seed}) ...")
    _publish(
        final,
        lambda out: subprocess.run(
            [cli, "synth", "--edition", EDITION, "-n", str(n), "--seed", str(seed), "-o", str(out)], check=True
        ),
    )
    return final


# ------------------------------------------------------------------------------------------ figures


class Row:
    def __init__(self, figure: str, measured: str, baseline: str, ratio: float | None, target: float, notes: list[str]):
        self.figure = figure
        self.measured = measured
        self.baseline = baseline
        self.ratio = ratio
        self.target = target
        self.notes = notes

    @property
    def ok(self) -> bool | None:
        return None if self.ratio is None else self.ratio <= self.target

    def to_dict(self) -> dict:
        return {
            "figure": self.figure,
            "measured": self.measured,
            "baseline": self.baseline,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
            "within_target": self.ok,
            "notes": self.notes,
        }


def _rate_cmd(cli: str, path: Path, jobs: int | None = None) -> list[str]:
    cmd = [cli, "rate", "--edition", EDITION, "--format", "json", str(path)]
    return cmd + (["--jobs", str(jobs)] if jobs is not None else [])


def _check_rate(m: Measure, expected: int, notes: list[str], errors_expected: bool = False) -> dict | None:
    """Make sure the run rated what it was given (so that a fast failure cannot pass for a fast run)."""
    if m.rc not in (0, 1) or (m.rc == 1 and not errors_expected):
        notes.append(f"WARNING: inspectkit rate exited {m.rc}: {m.err_head()}")
    try:
        report = json.loads(m.stdout.read_text(encoding="utf-8"))
        counted, left_out, errors = report["cases"], len(report["excluded"]), len(report["errors"])
    except (OSError, ValueError, KeyError, TypeError):
        notes.append("WARNING: inspectkit rate did not write a readable JSON report")
        return None
    if counted + left_out != expected or (errors and not errors_expected) or (errors_expected and errors < expected):
        notes.append(
            f"WARNING: the report counted {counted:,} and left out {left_out:,} ({errors:,} errors); expected {expected:,} in all"
        )
    return report


def _pairs(label: str, cmd: list[str], base_cmd: list[str], repeat: int, work: Path, env: dict | None = None):
    """Alternate baseline and measured runs, so that drift in the machine's load hits both sides alike."""
    runs: list[Measure] = []
    bases: list[Measure] = []
    for i in range(repeat):
        log(f"  {label}: run {i + 1}/{repeat} ...")
        bases.append(Measure(base_cmd, work, f"{label}-base-{i}"))
        runs.append(Measure(cmd, work, f"{label}-run-{i}", env))
    return runs, bases


def _spread(values: list[float]) -> str:
    return "/".join(fmt_seconds(v) for v in values)


def warm_up(cli: str, jsonl: Path, yaml_dir: Path, work: Path) -> Path:
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
        ("assess", [cli, "assess", "--format", "json", str(one_dir / first.name)]),
        ("parse-jsonl", [sys.executable, "-c", _PARSE_JSONL, str(one)]),
        ("load-yaml", [sys.executable, "-c", _LOAD_YAML, str(one_dir)]),
    ):
        m = Measure(cmd, work, f"warm-{tag}")
        if m.rc != 0:
            log(f"  warning: warm-up {tag} exited {m.rc}: {m.err_head()}")
    return one_dir / first.name


def fig_rate_one(cli: str, data: Path, n: int, repeat: int, work: Path) -> tuple[Row, dict | None, float]:
    log(f"rate {n:,} cases in one process vs an orjson loop over the same lines (CPU time)")
    warm(data)
    runs, bases = _pairs("one", _rate_cmd(cli, data, jobs=1), [sys.executable, "-c", _PARSE_JSONL, str(data)], repeat, work)
    notes: list[str] = []
    report = _check_rate(runs[-1], n, notes)
    t, b = median([m.cpu for m in runs]), median([m.cpu for m in bases])
    if report:
        notes.append(
            f"the report counted {report['cases']:,} cases and left {len(report['excluded']):,} out of the sample (by the edition's rule)"
        )
    notes.append(
        f"rate --jobs 1: {t / n * 1e6:.0f} us/case of CPU; orjson loop: {b / n * 1e6:.1f} us/line; "
        f"CPU runs {_spread([m.cpu for m in runs])} vs {_spread([m.cpu for m in bases])}; "
        f"wall {fmt_seconds(median([m.wall for m in runs]))} vs {fmt_seconds(median([m.wall for m in bases]))}"
    )
    row = Row(f"rate {n:,} cases, one process", fmt_seconds(t), f"{fmt_seconds(b)} (orjson loop)", t / b, 5.0, notes)
    return row, report, t


def fig_rate_workers(cli: str, data: Path, n: int, repeat: int, work: Path) -> Row:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    log(f"rate {n:,} cases with workers (as rate chooses: {cpus} CPU(s) available) vs the orjson loop (wall time)")
    runs, bases = _pairs("workers", _rate_cmd(cli, data), [sys.executable, "-c", _PARSE_JSONL, str(data)], repeat, work)
    notes: list[str] = []
    _check_rate(runs[-1], n, notes)
    t, b = median([m.wall for m in runs]), median([m.wall for m in bases])
    notes.append(
        f"wall runs {_spread([m.wall for m in runs])} vs {_spread([m.wall for m in bases])}; CPU of the whole tree "
        f"{fmt_seconds(median([m.cpu for m in runs]))}; {cpus} CPU(s) available to this process; wall time means "
        "something only on an idle machine"
    )
    return Row(f"rate {n:,} cases, workers (wall)", fmt_seconds(t), f"{fmt_seconds(b)} (orjson loop)", t / b, 3.0, notes)


def pandas_data(source: Path, report: dict, work: Path) -> tuple[Path, Path]:
    """The same answers as a tidy CSV (one row per case and question), and the items to compute."""
    import csv

    import orjson

    fw = inspectkit.load_registry().framework(EDITION)
    left_out = {e["case_id"] for e in report["excluded"]}
    items = [i for i in report["items"] if i in fw.items and fw.items[i].per_case]
    csv_path = work / "answers.csv"
    with source.open("rb") as src, csv_path.open("w", newline="", encoding="utf-8") as dst:
        w = csv.writer(dst)
        w.writerow(["case_id", "in_sample", "question", "value"])
        for line in src:
            doc = orjson.loads(line)
            cid = doc["case_id"]
            keep = 0 if cid in left_out else 1
            for q, v in doc["answers"].items():
                if isinstance(v, list):
                    v = "|".join(map(str, v))
                elif isinstance(v, dict):
                    v = json.dumps(v)
                w.writerow([cid, keep, q, v])
    spec = work / "pandas-spec.json"
    spec.write_text(json.dumps({"items": items, "sufficient": sorted(fw.scoring.sufficient)}), encoding="utf-8")
    return csv_path, spec


def fig_pandas(cli: str, data: Path, n: int, repeat: int, work: Path, report: dict | None, rate_cpu: float) -> Row | None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        log("pandas route: pandas is not installed; figure skipped")
        return None
    if report is None:
        return None
    log("the pandas route: read_csv of the same answers (tidy CSV) and the same percentages (CPU time)")
    csv_path, spec = pandas_data(data, report, work)
    bases = [Measure([sys.executable, "-c", _PANDAS, str(csv_path), str(spec)], work, f"pandas-{i}") for i in range(repeat)]
    notes: list[str] = []
    b = median([m.cpu for m in bases])
    try:
        got = json.loads(bases[-1].stdout.read_text(encoding="utf-8"))
        same = sum(
            1
            for q, (num, den, _) in got.items()
            if report["items"][q]["numerator"] == num and report["items"][q]["denominator"] == den
        )
        notes.append(f"the pandas route gives the same numerator and denominator as rate for {same} of {len(got)} items")
    except (OSError, ValueError, KeyError) as exc:
        notes.append(f"WARNING: the pandas route's output could not be read: {exc}")
    notes.append(
        f"pandas CPU runs {_spread([m.cpu for m in bases])}; the CSV is {csv_path.stat().st_size / 1e6:.0f} MB, "
        f"against {data.stat().st_size / 1e6:.0f} MB of JSON Lines; pandas applies no rule (the sample is given)"
    )
    return Row(
        f"rate {n:,} cases vs the pandas route", fmt_seconds(rate_cpu), f"{fmt_seconds(b)} (pandas)", rate_cpu / b, 1.0, notes
    )


def fig_rate_yaml(cli: str, data: Path, n: int, repeat: int, work: Path) -> Row:
    log(f"rate {n:,} YAML case files vs yaml.load(CSafeLoader) over the files (CPU time)")
    warm(data)
    runs, bases = _pairs("yaml", _rate_cmd(cli, data, jobs=1), [sys.executable, "-c", _LOAD_YAML, str(data)], repeat, work)
    notes: list[str] = []
    _check_rate(runs[-1], n, notes)
    t, b = median([m.cpu for m in runs]), median([m.cpu for m in bases])
    notes.append(f"one process; CPU runs {_spread([m.cpu for m in runs])} vs {_spread([m.cpu for m in bases])}")
    return Row(f"rate {n:,} YAML case files", fmt_seconds(t), f"{fmt_seconds(b)} (CSafeLoader loop)", t / b, 1.5, notes)


def imports_of(args: list[str], work: Path, tag: str, env: dict | None = None) -> Path:
    """The modules a command imports (inspectkit's own and its plugins' left out), as a file for the baseline."""
    out = work / f"imports-{tag}.json"
    Measure([sys.executable, "-c", _IMPORTS, str(out), *args], work, f"imports-{tag}", env)
    files = json.loads(out.read_text(encoding="utf-8"))
    ours = [str(Path(inspectkit.__file__).resolve().parent), str(HERE.parent / "plugins")]
    names = [m for m, f in files.items() if not (f and any(str(Path(f).resolve()).startswith(o) for o in ours))]
    names = [m for m in names if not m.startswith("inspectkit") and m != "__main__"]
    lst = work / f"imports-{tag}-list.json"
    lst.write_text(json.dumps(sorted(names)), encoding="utf-8")
    return lst


def fig_startup(cli: str, label: str, args: list[str], runs_n: int, work: Path, target: float, env: dict | None = None) -> Row:
    """A command against importing exactly the modules it imports (medians; CPU time)."""
    log(f"start-up: inspectkit {' '.join(args[:1])} vs importing what it imports, {runs_n} runs each")
    lst = imports_of(args, work, label, env)
    n_mods = len(json.loads(lst.read_text(encoding="utf-8")))
    cmd = [cli, *args]
    base = [sys.executable, "-c", _IMPORT_LIST, str(lst)]
    Measure(cmd, work, f"{label}-warm", env)
    Measure(base, work, f"{label}-base-warm")
    runs, bases = _pairs(label, cmd, base, runs_n, work, env)
    notes = []
    if runs[-1].rc not in (0, 1):
        notes.append(f"WARNING: inspectkit {args[0]} exited {runs[-1].rc}: {runs[-1].err_head()}")
    t, b = median([m.cpu for m in runs]), median([m.cpu for m in bases])
    own = median([r.cpu - m.cpu for r, m in zip(runs, bases, strict=True)])
    notes.append(
        f"inspectkit's own cost (the command less its imports, median of the paired differences): {fmt_seconds(own)}; "
        "dropping a dependency lowers both sides, so read this beside the ratio"
    )
    notes.append(
        f"baseline imports the {n_mods} modules the command imports, less inspectkit's and its plugins'; "
        f"wall {fmt_seconds(median([m.wall for m in runs]))} vs {fmt_seconds(median([m.wall for m in bases]))}; "
        f"CPU min/max {fmt_seconds(min(m.cpu for m in runs))}/{fmt_seconds(max(m.cpu for m in runs))} vs "
        f"{fmt_seconds(min(m.cpu for m in bases))}/{fmt_seconds(max(m.cpu for m in bases))}"
    )
    return Row(f"start-up: {label}", fmt_seconds(t), f"{fmt_seconds(b)} (its imports)", t / b, target, notes)


def fig_assess_cold(cli: str, case: Path, runs_n: int, work: Path, limit: float = 0.5) -> Row:
    """``assess`` with an empty cache: everything it needs read and built from the plugins' files."""
    log(f"start-up: assess with an empty cache, {runs_n} runs")
    cmd = [cli, "assess", "--format", "json", str(case)]
    runs = []
    for i in range(runs_n):
        cache = Path(tempfile.mkdtemp(prefix="cold-cache-", dir=work))
        runs.append(Measure(cmd, work, f"cold-{i}", {"INSPECTKIT_CACHE_DIR": str(cache)}))
    t = median([m.wall for m in runs])
    notes = [
        f"wall runs {_spread([m.wall for m in runs])}; CPU {fmt_seconds(median([m.cpu for m in runs]))}; a fresh, empty "
        f"INSPECTKIT_CACHE_DIR each run; the target is absolute: under {fmt_seconds(limit)}"
    ]
    if runs[-1].rc not in (0, 1):
        notes.append(f"WARNING: assess exited {runs[-1].rc}: {runs[-1].err_head()}")
    return Row("start-up: assess, empty cache", fmt_seconds(t), f"{fmt_seconds(limit)} (absolute target)", t / limit, 1.0, notes)


def fig_memory(cli: str, label: str, big: Path, big_n: int, small: Path, small_n: int, work: Path, errors: bool) -> Row:
    log(f"peak memory of the process tree, {big_n:,} vs {small_n:,} cases{' with errors' if errors else ''}")
    warm(small)
    # both runs with the workers rate picks for a big input, so that the two compare like with like
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    small_m = Measure(_rate_cmd(cli, small, jobs), work, f"mem-{label}-small")
    big_m = Measure(_rate_cmd(cli, big, jobs), work, f"mem-{label}-big")
    notes: list[str] = []
    _check_rate(small_m, small_n, notes, errors_expected=errors)
    _check_rate(big_m, big_n, notes, errors_expected=errors)
    notes.append(
        f"peak resident memory of rate and its workers together (sampled every 20 ms), both with --jobs {jobs}; "
        f"largest single process {fmt_bytes(big_m.maxrss)} vs {fmt_bytes(small_m.maxrss)}; growth "
        f"{(big_m.tree - small_m.tree) / max(1, big_n - small_n):.1f} bytes/case; wall {fmt_seconds(big_m.wall)} vs {fmt_seconds(small_m.wall)}"
    )
    what = "every case with an error" if errors else "clean"
    return Row(
        f"memory, {big_n:,} vs {small_n:,} cases, {what}",
        fmt_bytes(big_m.tree),
        f"{fmt_bytes(small_m.tree)} ({small_n:,} cases)",
        big_m.tree / small_m.tree,
        1.2,
        notes,
    )


# ------------------------------------------------------------------------------------------ report


def print_table(rows: list[Row]) -> None:
    headers = ["#", "figure", "measured", "baseline", "ratio", "target", "within target"]
    table = [
        [
            str(i),
            r.figure,
            r.measured,
            r.baseline,
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            f"<= {r.target:g}x",
            {True: "yes", False: "NO", None: "-"}[r.ok],
        ]
        for i, r in enumerate(rows, start=1)
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print()
    for i, r in enumerate(rows, start=1):
        for note in r.notes:
            print(f"{i}. {note}")


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpus} CPU(s) available, Python {platform.python_version()}, inspectkit {inspectkit.__version__}"


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
    global CHILD_ENV, _DEFINITION
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, fewer runs: checks that the benchmark runs (CI)")
    ap.add_argument("--cases", type=int, help="cases for the rate figures (default 100,000; --quick 2,000)")
    ap.add_argument("--yaml-cases", type=int, help="YAML case files (default 3,000; --quick 100)")
    ap.add_argument("--small-cases", type=int, help="the smaller memory run (default 10,000; --quick 200)")
    ap.add_argument("--large-cases", type=int, help="the larger memory run (default 1,000,000; --quick 4,000)")
    ap.add_argument("--repeat", type=int, help="timed runs per side for the rate figures (median; default 3, --quick 1)")
    ap.add_argument("--startup-runs", type=int, help="runs per side for start-up (median; default 10, --quick 3)")
    ap.add_argument("--seed", type=int, default=2019, help="synthetic data seed (default 2019)")
    ap.add_argument("--regen", action="store_true", help="regenerate the cached synthetic data in bench/.data/")
    ap.add_argument("--no-memory", action="store_true", help="leave out the memory figures (the longest runs)")
    ap.add_argument(
        "--inherit-env", action="store_true", help="run the children in this environment unchanged (no bytecode cache set-up)"
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    args = ap.parse_args(argv)

    q = args.quick
    n = args.cases or (2_000 if q else 100_000)
    yaml_n = args.yaml_cases or (100 if q else 3_000)
    small_n = args.small_cases or (200 if q else 10_000)
    large_n = args.large_cases or (4_000 if q else 1_000_000)
    repeat = args.repeat or (1 if q else 3)
    startup_runs = args.startup_runs or (3 if q else 10)

    if args.inherit_env:
        CHILD_ENV = None
        env_note = "children inherit this environment"
    else:
        CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
        CHILD_ENV["INSPECTKIT_CACHE_DIR"] = str(DATA / "cache")  # the warm definition cache of a user who ran it before
        env_note = "children cache bytecode in bench/.data/pycache and definitions in bench/.data/cache"

    cli = find_inspectkit()
    try:
        registry = inspectkit.load_registry()
        fw = registry.framework(EDITION)
    except Exception as exc:  # noqa: BLE001 - any failure to load means the benchmark cannot run
        log(f"error: edition {EDITION} is not usable: {exc}")
        return 2
    log(f"inspectkit {inspectkit.__version__} at {cli}; {EDITION}: {len(fw.items)} items")
    import hashlib

    _DEFINITION = hashlib.sha256(Path(fw.path).read_bytes()).hexdigest()[:8]  # a changed edition: new data

    base_n = min(n, 100_000)
    base = jsonl_data(cli, base_n, args.seed, args.regen)
    data = base if n == base_n else derived_data(base, f"{_key(n, args.seed)}-x.jsonl", n, False, args.regen)
    yaml_dir = yaml_data(cli, yaml_n, args.seed, args.regen)
    if not args.no_memory:
        small = derived_data(base, f"{_key(small_n, args.seed)}-first.jsonl", small_n, False, args.regen)
        large = derived_data(base, f"{_key(large_n, args.seed)}-x.jsonl", large_n, False, args.regen)
        small_bad = derived_data(base, f"{_key(small_n, args.seed)}-errors.jsonl", small_n, True, args.regen)
        large_bad = derived_data(base, f"{_key(large_n, args.seed)}-errors.jsonl", large_n, True, args.regen)

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="inspectkit-bench-") as tmp:
        work = Path(tmp)
        case = warm_up(cli, data, yaml_dir, work)
        row, report, rate_cpu = fig_rate_one(cli, data, n, repeat, work)
        rows.append(row)
        rows.append(fig_rate_workers(cli, data, n, repeat, work))
        pandas_row = fig_pandas(cli, data, n, repeat, work, report, rate_cpu)
        if pandas_row is not None:
            rows.append(pandas_row)
        rows.append(fig_rate_yaml(cli, yaml_dir, yaml_n, repeat, work))
        rows.append(fig_startup(cli, "assess one YAML case", ["assess", "--format", "json", str(case)], startup_runs, work, 1.3))
        rows.append(fig_assess_cold(cli, case, startup_runs, work))
        rows.append(fig_startup(cli, "frameworks", ["frameworks", "--format", "json"], startup_runs, work, 1.5))
        if not args.no_memory:
            rows.append(fig_memory(cli, "clean", large, large_n, small, small_n, work, errors=False))
            rows.append(fig_memory(cli, "errors", large_bad, large_n, small_bad, small_n, work, errors=True))

    print()
    custom = any(
        v is not None for v in (args.cases, args.yaml_cases, args.small_cases, args.large_cases, args.repeat, args.startup_runs)
    )
    sizes = "custom sizes" if custom else ("quick" if q else "full")
    print(f"inspectkit benchmark ({sizes}): {machine()}, {source_version()}")
    print(f"edition {EDITION}, synthetic cases seed {args.seed}; medians; {env_note}")
    print()
    print_table(rows)
    judged = [r for r in rows if r.ok is not None]
    missed = [r.figure for r in judged if not r.ok]
    print()
    print(f"{len(judged) - len(missed)}/{len(judged)} within target" + (f"; missed: {'; '.join(missed)}" if missed else ""))
    if sizes != "full":
        print(f"({sizes} sizes: start-up dominates and only the full sizes, python bench/run.py, measure the targets)")
    if args.json:
        result = {
            "machine": machine(),
            "source": source_version(),
            "sizes": sizes,
            "environment": env_note,
            "results": [r.to_dict() for r in rows],
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
