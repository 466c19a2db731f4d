"""The named formal proofs of ``sctb prove``: checker Verilog + SymbiYosys, one verdict each."""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..design import Design
from ..eda import ToolError, run_tool, sby_command, tool_path
from ..preflight import PreflightError, Requirement, check_requirement, verilator_executable

__all__ = ["HDL_DIR", "PROOFS", "QUICK", "STATUSES", "Proof", "ProofResult", "applicability",
           "get_proof", "run_proof", "run_proofs"]

#: The checker/wrapper Verilog (package data).
HDL_DIR = Path(__file__).resolve().parent / "hdl"
#: A proof's verdict: PASS (proved), FAIL (a counterexample), UNKNOWN (neither, e.g. a time
#: limit or an induction that did not close), ERROR (the tools could not run it), N/A (the
#: design lacks what the proof needs).
STATUSES = ("PASS", "FAIL", "UNKNOWN", "ERROR", "N/A")


@dataclasses.dataclass(frozen=True)
class Proof:
    """One named proof: a checker module around part of the design, and how to prove it.

    Attributes
    ----------
    name : str
        Registry key.
    description : str
        What is proved, one line.
    top : str
        The checker module (in :data:`HDL_DIR`, file ``<top>.sv``).
    parameters : dict of str to int
        The checker's parameters.
    mode : {"prove", "bmc"}
        ``prove``: k-induction (a complete proof); ``bmc``: bounded model check to ``depth``.
    depth : int
        Induction length or BMC depth (cycles).
    solver : str
        The smtbmc solver (``z3`` or ``yices``).
    needs : Requirement
        The design modules the checker instantiates, at their parameters.
    extra : tuple of str
        Further checker files (stems in :data:`HDL_DIR`).
    scope : {"block", "port"}
        ``block``: a sub-module of the reference design; ``port``: sc_dense's ports only.
    """

    name: str
    description: str
    top: str
    parameters: Mapping[str, int]
    mode: str
    depth: int
    solver: str
    needs: Requirement
    extra: tuple[str, ...] = ()
    scope: str = "block"


@dataclasses.dataclass
class ProofResult:
    """The verdict of one proof on one design.

    Attributes
    ----------
    name, description, scope, mode : str
        From the :class:`Proof`.
    depth : int
    status : str
        One of :data:`STATUSES`.
    seconds : float
        Wall time of the proof (0 when not run).
    detail : str
        Why (the not-applicable reason, the error, the failed property).
    prop : str or None
        The failed assertion's label.
    step : int or None
        The cycle (BMC step, from 0) at which it fails.
    trace : str or None
        The counterexample's VCD file.
    workdir : str or None
        The SymbiYosys directory (logs, model, traces).
    transaction : dict or None
        For an equivalence counterexample: the transaction (seed, length, thresholds, weight
        bits per stream) and the expected and observed result beat, read from the trace.
    """

    name: str
    description: str
    scope: str
    mode: str
    depth: int
    status: str
    seconds: float = 0.0
    detail: str = ""
    prop: str | None = None
    step: int | None = None
    trace: str | None = None
    workdir: str | None = None
    transaction: dict | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _block(name: str, description: str, top: str, module: str, params: Mapping[str, int],
           mode: str, depth: int) -> Proof:
    return Proof(name, description, top, dict(params), mode, depth, "z3",
                 Requirement({module: ({k: v for k, v in params.items() if k == "W"},)}))


def _dense_needs(n_in: int, n_out: int, *ws: int) -> Requirement:
    return Requirement({"sc_dense": tuple({"N_IN": n_in, "N_OUT": n_out, "W": w} for w in ws)})


def _registry() -> dict[str, Proof]:
    proofs: list[Proof] = []
    for w in (1, 8, 13, 64):
        proofs.append(_block(f"popcount_w{w}", f"sc_popcount W={w} equals a naive loop over "
                             "the bits, every input word", "prove_popcount", "sc_popcount",
                             {"W": w}, "bmc", 1))
    for w in (1, 8):
        proofs.append(_block(f"sng_w{w}", f"sc_sng W={w} is the 17-bit comparator "
                             "(x >= 65536 gives ones), every state and threshold", "prove_sng",
                             "sc_sng", {"W": w}, "bmc", 1))
    for w in (1, 8, 13):
        proofs.append(_block(f"lfsr16_w{w}", f"sc_lfsr16 W={w}: the W states are W single "
                             "contract steps, load (0 loads 1), advance moves exactly W, never "
                             "0 after a load (k-induction)", "prove_lfsr16", "sc_lfsr16",
                             {"W": w}, "prove", 2))
    for n_in, n_out, w, lmax, depth in ((2, 2, 2, 5, 12), (1, 2, 8, 17, 12), (2, 1, 1, 3, 12)):
        proofs.append(Proof(
            f"dense_protocol_{n_in}x{n_out}_w{w}",
            f"sc_dense N_IN={n_in} N_OUT={n_out} W={w}, lengths <= {lmax}: handshake protocol "
            "on the ports (one input ready at a time, beat counts, out_last, stall holds, no "
            "overflow, progress), k-induction", "prove_dense_protocol",
            {"N_IN": n_in, "N_OUT": n_out, "W": w, "LMAX": lmax, "STALL": 1, "LAT": 4},
            "prove", depth, "z3", _dense_needs(n_in, n_out, w), scope="port"))
    for n_in, n_out, w, lmax, stalls in ((1, 1, 4, 4, 0), (1, 1, 4, 4, 1), (1, 2, 3, 5, 0),
                                         (2, 1, 8, 6, 0), (2, 2, 4, 8, 0)):
        depth = 2 + n_in + -(-lmax // w) + n_out + (2 if stalls else 0)
        tag = "_stalls" if stalls else ""
        proofs.append(Proof(
            f"dense_equiv_{n_in}x{n_out}_w{w}_l{lmax}{tag}",
            f"sc_dense N_IN={n_in} N_OUT={n_out} W={w}: result beats equal the contract spec for "
            f"every seed, threshold, weight bit and length <= {lmax}"
            + (f", any stalls (BMC depth {depth})" if stalls else f" (BMC depth {depth})"),
            "prove_dense_equiv", {"N_IN": n_in, "N_OUT": n_out, "W": w, "LMAX": lmax,
                                  "STALLS": stalls},
            "bmc", depth, "yices", _dense_needs(n_in, n_out, w), scope="port"))
    n_in, n_out, lmax = 1, 1, 4
    proofs.append(Proof(
        "dense_w1_vs_w8", f"sc_dense W=1 and W=8 (N_IN={n_in} N_OUT={n_out}) give the same "
        f"results for every transaction of length <= {lmax}", "prove_dense_pair",
        {"N_IN": n_in, "N_OUT": n_out, "WA": 1, "WB": 8, "LMAX": lmax}, "bmc",
        2 + n_in + lmax + n_out, "yices", _dense_needs(n_in, n_out, 1, 8),
        extra=("prove_dense_equiv",), scope="port"))
    return {p.name: p for p in proofs}


#: Every proof by name.
PROOFS: dict[str, Proof] = _registry()
#: The small set (``sctb prove --quick``, the CI): one of each kind, seconds each.
QUICK = ("popcount_w8", "popcount_w13", "sng_w8", "lfsr16_w8", "dense_protocol_2x2_w2",
         "dense_equiv_1x1_w4_l4", "dense_w1_vs_w8")


def get_proof(name: str) -> Proof:
    """The proof called ``name``; ``KeyError`` lists the valid names."""
    try:
        return PROOFS[name]
    except KeyError:
        raise KeyError(f"unknown proof {name!r}; valid proofs: {', '.join(PROOFS)}") from None


_FAILED = re.compile(r"failed assertion (\S+) at (\S+)(?: step (\d+))?")
_TRACE = re.compile(r"counterexample trace(?: \[(\w+)\])?: (\S+)")
_STEP = re.compile(r"Checking assertions in step (\d+)")
_ERROR = re.compile(r"^.*(ERROR|Error).*$", re.M)


def _copy_design(design: Design, dest: Path) -> tuple[list[str], list[str]]:
    """Copy the design's sources (and include directories) under ``dest``; yosys (WebAssembly)
    reads only paths below its working directory. Returns the read commands' file and -I args."""
    files, incs = [], []
    (dest / "design").mkdir(parents=True, exist_ok=True)
    for k, src in enumerate(design.files):
        name = f"{k:02d}_{src.name}"
        shutil.copyfile(src, dest / "design" / name)
        files.append(f"../../design/{name}")
    for k, inc in enumerate(design.include_dirs):
        shutil.copytree(inc, dest / f"inc{k}", dirs_exist_ok=True)
        incs.append(f"-I../../inc{k}")
    return files, incs


def _sby_text(proof: Proof, design: Design, files: list[str], incs: list[str],
              timeout: float) -> str:
    defines = [f"-D{k}={v}" if v else f"-D{k}" for k, v in design.defines.items()]
    flags = " ".join(["-sv", *incs, *defines])
    checkers = " ".join(f"../../hdl/{stem}.sv" for stem in (proof.top, *proof.extra))
    chparam = " ".join(f"-set {k} {v}" for k, v in proof.parameters.items())
    return "\n".join([
        "[options]", f"mode {proof.mode}", f"depth {proof.depth}", f"timeout {int(timeout)}", "",
        "[engines]", f"smtbmc {proof.solver}", "",
        "[script]", *(f"read_verilog {flags} {f}" for f in files),
        f"read_verilog -formal {' '.join([*incs, *defines])} {checkers}",
        f"chparam {chparam} {proof.top}", f"prep -top {proof.top}", ""])


def applicability(proof: Proof, design: Design) -> str | None:
    """None when ``proof`` applies to ``design``, else why not.

    Raises
    ------
    PreflightError
        The design has the module but with other ports or parameters than the contract's.
    """
    fit = check_requirement(design, proof.needs)
    return None if fit.applies else fit.reason


def run_proof(proof: Proof, design: Design, workdir: Path, *, timeout: float = 300.0
              ) -> ProofResult:
    """Run one proof on ``design`` in ``workdir`` (its traces stay there).

    A missing tool, a solver error or a time limit gives ERROR or UNKNOWN, never PASS.
    """
    res = ProofResult(proof.name, proof.description, proof.scope, proof.mode, proof.depth,
                      "ERROR", workdir=str(workdir))
    try:
        why = applicability(proof, design)
    except PreflightError as e:
        # Verilator missing is infrastructure; a design that does not fit the contract fails.
        res.status = "ERROR" if verilator_executable() is None else "FAIL"
        res.detail = f"pre-flight: {e}"
        return res
    if why is not None:
        res.status, res.detail = "N/A", why
        return res
    start = time.perf_counter()
    try:
        if workdir.exists():
            shutil.rmtree(workdir)
        (workdir / "hdl").mkdir(parents=True)
        for stem in (proof.top, *proof.extra):
            shutil.copyfile(HDL_DIR / f"{stem}.sv", workdir / "hdl" / f"{stem}.sv")
        files, incs = _copy_design(design, workdir)
        (workdir / "proof.sby").write_text(_sby_text(proof, design, files, incs, timeout))
        solver = tool_path("z3" if proof.solver == "z3" else "yices")
        env_path = str(Path(solver).parent)
        run = run_tool([*sby_command(), "-f", "proof.sby"], cwd=workdir,
                       timeout=timeout + 120, path_prefix=env_path)
    except ToolError as e:
        res.status, res.detail = "ERROR", str(e)
        res.seconds = time.perf_counter() - start
        return res
    res.seconds = time.perf_counter() - start
    _judge(res, run.returncode, run.stdout + run.stderr, workdir / "proof")
    return res


def _judge(res: ProofResult, rc: int, log: str, sby_dir: Path) -> None:
    """Set the verdict from SymbiYosys's status file and log; anything unclear is not a PASS."""
    status_file = sby_dir / "status"
    word = status_file.read_text().split()[0] if status_file.is_file() else ""
    if word == "PASS" and rc == 0:
        res.status = "PASS"
        res.detail = ("proved by k-induction" if res.mode == "prove"
                      else f"no counterexample up to depth {res.depth}"
                      if res.depth > 1 else "proved (combinational, every input)")
        return
    failed = _FAILED.search(log)
    traces = {kind or "": path for kind, path in _TRACE.findall(log)}
    if failed:
        res.prop = failed.group(1).split(".")[-1]
        res.step = int(failed.group(3)) if failed.group(3) else None
        if res.step is None and word == "FAIL":   # bmc mode: the step being checked
            before = log[:log.find("Assert failed")]
            steps = _STEP.findall(before)
            res.step = int(steps[-1]) if steps else None
    trace = traces.get("basecase") or traces.get("") or traces.get("induction")
    if trace:
        res.trace = str((sby_dir.parent / trace).resolve())
    if word == "FAIL":
        if res.trace and res.name.startswith("dense_equiv"):
            res.transaction = _equiv_transaction(Path(res.trace), get_proof(res.name))
        res.status = "FAIL"
        res.detail = f"assertion {res.prop} fails" + (f" at cycle {res.step}"
                                                       if res.step is not None else "")
    elif word in ("UNKNOWN", "TIMEOUT"):
        res.status = "UNKNOWN"
        res.detail = ("time limit reached" if word == "TIMEOUT" else
                      f"induction did not close at depth {res.depth} (failing step: "
                      f"{res.prop}); no counterexample from reset")
    else:
        errors = [m.group(0).strip() for m in _ERROR.finditer(log)]
        res.status = "ERROR"
        res.detail = (errors[0] if errors else f"SymbiYosys exited {rc} with status "
                      f"{word or 'none'}")[:400]


def _vcd_top_values(path: Path) -> dict[str, str]:
    """The last value (a bit string, MSB first) of every signal of the trace's top module."""
    ids: dict[str, str] = {}
    values: dict[str, str] = {}
    depth = 0
    for line in path.read_text(errors="replace").splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "$scope":
            depth += 1
        elif tok[0] == "$upscope":
            depth -= 1
        elif tok[0] == "$var" and depth == 1 and len(tok) >= 5:
            ids[tok[3]] = tok[4]
        elif tok[0][0] == "b" and len(tok) == 2 and tok[1] in ids:
            values[ids[tok[1]]] = tok[0][1:]
        elif tok[0][0] in "01xz" and len(tok) == 1 and tok[0][1:] in ids:
            values[ids[tok[0][1:]]] = tok[0][0]
    return values


def _equiv_transaction(trace: Path, proof: Proof) -> dict | None:
    """The free transaction of a failed equivalence proof, and its failing result beat."""
    try:
        v = _vcd_top_values(trace)
        p = proof.parameters
        n_in, n_out, w, lmax = p["N_IN"], p["N_OUT"], p["W"], p["LMAX"]
        lpad = -(-lmax // w) * w
        cnt_w = 25 + (n_in - 1).bit_length()

        def field(name: str, lo: int, width: int) -> int:
            bits = v[name].replace("x", "0").replace("z", "0")
            return int(bits, 2) >> lo & ((1 << width) - 1)

        idx = field("res_idx", 0, 8)
        return {
            "seed": field("seed", 0, 16), "length": field("len", 0, 25),
            "thresholds": [field("thr", 17 * i, 17) for i in range(n_in)],
            "weight_bits": {f"{o},{i}": "".join(
                str(field("wts", (o * n_in + i) * lpad + t, 1)) for t in range(lpad))
                for o in range(n_out) for i in range(n_in)},
            "result_beat": idx,
            "expected": field("expect", idx * cnt_w, cnt_w) if idx < n_out else None,
            "observed": field("res_data", 0, cnt_w),
        }
    except (OSError, KeyError, ValueError):
        return None


def run_proofs(names: list[str], design: Design, out_dir: Path, *, timeout: float = 300.0,
               jobs: int = 1, on_done: Callable[[ProofResult], None] | None = None
               ) -> list[ProofResult]:
    """Run the named proofs on ``design`` (``jobs`` at a time); results in ``names`` order."""
    def one(name: str) -> ProofResult:
        res = run_proof(get_proof(name), design, out_dir / name, timeout=timeout)
        if on_done is not None:
            on_done(res)
        return res

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, names))
