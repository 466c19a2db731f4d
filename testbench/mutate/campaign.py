"""A mutation campaign: mutants pre-checked for equivalence, run against the suites that apply."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..design import Design, declared_modules, strip_comments
from ..runner import SUITES, get_suite, run_suite
from ..runner.procs import _STOPPING
from .equiv import EQUIVALENT, EquivResult, check_equivalence, identical_netlists
from .mutants import Mutant, write_mutant_design

__all__ = ["DEFAULT_SUITES", "SMOKE", "MutantResult", "applicable_suites", "campaign_summary",
           "instantiates", "run_mutant", "run_mutants", "skip_tests", "suite_tests"]

#: Suites in the order a mutant meets them: the cheapest strong judges first (Icarus seconds per
#: run measured on the reference RTL), so that most mutants die in the first one.
_ORDER = ("cycle_w13", "cycle_w8", "cycle_w1", "cycle", "neuron", "dense_w8", "blocks",
          "cycle_dense_w1", "cycle_dense_lif", "dense_w1", "dense_lif", "fuzz", "uvm", "dense",
          "cycle_dense")
#: The default judges: every suite but the two at N_IN=16 N_OUT=8 W=64 (an Icarus build of
#: 5-7 min each, per mutant); ``--suites`` adds them.
DEFAULT_SUITES = tuple(s for s in SUITES if s not in ("dense", "cycle_dense"))
#: Suites in the smoke stage: a mutant that survives them is checked for an identical netlist
#: (cheap: one yosys elaboration per configuration) before the other suites run.
SMOKE = 1


def instantiates(design: Design) -> dict[str, set[str]]:
    """Module -> every module of ``design`` it instantiates, directly or below (itself too)."""
    bodies: dict[str, str] = {}
    for path in dict.fromkeys(design.files):
        text = strip_comments(path.read_text(errors="replace"))
        for part in re.split(r"\bendmodule\b", text):
            names = declared_modules(part)
            if names:
                bodies.setdefault(names[0], part)
    direct = {m: {c for c in bodies if c != m and re.search(
        rf"\b{re.escape(c)}\s*(#\s*\(|[A-Za-z_]\w*\s*[(\[])", body)} for m, body in bodies.items()}
    out: dict[str, set[str]] = {}
    for m in bodies:
        seen, todo = {m}, [m]
        while todo:
            for c in direct.get(todo.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        out[m] = seen
    return out


def applicable_suites(module: str, suites: Sequence[str], design: Design
                      ) -> tuple[list[str], list[tuple[str, dict]]]:
    """The suites (cheapest first) whose tops instantiate ``module``, and the configurations
    ``(top module, parameters)`` they instantiate it through (smallest first)."""
    tree = instantiates(design)
    picked, configs = [], []
    for name in sorted(suites, key=lambda s: (_ORDER.index(s) if s in _ORDER else len(_ORDER))):
        need = get_suite(name).requires
        if need is None:
            continue
        hits = [(top, dict(p)) for top, sets in need.modules.items()
                if module in tree.get(top, {top}) for p in sets]
        if hits:
            picked.append(name)
            configs += [h for h in hits if h not in configs]
    configs.sort(key=lambda c: (sum(int(v) for v in c[1].values()), c[0]))
    return picked, configs


def skip_tests(skips: Sequence[str]) -> str | None:
    """Leave tests out of their suites (``SUITE.TEST`` each; the suite registry of this process
    changes): an error message naming the bad item, or None."""
    by_suite: dict[str, list[str]] = {}
    for item in skips:
        suite, _, test = item.partition(".")
        if suite not in SUITES or not test:
            return (f"--skip-test: expected SUITE.TEST with a suite of {', '.join(SUITES)}, "
                    f"got {item!r}")
        tests = suite_tests(suite)
        if test not in tests:
            return f"--skip-test: suite {suite} has no test {test!r}; its tests: {', '.join(tests)}"
        by_suite.setdefault(suite, []).append(test)
    for suite, tests in by_suite.items():
        keep = tuple(t for t in suite_tests(suite) if t not in tests)
        if not keep:
            return f"--skip-test: leaves suite {suite} without a test"
        SUITES[suite] = dataclasses.replace(get_suite(suite), tests=keep)
    return None


def suite_tests(suite: str) -> list[str]:
    """The tests a suite runs: its ``tests``, else every ``@cocotb.test`` of its module."""
    spec = get_suite(suite)
    if spec.tests is not None:
        return list(spec.tests)
    import importlib.util

    found = importlib.util.find_spec(spec.test_module)
    text = Path(found.origin).read_text() if found and found.origin else ""
    return re.findall(r"@cocotb\.test\([^\n]*\)\s*\n\s*async def (\w+)", text)


@dataclasses.dataclass
class MutantResult:
    """What became of one mutant.

    ``status`` is ``equivalent`` (proved equal: not counted), ``invalid`` (does not build or
    elaborate: not counted), ``killed`` (a suite failed) or ``survived`` (every applicable
    suite passed).
    ``runs`` holds, per suite run, ``{"suite", "stage": smoke|full, "outcome":
    killed|survived|invalid|n/a, "seconds", "build_seconds", "test", "assertion",
    "message"}``: ``assertion`` names the RTL assertion that stopped the run, if one did.
    """

    mutant: Mutant
    status: str = "survived"
    equiv: EquivResult | None = None
    suites: list[str] = dataclasses.field(default_factory=list)
    runs: list[dict] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    replay: str = ""
    design_dir: str = ""

    @property
    def killed_by(self) -> str | None:
        return next((r["suite"] for r in self.runs if r["outcome"] == "killed"), None)

    @property
    def killed_by_assertion(self) -> str | None:
        """The RTL assertion that stopped the first killing run, if one did."""
        return next((r.get("assertion") for r in self.runs if r["outcome"] == "killed"), None)

    def to_dict(self) -> dict:
        return {**self.mutant.to_dict(), "status": self.status, "killed_by": self.killed_by,
                "killed_by_assertion": self.killed_by_assertion,
                "suites": self.suites, "runs": self.runs, "seconds": round(self.seconds, 2),
                "equivalence": None if self.equiv is None else {
                    "verdict": self.equiv.verdict, "seconds": round(self.equiv.seconds, 2),
                    "detail": self.equiv.detail},
                "replay": self.replay, "design_dir": self.design_dir}


def _judge(name: str, sim: str, mdir: Path, mdesign: Design, stage: str, *, timeout: float,
           scale: float) -> dict:
    """One suite run on the mutant, as a ``runs`` entry."""
    r = run_suite(name, sim, out_dir=mdir / "sim", design=mdesign, timeout=timeout,
                  scale=scale)
    if _STOPPING.is_set():  # sctb was interrupted: the run was cut, it judged nothing
        raise KeyboardInterrupt(f"interrupted while {name} judged {mdesign.name}")
    run = {"suite": name, "stage": stage, "seconds": round(r.seconds, 2),
           "build_seconds": round(r.build_seconds, 2), "test": None, "assertion": None,
           "message": None}
    if r.not_applicable is not None:
        run.update(outcome="n/a", message=r.not_applicable)
    elif r.ok:
        run["outcome"] = "survived"
    elif r.error is not None and r.error.startswith(("build failed", "pre-flight check failed")):
        # It does not build, or does not elaborate (the pre-flight check, which the original
        # passes): an illegal design, not a bug a test caught.
        run.update(outcome="invalid", message=r.error.splitlines()[0][:300])
    else:
        first = next((f for f in r.failures), None)
        run.update(outcome="killed", test=first.test if first else None,
                   message=(first.message.splitlines() or [""])[0][:300] if first and
                   first.message else (r.error or "")[:300])
        if r.assertions:  # "NAME: message at time T" (testbench.runner.outcome)
            run["assertion"] = r.assertions[0].split(":", 1)[0].strip()
    return run


def run_mutant(design: Design, mutant: Mutant, suites: Sequence[str], *, sim: str,
               out_dir: Path, matrix: bool = False, equiv: bool = True,
               equiv_timeout: float = 300.0, timeout: float = 900.0, scale: float = 1.0,
               replay: str = "", smoke: int = SMOKE) -> MutantResult:
    """Run one mutant against the suites that apply; prove a survivor equivalent or not.

    The suites run in order (the fastest killers first) and stop at the first that kills the
    mutant, unless ``matrix``. A suite that fails is a kill; a build failure makes the mutant
    ``invalid``; a run past ``timeout`` seconds is a kill (a hang). The first ``smoke``
    suites are the *smoke stage*: a mutant that survives it goes to the cheap half of the
    equivalence check first (:func:`~testbench.mutate.equiv.identical_netlists`: the same
    flattened netlist as the original at every configuration the suites instantiate its module
    through is a proof of equality, and the other suites need not run). Otherwise the other
    suites run, and a mutant that none kills goes to the SAT check
    (:func:`~testbench.mutate.equiv.check_equivalence`): proved equal, it is ``equivalent``
    and leaves the score; otherwise (different or unproven) it is a survivor, judged by every
    applicable suite. A killed mutant needs no proof: it differs.
    """
    t0 = time.perf_counter()
    res = MutantResult(mutant, replay=replay)
    mdir = out_dir / "mutants" / mutant.id
    mdesign = write_mutant_design(design, mutant, mdir / "design")
    res.design_dir = str(mdir / "design")
    names, configs = applicable_suites(mutant.module, suites, design)
    res.suites = names
    if not names:
        res.status = "not_applicable"
        res.seconds = time.perf_counter() - t0
        return res
    memo: dict = {}
    checked = False
    for name in names:
        judged = sum(r["outcome"] == "survived" for r in res.runs)  # n/a runs do not count
        if judged >= smoke and not checked and equiv and not matrix:
            checked = True
            same, seconds = identical_netlists(design, mdesign, configs,
                                               timeout=equiv_timeout, workdir=mdir, memo=memo)
            if same:
                passed = ", ".join(r["suite"] for r in res.runs if r["outcome"] == "survived")
                res.equiv = EquivResult(EQUIVALENT, seconds, f"proved equal at {len(configs)} "
                                        f"configuration(s) by an identical netlist, after the "
                                        f"smoke stage ({passed})")
                res.status = "equivalent"
                break
        run = _judge(name, sim, mdir, mdesign, "smoke" if judged < smoke else "full",
                     timeout=timeout, scale=scale)
        res.runs.append(run)
        if run["outcome"] == "invalid":
            res.status = "invalid"
            break
        if run["outcome"] == "killed":
            res.status = "killed"
            if not matrix:
                break
    if res.status == "survived" and not any(r["outcome"] == "survived" for r in res.runs):
        res.status = "not_applicable"  # every suite ruled itself out (the pre-flight check)
    if res.status == "survived" and equiv:
        # Only a survivor can be equivalent: the proof runs on survivors, after the suites.
        res.equiv = check_equivalence(design, mdesign, configs, timeout=equiv_timeout,
                                      workdir=mdir, memo=memo)
        if res.equiv.equivalent:
            res.status = "equivalent"
    res.seconds = time.perf_counter() - t0
    return res


def run_mutants(design: Design, mutants: Sequence[Mutant], suites: Sequence[str], *, sim: str,
                out_dir: Path, jobs: int = 1, on_done: Callable[[MutantResult], None] | None
                = None, replay: Callable[[Mutant], str] | None = None,
                **kwargs) -> list[MutantResult]:
    """:func:`run_mutant` for every mutant, ``jobs`` at a time; results in ``mutants`` order."""
    def one(m: Mutant) -> MutantResult:
        r = run_mutant(design, m, suites, sim=sim, out_dir=out_dir,
                       replay=replay(m) if replay else "", **kwargs)
        if on_done is not None:
            on_done(r)
        return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, mutants))


def campaign_summary(results: Sequence[MutantResult]) -> dict:
    """Counts, the score (killed / non-equivalent), the kill matrix and the survivors."""
    counts = {k: sum(r.status == k for r in results)
              for k in ("killed", "survived", "equivalent", "invalid", "not_applicable",
                        "lost")}
    judged = counts["killed"] + counts["survived"]
    matrix: dict[str, dict[str, dict]] = {}
    for r in results:
        for run in r.runs:
            matrix.setdefault(r.mutant.id, {})[run["suite"]] = {
                "outcome": run["outcome"], "seconds": run["seconds"], "test": run["test"],
                "assertion": run.get("assertion")}
    simulated = [r.seconds for r in results if r.status in ("killed", "survived")]
    return {
        "sampled": len(results), **counts, "non_equivalent": judged,
        "score": counts["killed"] / judged if judged else None,
        "seconds_per_mutant": sum(r.seconds for r in results) / len(results) if results else 0.0,
        "seconds_per_simulated_mutant": sum(simulated) / len(simulated) if simulated else 0.0,
        "kills_by_suite": {s: sum(r.killed_by == s for r in results)
                           for s in dict.fromkeys(r.killed_by for r in results if r.killed_by)},
        # Per RTL assertion, the mutants that a run stopped on it killed (any run: --matrix).
        "kills_by_assertion": {a: sum(a in _fired(r) for r in results)
                               for a in sorted({a for r in results for a in _fired(r)})},
        "matrix": matrix,
        "survivors": [{"id": r.mutant.id, "mutation": r.mutant.describe(),
                       "line": r.mutant.source_line(), "suites": r.suites, "replay": r.replay}
                      for r in results if r.status == "survived"],
    }


def _fired(r: MutantResult) -> set[str]:
    """The RTL assertions that stopped a killing run of ``r``."""
    return {run["assertion"] for run in r.runs
            if run["outcome"] == "killed" and run.get("assertion")}
