"""What a design costs in hardware: yosys cell counts and nextpnr-ice40 Fmax, cached by content.

``sctb synth`` and ``sctb explore`` call :func:`synthesize`. Every tool runs through
:mod:`testbench.eda`, so a missing, crashed or timed-out tool is a :class:`~testbench.eda.ToolError`
(exit status 3); a parameter the top does not have, an unknown top or a configuration that does not
fit the device is a :class:`SynthInputError` (a ``ValueError``, exit status 2).
"""

from ._common import DEVICES, FLOW_VERSION, TARGETS, SynthInputError, SynthResult
from ._flow import (
    check_params,
    default_cache_dir,
    parse_params,
    synth_key,
    synthesize,
    tool_versions,
)
from ._fmax import TARGET_MHZ, WRAPPER_TOP, fmax_wrapper

__all__ = [
    "DEVICES",
    "FLOW_VERSION",
    "SynthInputError",
    "SynthResult",
    "TARGETS",
    "TARGET_MHZ",
    "WRAPPER_TOP",
    "check_params",
    "default_cache_dir",
    "fmax_wrapper",
    "parse_params",
    "synth_key",
    "synthesize",
    "tool_versions",
]
