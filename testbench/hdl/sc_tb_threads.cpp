// sc_tb_threads: one simulation thread for the cocotb Verilator builds of the test tops.
//
// cocotb's Verilator main constructs the model in the default context, whose thread count
// defaults to the CPUs the process may use: on 2 CPUs it starts an idle worker thread. A
// process with a second thread takes glibc's stdio lock on every character read, and the
// harness's $fread of a weight buffer reads one character at a time (4 x slower measured on
// the dense throughput test). The models are built single-threaded (Vtop::threads() == 1),
// so the context needs no workers: set it to one thread before main constructs the model.
#include "verilated.h"

namespace {
struct OneSimThread {
    OneSimThread() { Verilated::threadContextp()->threads(1); }
};
const OneSimThread one_sim_thread;
}  // namespace
