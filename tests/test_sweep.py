"""``sctb sweep``: spec validation, exact partitioning, resume, replay, and MPI runs."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from testbench import cli
from testbench.sweep import SpecError, expand_points, parse_spec, read_records, run_sweep
from testbench.sweep.mpi import MPIDriver, partition

ROOT = pathlib.Path(__file__).resolve().parents[1]
MPIEXEC = shutil.which("mpiexec", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
    "mpiexec")

SMALL = """
[sweep]
name = "small"
checks = ["golden"]
timeout_s = 60
[axes]
n_out = [1, 3]
n_in = [2, 5]
length = [63, 130]
seed = [0, 0xFFFF]
backend = ["numpy"]
"""


def _spec_file(tmp_path: pathlib.Path, text: str = SMALL) -> pathlib.Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def _stable(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "rank", "host", "pid", "t")}
            for r in records]


@given(st.integers(0, 500), st.integers(1, 5))
def test_partition_covers_every_item_once(n_items: int, n_parts: int) -> None:
    parts = partition(n_items, n_parts)
    assert len(parts) == n_parts
    flat = [i for part in parts for i in part]
    assert flat == list(range(n_items))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_mpidriver_single_rank_keeps_everything() -> None:
    drv = MPIDriver()
    assert (drv.rank, drv.size) == (0, 1)
    data = np.arange(7 * 2).reshape(7, 2)
    assert np.array_equal(drv.scatter_workload(data), data)
    assert np.array_equal(drv.gather_results(data), data)
    drv.barrier()


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"axes": {"width": [1]}}, r"axes\.width: unknown axis"),
        ({"axes": {"n_out": []}}, r"axes\.n_out: empty axis"),
        ({"axes": {"n_in": [0]}}, r"axes\.n_in: every value must be an int >= 1, got 0"),
        ({"axes": {"length": [64.0]}}, r"axes\.length: every value must be an int >= 1, got 64\.0"),
        ({"axes": {"seed": [-1]}},
         r"axes\.seed: every value must be an int in \[0, 2\*\*64\), got -1"),
        ({"axes": {"backend": ["fortran"]}}, r"axes\.backend: unknown backend 'fortran'"),
        ({"axes": {"n_out": 3}}, r"axes\.n_out: must be a list, got 3"),
        ({"sweep": {"checks": ["nope"]}},
         r"sweep\.checks: unknown check 'nope'; valid: golden, emu, rtl"),
        ({"axes": {"core_w": [65]}},
         r"axes\.core_w: every value must be an int in \[1, 64\], got 65"),
        ({"axes": {"sim": ["xsim"]}}, r"axes\.sim: unknown simulator 'xsim'"),
        ({"sweep": {"checks": []}}, r"sweep\.checks: must be a non-empty list"),
        ({"sweep": {"colour": "red"}}, r"sweep\.colour: unknown key"),
        ({"sweep": {"timeout_s": 0}}, r"sweep\.timeout_s: must be a number in \(0, 604800\]"),
        ({"extra": {}}, r"unknown top-level table 'extra'"),
    ],
)
def test_spec_errors_name_the_key(patch: dict, message: str) -> None:
    doc = {"sweep": {"checks": ["golden"]},
           "axes": {"n_out": [1], "n_in": [1], "length": [64], "seed": [1], "backend": ["numpy"]}}
    for table, values in patch.items():
        doc.setdefault(table, {}).update(values)
    with pytest.raises(SpecError, match=message):
        parse_spec(doc)


def test_missing_axis_is_named() -> None:
    doc = {"sweep": {"checks": ["golden"]},
           "axes": {"n_out": [1], "n_in": [1], "length": [64], "seed": [1]}}
    with pytest.raises(SpecError, match=r"axes\.backend: missing"):
        parse_spec(doc)


def test_bad_spec_file_exits_2(tmp_path, capsys) -> None:
    assert cli.main(["sweep", str(tmp_path / "absent.toml")]) == 2
    assert "does not exist" in capsys.readouterr().out
    assert cli.main(["sweep", str(_spec_file(tmp_path, "[sweep\n"))]) == 2
    assert "not valid TOML" in capsys.readouterr().out


def test_serial_sweep_resume_and_replay(tmp_path, capsys) -> None:
    spec_path = _spec_file(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec_path), "--out", str(out)]) == 0
    records = read_records(out)
    spec = parse_spec(__import__("tomllib").loads(SMALL), spec_path)
    points = expand_points(spec)
    assert len(points) == 16 and [r["index"] for r in records] == list(range(16))
    assert all(r["status"] == "pass" for r in records)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["points"] == 16 and summary["ran"] == 16
    merged = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert _stable(merged) == _stable(records)

    # Keep the first 5 results only, as a killed sweep would; --resume runs the other 11.
    rank0 = out / "results.rank0.jsonl"
    rank0.write_text("".join(rank0.read_text().splitlines(keepends=True)[:5]) + '{"cut')
    result = run_sweep(spec, out, resume=True)
    assert result.skipped_done == 5 and len(result.records) == 16 and result.ok
    assert _stable(result.records) == _stable(records)

    # --only replays exactly one point.
    key = points[7].key
    result = run_sweep(spec, tmp_path / "replay", only=key)
    assert [r["key"] for r in result.records] == [key]
    with pytest.raises(SpecError, match="no such point"):
        run_sweep(spec, tmp_path / "replay", only="golden/n_out=99")


def test_emu_check_points(tmp_path) -> None:
    text = SMALL.replace('checks = ["golden"]', 'checks = ["golden", "emu"]').replace(
        'backend = ["numpy"]',
        'backend = ["numpy"]\ncore_in = [2, 4]\ncore_out = [2]\ncore_w = [1, 64]')
    spec = parse_spec(__import__("tomllib").loads(text), _spec_file(tmp_path, text))
    points = expand_points(spec)
    assert len(points) == 16 + 16 * 4
    assert points[16].key == "emu/n_out=1/n_in=2/length=63/seed=0x0/core_in=2/core_out=2/core_w=1"
    result = run_sweep(spec, tmp_path / "o", isolate=False)
    assert result.ok and len(result.records) == 80
    emu_recs = [r for r in result.records if r["check"] == "emu"]
    assert all(r["cycles"] > 0 for r in emu_recs)
    golden_digest = {r["key"].split("/backend")[0].replace("golden/", ""): r["digest"]
                     for r in result.records if r["check"] == "golden"}
    for r in emu_recs:  # the same layer gives the same counts through the emulator
        layer = "/".join(r["key"].split("/")[1:5])
        assert r["digest"] == golden_digest[layer]


def test_failing_point_is_recorded_with_its_replay(tmp_path, monkeypatch, capsys) -> None:
    import golden
    from golden import _backend

    class Wrong(golden.NumpyBackend):
        name = "wrong"

        def sc_counts(self, *args, **kwargs):
            return super().sc_counts(*args, **kwargs) + 1

    monkeypatch.setitem(_backend._REGISTRY, "wrong", "tests.test_sweep:_WRONG")
    monkeypatch.setattr(sys.modules[__name__], "_WRONG", Wrong, raising=False)
    monkeypatch.setattr(_backend, "PRIORITY", golden.PRIORITY + ("wrong",))
    monkeypatch.setattr(golden, "PRIORITY", _backend.PRIORITY)
    spec_path = _spec_file(tmp_path, SMALL.replace('backend = ["numpy"]',
                                                   'backend = ["numpy", "wrong"]'))
    assert cli.main(["sweep", str(spec_path), "--out", str(tmp_path / "o"), "--in-process"]) == 1
    text = capsys.readouterr().out
    assert "FAIL golden/n_out=1/n_in=2/length=63/seed=0x0/backend=wrong" in text
    assert "replay: sctb sweep" in text and "--only" in text
    records = read_records(tmp_path / "o")
    assert sum(r["status"] == "fail" for r in records) == 16
    assert all(r["status"] == "pass" for r in records if r["params"]["backend"] == "numpy")


def test_timeout_is_a_recorded_failure(tmp_path, monkeypatch) -> None:
    from testbench import sweep

    def slow(spec, point, workdir):
        time.sleep(5)
        return {"status": "pass"}

    monkeypatch.setitem(sweep.CHECKS, "golden", sweep.Check("golden", ("backend",), slow, "slow"))
    spec = parse_spec(__import__("tomllib").loads(SMALL.replace("timeout_s = 60",
                                                                "timeout_s = 0.2")))
    result = run_sweep(spec, tmp_path, only=expand_points(spec)[0].key, isolate=False)
    (rec,) = result.records
    assert rec["status"] == "timeout" and "timed out after 0.2 s" in rec["detail"]
    assert not result.ok


def _mpi(*args: str, timeout: float = 240, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([MPIEXEC, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **kw)


needs_mpi = pytest.mark.skipif(MPIEXEC is None,
                               reason="mpiexec not found (pip install mpich mpi4py)")


@pytest.mark.mpi
@needs_mpi
def test_one_and_two_ranks_give_identical_results(tmp_path) -> None:
    spec_path = _spec_file(tmp_path)
    serial = tmp_path / "serial"
    assert cli.main(["sweep", str(spec_path), "--out", str(serial)]) == 0
    proc = _mpi("-n", "2", sys.executable, "-m", "testbench", "sweep", str(spec_path),
                "--out", str(tmp_path / "mpi2"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "16 points on 2 rank(s)" in proc.stdout
    two = read_records(tmp_path / "mpi2")
    assert _stable(two) == _stable(read_records(serial))


@pytest.mark.mpi
@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_mpidriver_scatter_keeps_the_remainder(ranks: int, tmp_path) -> None:
    code = (
        "import json, sys, numpy as np\n"
        "from testbench.sweep.mpi import MPIDriver\n"
        "d = MPIDriver()\n"
        "mine = d.scatter_workload(np.arange(11 * 2).reshape(11, 2))\n"
        "allr = d.gather_results(mine * 10)\n"
        "d.barrier()\n"
        "row = [d.rank, d.size, mine.tolist(), list(allr.shape), allr.tolist(), str(allr.dtype)]\n"
        "open(f'{sys.argv[1]}/rank{d.rank}.json', 'w').write(json.dumps(row))\n"
    )
    proc = _mpi("-n", str(ranks), sys.executable, "-c", code, str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(ranks)]
    assert [r[:2] for r in rows] == [[r, ranks] for r in range(ranks)]
    shares = [r[2] for r in rows]
    assert [row for share in shares for row in share] == np.arange(22).reshape(11, 2).tolist()
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert rows[0][4] == (np.arange(22).reshape(11, 2) * 10).tolist()
    for r in rows[1:]:  # other ranks: an empty array of the same dtype
        assert r[3] == [0, 2] and r[5] == rows[0][5]


KILL = """
[sweep]
name = "kill"
checks = ["golden"]
timeout_s = 2
[axes]
n_out = [2]
n_in = [512]
length = [131072]
seed = [{seeds}]
backend = ["numpy"]
"""


def _start_sweep(spec_path: pathlib.Path, out: pathlib.Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [MPIEXEC, *extra, "-n", "2", sys.executable, "-m", "testbench", "sweep", str(spec_path),
         "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _pid_of_rank1_worker(proc: subprocess.Popen, out: pathlib.Path) -> int:
    """Wait until rank 1 has finished a point; return the pid of its worker process."""
    path = out / "results.rank1.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_text().count("\n") >= 1:
            return json.loads(path.read_text().splitlines()[0])["pid"]
        time.sleep(0.02)
    raise AssertionError("rank 1 never finished a point")


def _parent(pid: int) -> int:
    return int(pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _kill_spec(tmp_path: pathlib.Path) -> pathlib.Path:
    return _spec_file(tmp_path, KILL.format(seeds=", ".join(map(str, range(1, 31)))))


@pytest.mark.mpi
@needs_mpi
def test_crashed_worker_is_a_recorded_failure_and_the_sweep_goes_on(tmp_path) -> None:
    spec_path, out = _kill_spec(tmp_path), tmp_path / "out"
    proc = _start_sweep(spec_path, out)
    os.kill(_pid_of_rank1_worker(proc, out), signal.SIGKILL)
    text, _ = proc.communicate(timeout=240)
    assert proc.returncode == 1, text
    records = read_records(out)
    assert len(records) == 30  # every point has a result: the sweep went on
    crashed = [r for r in records if r["status"] == "crashed"]
    if crashed:  # the kill hit a point
        assert "CRASHED" in text and "worker process died (signal 9)" in text
        assert len(crashed) == 1 and crashed[0]["rank"] == 1 and "--only" in crashed[0]["replay"]
        assert "replay:" in text
    else:  # the kill hit the worker between two points
        assert "WORKER DIED" in text and "died (signal 9) between points" in text
        summary = json.loads((out / "summary.json").read_text())
        assert len(summary["incidents"]) == 1 and not summary["ok"]
    assert all(r["status"] == "pass" for r in records if r["status"] != "crashed")
    # --resume runs the crashed point again, and now everything passes.
    assert cli.main(["sweep", str(spec_path), "--out", str(out), "--resume"]) == 0
    assert all(r["status"] == "pass" for r in read_records(out))


@pytest.mark.mpi
@needs_mpi
def test_hung_rank_is_reported_and_the_sweep_exits_1(tmp_path) -> None:
    spec_path, out = _kill_spec(tmp_path), tmp_path / "out"
    proc = _start_sweep(spec_path, out)
    rank1 = _parent(_pid_of_rank1_worker(proc, out))
    os.kill(rank1, signal.SIGSTOP)  # rank 1 hangs: it never asks for work or answers again
    try:
        text, _ = proc.communicate(timeout=240)
    finally:
        with __import__("contextlib").suppress(ProcessLookupError):
            os.kill(rank1, signal.SIGKILL)
    assert proc.returncode == 1, text
    assert "LOST RANK 1" in text and "dead or hung" in text and "have no result" in text
    summary = json.loads((out / "summary.json").read_text())
    assert "1" in summary["lost_ranks"] and not summary["ok"]
    kept = read_records(out)
    assert 1 <= len(kept) < 30 and any(r["rank"] == 1 for r in kept)
    assert cli.main(["sweep", str(spec_path), "--out", str(out), "--resume"]) == 0
    assert len(read_records(out)) == 30


@pytest.mark.mpi
@needs_mpi
def test_killed_rank_ends_the_job_and_keeps_results(tmp_path) -> None:
    # MPICH does not survive the death of a rank: mpiexec ends the job with a non-zero status.
    # What the ranks finished is on disk, and --resume completes the sweep.
    spec_path, out = _kill_spec(tmp_path), tmp_path / "out"
    proc = _start_sweep(spec_path, out)
    os.kill(_parent(_pid_of_rank1_worker(proc, out)), signal.SIGKILL)
    text, _ = proc.communicate(timeout=240)
    assert proc.returncode != 0, text
    kept = read_records(out)
    assert 1 <= len(kept) < 30 and any(r["rank"] == 1 for r in kept)
    assert cli.main(["sweep", str(spec_path), "--out", str(out), "--resume"]) == 0
    records = read_records(out)
    assert len(records) == 30 and all(r["status"] == "pass" for r in records)


@pytest.mark.sim
def test_rtl_check_points_on_both_simulators(tmp_path) -> None:
    text = SMALL.replace('checks = ["golden"]', 'checks = ["rtl"]').replace(
        'backend = ["numpy"]', 'suite = ["dense_w8"]\nsim = ["icarus", "verilator"]').replace(
        "n_out = [1, 3]", "n_out = [4]").replace("n_in = [2, 5]", "n_in = [7]").replace(
        "length = [63, 130]", "length = [130]").replace("seed = [0, 0xFFFF]", "seed = [0xFFFF]")
    spec = parse_spec(__import__("tomllib").loads(text), _spec_file(tmp_path, text))
    result = run_sweep(spec, tmp_path / "o", isolate=False)
    assert [r["key"] for r in result.records] == [
        "rtl/n_out=4/n_in=7/length=130/seed=0xffff/suite=dense_w8/sim=icarus",
        "rtl/n_out=4/n_in=7/length=130/seed=0xffff/suite=dense_w8/sim=verilator"]
    assert result.ok, result.failures
