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
from .equiv import EquivResult, check_equivalence
from .mutants import Mutant, write_mutant_design

__all__ = ["DEFAULT_SUITES", "MutantResult", "applicable_suites", "campaign_summary",
           "instantiates", "run_mutant", "run_mutants", "suite_tests"]

#: Suites in the order a mutant meets them: the cheapest strong judges first (Icarus seconds per
#: run measured on the reference RTL), so that most mutants die in the first one.
_ORDER = ("cycle_w13", "cycle_w8", "cycle_w1", "cycle", "neuron", "dense_w8", "blocks",
          "cycle_dense_w1", "cycle_dense_lif", "dense_w1", "dense_lif", "fuzz", "uvm", "dense",
          "cycle_dense")
#: The default judges: every suite but the two at N_IN=16 N_OUT=8 W=64 (an Icarus build of
#: 5-7 min each, per mutant); ``--suites`` adds them.
DEFAULT_SUITES = tuple(s for s in SUITES if s not in ("dense", "cycle_dense"))


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

    ``status`` is ``equivalent`` (proved equal: not counted), ``invalid`` (does not build:
    not counted), ``killed`` (a suite failed) or ``survived`` (every applicable suite passed).
    ``runs`` holds, per suite run, ``{"suite", "outcome": killed|survived|invalid, "seconds",
    "test", "message"}``.
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

    def to_dict(self) -> dict:
        return {**self.mutant.to_dict(), "status": self.status, "killed_by": self.killed_by,
                "suites": self.suites, "runs": self.runs, "seconds": round(self.seconds, 2),
                "equivalence": None if self.equiv is None else {
                    "verdict": self.equiv.verdict, "seconds": round(self.equiv.seconds, 2),
                    "detail": self.equiv.detail},
                "replay": self.replay, "design_dir": self.design_dir}


def run_mutant(design: Design, mutant: Mutant, suites: Sequence[str], *, sim: str,
               out_dir: Path, matrix: bool = False, equiv: bool = True,
               equiv_timeout: float = 300.0, timeout: float = 900.0, scale: float = 1.0,
               replay: str = "") -> MutantResult:
    """Run one mutant against the suites that apply; prove a survivor equivalent or not.

    The suites run in order (cheapest first) and stop at the first that kills the mutant,
    unless ``matrix``. A suite that fails is a kill; a build failure makes the mutant
    ``invalid``; a run past ``timeout`` seconds is a kill (a hang). A mutant that no suite
    kills goes to the SAT equivalence check (:func:`~testbench.mutate.equiv.check_equivalence`
    at every configuration the suites instantiate its module through): proved equal, it is
    ``equivalent`` and leaves the score; otherwise (different or unproven) it is a survivor.
    A killed mutant needs no proof: it differs.
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
    for name in names:
        r = run_suite(name, sim, out_dir=mdir / "sim", design=mdesign, timeout=timeout,
                      scale=scale)
        run = {"suite": name, "seconds": round(r.seconds, 2),
               "build_seconds": round(r.build_seconds, 2), "test": None, "message": None}
        if r.not_applicable is not None:
            run.update(outcome="n/a", message=r.not_applicable)
        elif r.ok:
            run["outcome"] = "survived"
        elif r.error is not None and r.error.startswith("build failed"):
            run.update(outcome="invalid", message=r.error.splitlines()[0][:300])
        else:
            first = next((f for f in r.failures), None)
            run.update(outcome="killed", test=first.test if first else None,
                       message=(first.message.splitlines() or [""])[0][:300] if first and
                       first.message else (r.error or "")[:300])
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
                                      workdir=mdir)
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
              for k in ("killed", "survived", "equivalent", "invalid", "not_applicable")}
    judged = counts["killed"] + counts["survived"]
    matrix: dict[str, dict[str, dict]] = {}
    for r in results:
        for run in r.runs:
            matrix.setdefault(r.mutant.id, {})[run["suite"]] = {
                "outcome": run["outcome"], "seconds": run["seconds"], "test": run["test"]}
    simulated = [r.seconds for r in results if r.status in ("killed", "survived")]
    return {
        "sampled": len(results), **counts, "non_equivalent": judged,
        "score": counts["killed"] / judged if judged else None,
        "seconds_per_mutant": sum(r.seconds for r in results) / len(results) if results else 0.0,
        "seconds_per_simulated_mutant": sum(simulated) / len(simulated) if simulated else 0.0,
        "kills_by_suite": {s: sum(r.killed_by == s for r in results)
                           for s in dict.fromkeys(r.killed_by for r in results if r.killed_by)},
        "matrix": matrix,
        "survivors": [{"id": r.mutant.id, "mutation": r.mutant.describe(),
                       "line": r.mutant.source_line(), "suites": r.suites, "replay": r.replay}
                      for r in results if r.status == "survived"],
    }

