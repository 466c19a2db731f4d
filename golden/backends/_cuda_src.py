"""The CuPy backend's CUDA sources: module constants, importable without CuPy (the host test)."""

__all__ = ["CUDA_SOURCE", "ELEMENTWISE", "REDUCTIONS"]

# The raw kernels (sc_encode, sc_and_popcount, sc_and_popcount_batch), compiled by CuPy's RawModule.
CUDA_SOURCE = r"""
typedef unsigned long long u64;

// r_{64w} from r_0 by binary powering: pow_cols[b*16 + j] = (M^(64 * 2^b)) e_j.
__device__ __forceinline__ unsigned int jump_words(unsigned int r, long long w,
                                                   const unsigned short* pow_cols) {
    int b = 0;
    while (w) {
        if (w & 1) {
            unsigned int s = 0;
            #pragma unroll
            for (int j = 0; j < 16; ++j) {
                if ((r >> j) & 1u) s ^= pow_cols[b * 16 + j];
            }
            r = s;
        }
        w >>= 1;
        ++b;
    }
    return r;
}

// One packed word: bits t = 64w .. 64w+63 are (state_t < x) for the state r = r_{64w}.
__device__ __forceinline__ u64 encode_word(unsigned int r, int x, const u64* word_cols) {
    if (x >= 65536) return ~0ull;
    if (x <= 0) return 0ull;
    u64 cur = 0;
    #pragma unroll
    for (int j = 0; j < 16; ++j) {
        if ((r >> j) & 1u) cur ^= word_cols[j];
    }
    // bit m of r (m = 1..15) at position 64 - m; bit 0 falls off.
    u64 prev = ((u64)__brev(r)) << 33;
    u64 lt = 0, eq = ~0ull;
    #pragma unroll
    for (int k = 15; k >= 0; --k) {
        u64 plane = (k == 0) ? cur : ((cur << k) | (prev >> (64 - k)));
        u64 xm = ((x >> k) & 1) ? ~0ull : 0ull;
        lt |= eq & ~plane & xm;
        eq &= ~(plane ^ xm);
    }
    return lt;
}

__device__ __forceinline__ int threshold(double p) {
    double v = rint(p * 65536.0);
    v = fmin(fmax(v, 0.0), 65536.0);
    return (int)v;
}

// Stream i of n (lane i % n_lanes: a batch of rows of n_lanes inputs restarts the seeds per row).
extern "C" __global__ void sc_encode(const double* probs, long long n, long long n_lanes,
                                     long long nw, long long length, unsigned int seed16,
                                     const unsigned short* pow_cols, const u64* word_cols,
                                     u64* out) {
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= n * nw) return;
    long long i = idx / nw, w = idx % nw;
    unsigned int r0 = (unsigned int)((seed16 + (unsigned long long)(i % n_lanes)) & 0xFFFFull);
    if (r0 == 0) r0 = 1;
    unsigned int r = jump_words(r0, w, pow_cols);
    u64 word = encode_word(r, threshold(probs[i]), word_cols);
    if (w == nw - 1) {
        int rem = (int)(length % 64);
        if (rem) word &= (1ull << rem) - 1ull;
    }
    out[idx] = word;
}

// counts[o] += sum_k popcount(W[o, k] & X[k]) over k in this block's slice of n_in * n_words.
extern "C" __global__ void sc_and_popcount(const u64* weights, const u64* inputs,
                                           long long n_out, long long row,
                                           long long per_block, unsigned long long* counts) {
    long long o = blockIdx.x;
    long long lo = (long long)blockIdx.y * per_block;
    long long hi = lo + per_block < row ? lo + per_block : row;
    const u64* wrow = weights + o * row;
    unsigned long long acc = 0;
    for (long long k = lo + threadIdx.x; k < hi; k += blockDim.x) {
        acc += __popcll(wrow[k] & inputs[k]);
    }
    #pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    __shared__ unsigned long long warp_sums[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warp_sums[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        int n_warps = (blockDim.x + 31) >> 5;
        acc = lane < n_warps ? warp_sums[lane] : 0ull;
        #pragma unroll
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0 && acc) atomicAdd(counts + o, acc);
    }
}

// counts[b, o] += sum_k popcount(W[o, k] & X[b, k]) for a tile of 4 outputs x 8 rows over this
// block's slice of k: each thread loads 4 weight and 8 input words per k and does 32 popcounts,
// so every weight word read serves 8 rows. Per-thread sums fit 32 bits (per_block * 64 < 2**32).
extern "C" __global__ void sc_and_popcount_batch(const u64* weights, const u64* inputs,
                                                 long long n_out, long long n_rows, long long row,
                                                 long long per_block,
                                                 unsigned long long* counts) {
    const int TO = 4, TB = 8;  // TO * TB == 32: one accumulator per lane after the transpose
    long long o0 = (long long)blockIdx.x * TO, b0 = (long long)blockIdx.z * TB;
    long long lo = (long long)blockIdx.y * per_block;
    long long hi = lo + per_block < row ? lo + per_block : row;
    unsigned int acc[TO * TB];
    #pragma unroll
    for (int j = 0; j < TO * TB; ++j) acc[j] = 0u;
    for (long long k = lo + threadIdx.x; k < hi; k += blockDim.x) {
        u64 w[TO], x[TB];
        #pragma unroll
        for (int a = 0; a < TO; ++a) w[a] = o0 + a < n_out ? weights[(o0 + a) * row + k] : 0ull;
        #pragma unroll
        for (int b = 0; b < TB; ++b) x[b] = b0 + b < n_rows ? inputs[(b0 + b) * row + k] : 0ull;
        #pragma unroll
        for (int b = 0; b < TB; ++b) {
            #pragma unroll
            for (int a = 0; a < TO; ++a) acc[b * TO + a] += __popcll(w[a] & x[b]);
        }
    }
    // Transposing warp sum (31 shuffles): after the step of width s each lane keeps the half of
    // its accumulators that its bit s selects; at the end lane L holds the warp's total of acc[L].
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    #pragma unroll
    for (int s = 16; s > 0; s >>= 1) {
        bool upper = (lane & s) != 0;
        #pragma unroll
        for (int j = 0; j < s; ++j) {
            unsigned int send = upper ? acc[j] : acc[j + s];
            unsigned int keep = upper ? acc[j + s] : acc[j];
            acc[j] = keep + __shfl_xor_sync(0xffffffffu, send, s);
        }
    }
    __shared__ unsigned int warp_sums[32][TO * TB];
    warp_sums[warp][lane] = acc[0];
    __syncthreads();
    if (warp == 0) {
        int n_warps = (blockDim.x + 31) >> 5;
        unsigned long long total = 0;
        for (int v = 0; v < n_warps; ++v) total += warp_sums[v][lane];
        long long o = o0 + lane % TO, b = b0 + lane / TO;
        if (total && o < n_out && b < n_rows) atomicAdd(counts + b * n_out + o, total);
    }
}
"""

# CuPy's element-wise and reduction kernels (name: in_params, out_params, operation...).
ELEMENTWISE = {
    "sctb_xnor": ("uint64 a, uint64 b, int64 nw, uint64 tail", "uint64 out",
                  "out = ~(a ^ b); if (i % nw == nw - 1) out &= tail;"),
    "sctb_not": ("uint64 a, int64 nw, uint64 tail", "uint64 out",
                 "out = ~a; if (i % nw == nw - 1) out &= tail;"),
    "sctb_mux": ("uint64 s, uint64 a, uint64 b, int64 nw, uint64 tail", "uint64 out",
                 "out = (s & a) | (~s & b); if (i % nw == nw - 1) out &= tail;"),
    "sctb_and": ("uint64 a, uint64 b", "uint64 out", "out = a & b"),
    "sctb_pack": ("raw uint8 bits, int64 n, int64 nw", "uint64 out", """
            long long b = i / nw, w = i % nw;
            unsigned long long word = 0;
            for (int j = 0; j < 64; ++j) {
                long long t = w * 64 + j;
                if (t < n && bits[b * n + t]) word |= 1ull << j;
            }
            out = word;
            """),
    "sctb_unpack": ("raw uint64 words, int64 n, int64 nw", "uint8 out",
                    "long long b = i / n, t = i % n; "
                    "out = (words[b * nw + t / 64] >> (t % 64)) & 1ull;"),
}
REDUCTIONS = {"sctb_popcount": ("uint64 x", "int64 y", "__popcll(x)", "a + b", "y = a", "0")}
