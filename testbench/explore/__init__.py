"""``sctb explore``: a design-space sweep of the core (accuracy, cycles, area, Fmax) on the sweep
engine, with Pareto fronts on one HTML page (spec, models, point, page)."""

from ._model import accuracy_rmse, layer_cycles
from ._page import build_page_data, pareto_front, write_page
from ._point import EMU_MAX_CYCLES, emu_sample, run_explore_point
from ._spec import HW_AXES, ExploreSpec, load_explore_spec, parse_explore_spec

__all__ = [
    "EMU_MAX_CYCLES",
    "ExploreSpec",
    "HW_AXES",
    "accuracy_rmse",
    "build_page_data",
    "emu_sample",
    "layer_cycles",
    "load_explore_spec",
    "pareto_front",
    "parse_explore_spec",
    "run_explore_point",
    "write_page",
]
