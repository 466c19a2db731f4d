// CUDA on the host: the names a kernel source uses, for g++ (testbench/cudahost, docs/cuda-host.md).
// Every CUDA thread is a fiber (ucontext); the launcher runs one block at a time, its threads in
// lane order until each ends or waits at a barrier (__syncthreads, __shfl_*_sync), and releases a
// barrier only when every non-exited thread it names has reached it. A barrier that can never be
// released, a shuffle reading an absent or exited lane and a __syncthreads some threads of the
// block never reach are errors (with the block and lane), not hangs.
#pragma once
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ static
#define __restrict__ __restrict

struct uint3 { unsigned int x, y, z; };
typedef uint3 dim3;

namespace sctb {

enum { READY = 0, AT_WARP = 1, AT_BLOCK = 2, DONE = 3 };

struct Fiber {
    ucontext_t ctx;
    uint3 tid;
    int state;
    unsigned mask;  // the lanes a warp barrier waits for
};

struct Grid {
    uint3 block_idx, block_dim, grid_dim;
    Fiber* fibers;
    char* stacks;
    size_t n_threads, cur;
    ucontext_t sched;
    void (*body)(void**);
    void** params;
    int failed;
    char* err;
    size_t err_len;
    unsigned long long shfl[32 * 32];  // per warp (up to 32 warps), one slot per lane
};

static thread_local Grid* g = nullptr;
const size_t STACK = 64 * 1024;

static void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char* fmt, ...) {
    if (!g->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->err, g->err_len, fmt, ap);
        va_end(ap);
    }
    g->failed = 1;
    if (g->cur < g->n_threads) swapcontext(&g->fibers[g->cur].ctx, &g->sched);
}

static Fiber& self() { return g->fibers[g->cur]; }
static unsigned lane_of(size_t t) { return (unsigned)(t & 31); }

static void wait(int state, unsigned mask) {
    Fiber& f = self();
    f.state = state;
    f.mask = mask;
    swapcontext(&f.ctx, &g->sched);
}

static void entry() {
    g->body(g->params);
    self().state = DONE;
    swapcontext(&self().ctx, &g->sched);
}

// Release the barriers every named thread has reached; report those that can never be released.
static bool release() {
    bool moved = false;
    size_t n = g->n_threads, waiting_block = 0, done = 0;
    for (size_t w = 0; w * 32 < n; ++w) {
        size_t lo = w * 32, hi = lo + 32 < n ? lo + 32 : n;
        for (size_t t = lo; t < hi; ++t) {
            Fiber& f = g->fibers[t];
            if (f.state != AT_WARP) continue;
            bool all = true;
            for (unsigned l = 0; l < 32; ++l) {
                if (!((f.mask >> l) & 1u)) continue;
                size_t u = lo + l;
                // CUDA: every non-exited thread named in the mask must execute the shuffle
                if (u >= hi || g->fibers[u].state == DONE) continue;
                if (g->fibers[u].state != AT_WARP || g->fibers[u].mask != f.mask) all = false;
            }
            if (all) {
                for (unsigned l = 0; l < 32; ++l)
                    if (((f.mask >> l) & 1u) && lo + l < hi && g->fibers[lo + l].state == AT_WARP)
                        g->fibers[lo + l].state = READY;
                moved = true;
            }
        }
    }
    for (size_t t = 0; t < n; ++t) {
        waiting_block += g->fibers[t].state == AT_BLOCK;
        done += g->fibers[t].state == DONE;
    }
    if (waiting_block && waiting_block + done == n) {
        if (done) {
            fail("__syncthreads: %zu threads of block (%u, %u, %u) wait while %zu have exited",
                 waiting_block, g->block_idx.x, g->block_idx.y, g->block_idx.z, done);
            return false;
        }
        for (size_t t = 0; t < n; ++t) g->fibers[t].state = READY;
        moved = true;
    }
    return moved;
}

static void run_block() {
    size_t n = g->n_threads;
    for (size_t t = 0; t < n; ++t) {
        Fiber& f = g->fibers[t];
        f.tid.x = (unsigned)(t % g->block_dim.x);
        f.tid.y = (unsigned)(t / g->block_dim.x % g->block_dim.y);
        f.tid.z = (unsigned)(t / (g->block_dim.x * g->block_dim.y));
        f.state = READY;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = g->stacks + t * STACK;
        f.ctx.uc_stack.ss_size = STACK;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, entry, 0);
    }
    for (;;) {
        bool ran = false;
        for (size_t t = 0; t < n && !g->failed; ++t) {
            if (g->fibers[t].state != READY) continue;
            g->cur = t;
            swapcontext(&g->sched, &g->fibers[t].ctx);
            ran = true;
        }
        g->cur = n;
        if (g->failed) return;
        size_t done = 0;
        for (size_t t = 0; t < n; ++t) done += g->fibers[t].state == DONE;
        if (done == n) return;
        if (!release() && !ran) {
            if (!g->failed)
                fail("deadlock: no thread of block (%u, %u, %u) can run or be released",
                     g->block_idx.x, g->block_idx.y, g->block_idx.z);
            return;
        }
        if (g->failed) return;
    }
}

// Run body(params) as every thread of the grid; 0, or 1 with the reason in err.
static int launch(const unsigned* dims, void (*body)(void**), void** params, char* err,
                  size_t err_len) {
    Grid grid{};
    grid.grid_dim = {dims[0], dims[1], dims[2]};
    grid.block_dim = {dims[3], dims[4], dims[5]};
    grid.body = body;
    grid.params = params;
    grid.err = err;
    grid.err_len = err_len;
    grid.n_threads = (size_t)dims[3] * dims[4] * dims[5];
    Grid* outer = g;
    g = &grid;
    grid.fibers = (Fiber*)calloc(grid.n_threads, sizeof(Fiber));
    grid.stacks = (char*)malloc(grid.n_threads * STACK);
    if (!grid.fibers || !grid.stacks) {
        snprintf(err, err_len, "out of host memory for %zu fibers", grid.n_threads);
        grid.failed = 1;
    }
    for (unsigned z = 0; z < dims[2] && !grid.failed; ++z)
        for (unsigned y = 0; y < dims[1] && !grid.failed; ++y)
            for (unsigned x = 0; x < dims[0] && !grid.failed; ++x) {
                grid.block_idx = {x, y, z};
                run_block();
            }
    free(grid.fibers);
    free(grid.stacks);
    g = outer;
    return grid.failed;
}

template <class T>
static T shuffle(unsigned mask, T var, long src_lane_or_neg) {
    static_assert(sizeof(T) <= 8, "shuffle of at most 64 bits");
    size_t t = g->cur;
    unsigned lane = lane_of(t);
    size_t base = (t / 32) * 32;
    if (!((mask >> lane) & 1u)) fail("__shfl_*_sync: lane %u calls it outside its mask %#x",
                                     lane, mask);
    unsigned long long slot = 0;
    memcpy(&slot, &var, sizeof(T));
    g->shfl[(t / 32 % 32) * 32 + lane] = slot;
    wait(AT_WARP, mask);
    T out = var;
    if (src_lane_or_neg >= 0) {
        unsigned src = (unsigned)src_lane_or_neg;
        if (!((mask >> src) & 1u) || base + src >= g->n_threads)
            fail("__shfl_*_sync: lane %u reads lane %u, outside the mask %#x", lane, src, mask);
        if (g->fibers[base + src].state == DONE)
            fail("__shfl_*_sync: lane %u reads lane %u, which has exited (undefined value)", lane,
                 src);
        memcpy(&out, &g->shfl[(t / 32 % 32) * 32 + src], sizeof(T));
    }
    wait(AT_WARP, mask);  // nobody overwrites a slot before every lane has read it
    return out;
}

}  // namespace sctb

#define threadIdx (::sctb::self().tid)
#define blockIdx (::sctb::g->block_idx)
#define blockDim (::sctb::g->block_dim)
#define gridDim (::sctb::g->grid_dim)
const int warpSize = 32;

static inline void __syncthreads() { sctb::wait(sctb::AT_BLOCK, 0); }

template <class T>
static inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
    unsigned lane = sctb::lane_of(sctb::g->cur), pos = lane % (unsigned)width;
    long src = pos + delta < (unsigned)width ? (long)(lane + delta) : -1;
    return sctb::shuffle(mask, var, src);
}

template <class T>
static inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
    unsigned lane = sctb::lane_of(sctb::g->cur), pos = lane % (unsigned)width;
    long src = pos >= delta ? (long)(lane - delta) : -1;
    return sctb::shuffle(mask, var, src);
}

template <class T>
static inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
    unsigned lane = sctb::lane_of(sctb::g->cur);
    unsigned src = lane ^ (unsigned)lane_mask;
    // CUDA: a lane may read earlier width-groups; a source in a later group keeps its own value
    long s = (src / (unsigned)width <= lane / (unsigned)width) ? (long)src : -1;
    return sctb::shuffle(mask, var, s);
}

template <class T>
static inline T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
    unsigned lane = sctb::lane_of(sctb::g->cur);
    unsigned src = (lane / (unsigned)width) * (unsigned)width + (unsigned)src_lane % (unsigned)width;
    return sctb::shuffle(mask, var, (long)src);
}

// One OS thread runs every CUDA thread, so a read-modify-write is atomic by construction.
template <class T>
static inline T atomicAdd(T* address, T val) {
    T old = *address;
    *address = old + val;
    return old;
}

static inline int __popc(unsigned int x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
static inline unsigned int __brev(unsigned int x) {
    unsigned int r = 0;
    for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
static inline unsigned long long __brevll(unsigned long long x) {
    unsigned long long r = 0;
    for (int i = 0; i < 64; ++i) r |= ((x >> i) & 1ull) << (63 - i);
    return r;
}
