"""Rating with worker processes gives exactly the report of rating in one process."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from inspectkit import aggregate
from inspectkit.synth import iter_synthetic

EDITION = "carag_2019"  # an installed edition big enough for a run that lasts a few seconds
pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="workers are forked")


@pytest.fixture
def mixed_cases(tmp_path: Path, registry) -> list[Path]:
    engine = registry.engine("tiny_2024")
    lines = [json.dumps(c) for c in iter_synthetic(engine, 1300, seed=7)]
    lines.insert(5, lines[2])  # a duplicate case id
    lines.insert(600, '{"not json')  # an unreadable line
    lines.insert(900, json.dumps({"schema": 1, "edition": "tiny_2024", "case_id": "BAD", "answers": {"risk": "severe"}}))
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "one.json").write_text(lines[10], encoding="utf-8")  # the same case again, as a file
    (folder / "two.yaml").write_text("schema: 1\ncase_id: Y1\nanswers:\n  risk: low\n", encoding="utf-8")
    return [first, folder]


def test_workers_give_the_same_report_as_one_process(registry, mixed_cases: list[Path]) -> None:
    one = aggregate.rate_paths(registry, "tiny_2024", mixed_cases, jobs=1).to_dict()
    two = aggregate.rate_paths(registry, "tiny_2024", mixed_cases, jobs=2).to_dict()
    assert one == two
    assert one["cases"] > 1000
    reasons = " ".join(e["message"] for e in one["errors"])
    assert "used by an earlier case" in reasons and "not valid JSON" in reasons and "severe" in reasons


def test_small_inputs_stay_in_one_process(tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text("{}\n" * 10, encoding="utf-8")
    assert aggregate.default_jobs([path]) == 1


def test_workers_are_counted_from_the_cpus_this_process_may_use(tmp_path: Path, monkeypatch) -> None:
    import os

    big = tmp_path / "big.jsonl"
    with big.open("wb") as fh:
        fh.truncate(9 * 1024 * 1024)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        monkeypatch.setattr(os, "cpu_count", lambda: 64)
        assert aggregate.default_jobs([big]) == 1
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
        assert aggregate.default_jobs([big]) == 3


def test_shares_of_a_file_start_at_lines_and_know_their_line_numbers(tmp_path: Path) -> None:
    from inspectkit.loading import line_starts, raw_lines

    path = tmp_path / "cases.jsonl"
    text = "".join(f'{{"case_id": "{i}"}}\n' if i % 7 else "\n" for i in range(1, 400)) + '{"case_id": "last"}'
    path.write_text(text, encoding="utf-8")
    shares = line_starts(path, 9, smallest=100)
    assert len(shares) > 5 and shares[0][0] == 0 and shares[-1][1] == path.stat().st_size
    assert all(a[1] == b[0] for a, b in zip(shares, shares[1:], strict=False))  # no gap, no overlap
    assert [line for share in shares for line in raw_lines(path, *share)] == list(raw_lines(path))


def test_workers_refuse_a_missing_file_as_one_process_does(registry, mixed_cases: list[Path], tmp_path: Path) -> None:
    from inspectkit.errors import UsageError

    for jobs in (1, 2):
        with pytest.raises(UsageError, match="no such file"):
            aggregate.rate_paths(registry, "tiny_2024", [*mixed_cases, tmp_path / "gone.jsonl"], jobs=jobs)


def _stop_when_started(command: list[str], tmp: Path, started: Any) -> tuple[Any, bytes]:
    """Run a command in a process group of its own, send it SIGTERM once ``started()``, and return the ended
    process and its stderr; whatever of the group is left is killed, so a leak fails the test, not hangs it."""
    import os
    import signal
    import subprocess
    import time

    env = dict(os.environ, TMPDIR=str(tmp), INSPECTKIT_START_METHOD="fork")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not started() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is not None:
            pytest.skip("the run ended before it could be stopped (a very fast machine)")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)  # ends only when no worker holds stderr open any more
        return proc, err
    finally:
        # a worker that has closed stderr may still be ending, or waiting to be reaped, on a loaded machine:
        # it has a few seconds to be gone before it counts as having outlived the command
        grace = time.monotonic() + (10 if proc.returncode is not None else 0)
        while True:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:  # the whole group has ended
                left = False
                break
            if time.monotonic() >= grace:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                    left = True
                except ProcessLookupError:  # gone just now
                    left = False
                break
            time.sleep(0.05)
        proc.stderr.close()  # type: ignore[union-attr]
        assert not left or proc.returncode is None, "a worker outlived the command it worked for"


@pytest.fixture
def long_run(tmp_path: Path) -> Path:
    from inspectkit.plugins import load_registry

    if EDITION not in load_registry().editions():
        pytest.skip(f"the {EDITION} edition is not installed")
    cases = tmp_path / "cases.jsonl"
    with cases.open("w") as fh:
        for case in iter_synthetic(load_registry().engine(EDITION), 20000, seed=5):
            fh.write(json.dumps(case) + "\n")
    return cases


def test_a_terminated_run_stops_its_workers_and_leaves_no_files(tmp_path: Path, long_run: Path) -> None:
    """``kill`` (SIGTERM) on a long run with workers ends it as Ctrl-C does: nothing left in the temporary folder."""
    import signal
    import sys

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    command = [sys.executable, "-m", "inspectkit", "rate", "--edition", EDITION, "--jobs", "2", "--format", "json"]
    proc, err = _stop_when_started([*command, str(long_run)], tmp, lambda: any(tmp.glob("inspectkit-rate-*")))
    assert proc.returncode == 128 + signal.SIGTERM
    assert b"Traceback" not in err and b"terminated" in err
    assert list(tmp.iterdir()) == []


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="POSIX only: a process is asked after with signal 0")
def test_a_run_with_workers_removes_what_a_killed_run_left(
    registry, mixed_cases: list[Path], tmp_path: Path, monkeypatch
) -> None:
    """``kill -9`` gives a run no chance to remove its folder: a later run removes it once it has not changed for
    an hour, and leaves alone the folder of a run still going, a newer one, and anything else."""
    import os
    import subprocess
    import sys
    import tempfile
    import time

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    going = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        killed = tmp / f"inspectkit-rate-{gone.pid}-x1y2"
        killed.mkdir()
        (killed / "share-3.warnings").write_bytes(b"x" * 4096)
        running = tmp / f"inspectkit-rate-{going.pid}-a1b2"
        running.mkdir()
        other = tmp / "inspectkit-rate-notes"
        other.mkdir()
        hour_ago = time.time() - 3700
        for folder in (killed, running, other):
            os.utime(folder, (hour_ago, hour_ago))
        recent = tmp / f"inspectkit-rate-{gone.pid}-r3c3"  # as a run in another PID namespace could look
        recent.mkdir()
        report = aggregate.rate_paths(registry, "tiny_2024", mixed_cases, jobs=2, method="fork")
    finally:
        going.kill()
        going.wait()
    assert report.cases > 1000
    assert not killed.exists()
    assert running.exists() and other.exists() and recent.exists()
    assert not [p for p in tmp.iterdir() if p.name.startswith(f"inspectkit-rate-{os.getpid()}-")]  # its own, removed


def test_a_terminated_export_leaves_no_half_written_file_and_no_worker(tmp_path: Path, long_run: Path) -> None:
    """``kill`` on an export with workers: exit 143, the output's temporary file removed, no traceback."""
    import signal
    import sys

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    target = out / "rows.csv"
    command = [sys.executable, "-m", "inspectkit", "export", "--edition", EDITION, "--jobs", "2", "--shape", "long"]
    command += ["--format", "csv", str(long_run), "-o", str(target)]
    proc, err = _stop_when_started(command, tmp, lambda: any(out.iterdir()))
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err and b"terminated" in err
    assert list(out.iterdir()) == []  # neither the half-written temporary file nor a partial rows.csv


def test_a_stop_while_workers_start_waits_until_the_pool_knows_them(tmp_path: Path) -> None:
    """SIGTERM held while a pool starts is delivered once it has started, and reaches workers born holding it."""
    import subprocess
    import sys

    script = tmp_path / "held.py"
    script.write_text(
        """
import multiprocessing, os, signal, sys, time
from inspectkit.stopping import Terminated, exit_on_terminate, in_worker, terminate_held

def pid(_):
    return os.getpid(), signal.pthread_sigmask(signal.SIG_BLOCK, set())

exit_on_terminate()
try:
    with terminate_held():
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while held: nothing happens yet
        pool = multiprocessing.get_context("fork").Pool(2, initializer=in_worker)
        print("still running", flush=True)
except Terminated as exc:
    workers = pool.map(pid, range(4))
    assert all(signal.SIGTERM not in mask for _, mask in workers), workers
    pool.terminate()
    pool.join()
    print("stopped", exc.code, flush=True)
""",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == ["still running", "stopped 143"], done.stderr


def test_a_stop_that_python_drops_in_a_finaliser_is_still_known(tmp_path: Path) -> None:
    """Python drops an exception raised while an object is finalised; the command still learns it was stopped."""
    import subprocess
    import sys

    script = tmp_path / "dropped.py"
    script.write_text(
        """
import os, signal
from inspectkit import stopping

class Closing:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, inside the finaliser

stopping.exit_on_terminate()
Closing()
print("went on", stopping.requested, flush=True)
""",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "went on True", done.stderr


def test_ids_repeated_across_shares_are_found_however_many_blocks_their_files_hold(tmp_path: Path) -> None:
    import random
    from array import array

    rng = random.Random(3)
    shares: list[list[int]] = []
    for size in (20000, 0, 9000, 1, 30000):  # blocks of 8,192 hashes: some shares hold several
        top = 1 << 64 if len(shares) % 2 else 60000  # wide hashes, or many repeated ones
        shares.append(sorted({rng.randrange(top) for _ in range(size)} | ({0, (1 << 64) - 1} if size > 1 else set())))
    files = []
    for i, keys in enumerate(shares):
        (tmp_path / str(i)).write_bytes(array("Q", keys).tobytes())
        files.append((str(tmp_path / str(i)), len(keys)))
    expected, before = [], set()
    for keys in shares:
        expected.append(sorted(before.intersection(keys)))
        before.update(keys)
    assert aggregate._repeated_across(files) == expected
    assert sum(map(len, expected)) > 5000 and expected[1] == [] and expected[2]
    assert aggregate._repeated_across(files[:1] + files[3:4]) == [[], []]
