// prove_dense_equiv: bounded functional equivalence of sc_dense with the contract
// (docs/contract.md sections 1, 2 and 4), stated on the ports only.
//
// One transaction from reset, its contents free and constant over the run: the base seed (low
// 16 bits), a length L <= LMAX, N_IN thresholds in [0, 65536], and N_OUT x N_IN weight streams
// of LPAD >= L bits (the bits past L are free too: the core must ignore them). A driver offers
// the beats in order (cfg, N_IN thresholds, ceil(L / W) weight beats); with STALLS = 1 each
// source's valid and the sink's ready are free every cycle (any stall pattern), with STALLS = 0
// always high. Every result beat must equal the spec
// below, written as plain loops from the contract, and out_last must be high on the N_OUT-th
// beat only:
//   result_equals_spec, out_last_on_last.
// A BMC depth of 2 + N_IN + ceil(LMAX / W) + N_OUT covers the whole transaction without stalls
// (with stalls: every stall pattern that fits in the depth).
module prove_dense_equiv #(
    parameter integer N_IN  = 2,
    parameter integer N_OUT = 2,
    parameter integer W     = 4,
    parameter integer LMAX  = 6,
    parameter integer STALLS = 0   // 1: the go bits are free (any stall pattern); 0: no stalls
) (
    input wire clk,
    input wire cfg_go,     // the environment's valids and ready, free every cycle
    input wire thr_go,
    input wire w_go,
    input wire out_go
);
    localparam integer CNT_W = 25 + $clog2(N_IN);
    localparam integer BMAX  = (LMAX + W - 1) / W;
    localparam integer LPAD  = BMAX * W;

    (* anyconst *) reg [15:0]               seed;
    (* anyconst *) reg [24:0]               len;
    (* anyconst *) reg [N_IN*17-1:0]        thr;
    (* anyconst *) reg [N_OUT*N_IN*LPAD-1:0] wts;   // stream (o, i) bit t at (o*N_IN+i)*LPAD+t

    integer a;
    always @* begin
        assume (len <= LMAX);
        if (STALLS == 0) assume (cfg_go && thr_go && w_go && out_go);
        for (a = 0; a < N_IN; a = a + 1) assume (thr[a*17 +: 17] <= 17'd65536);
    end

    // ---- the spec: docs/contract.md, bit by bit ----------------------------------------------
    function [15:0] step;
        input [15:0] r;
        begin
            step = {r[14:0], r[15] ^ r[13] ^ r[12] ^ r[10]};
        end
    endfunction

    function [CNT_W-1:0] spec_count;   // counts[o]
        input integer o;
        integer i, t;
        reg [15:0] s;
        begin
            spec_count = 0;
            for (i = 0; i < N_IN; i = i + 1) begin
                s = seed + i[15:0];
                if (s == 16'd0) s = 16'd1;
                for (t = 0; t < LMAX; t = t + 1) begin
                    if (t < len && wts[(o*N_IN + i)*LPAD + t]
                            && {1'b0, s} < thr[i*17 +: 17])
                        spec_count = spec_count + 1'b1;
                    s = step(s);   // compare first, then advance
                end
            end
        end
    endfunction

    wire [N_OUT*CNT_W-1:0] expect;
    genvar g;
    generate
        for (g = 0; g < N_OUT; g = g + 1) begin : g_spec
            assign expect[g*CNT_W +: CNT_W] = spec_count(g);
        end
    endgenerate

    wire                  res_fire, res_last, done;
    wire [7:0]            res_idx;
    wire [CNT_W-1:0]      res_data;

    formal_dense_run #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W), .LMAX(LMAX)) run (
        .clk(clk), .cfg_go(cfg_go), .thr_go(thr_go), .w_go(w_go), .out_go(out_go),
        .seed(seed), .len(len), .thr(thr), .wts(wts),
        .res_fire(res_fire), .res_idx(res_idx), .res_data(res_data), .res_last(res_last),
        .done(done)
    );

    always @* if (res_fire) begin
        result_equals_spec: assert (res_data == expect[res_idx*CNT_W +: CNT_W]);
        out_last_on_last: assert (res_last == (res_idx == N_OUT - 1));
    end
endmodule

// formal_dense_run: sc_dense #(N_IN, N_OUT, W) from reset through one transaction whose contents
// are inputs (held constant by the caller), each stream's valid/ready gated by a free go bit.
// res_fire marks a result beat (result number res_idx, value res_data, res_last its out_last).
module formal_dense_run #(
    parameter integer N_IN  = 2,
    parameter integer N_OUT = 2,
    parameter integer W     = 4,
    parameter integer LMAX  = 6,
    parameter integer CNT_W = 25 + $clog2(N_IN),
    parameter integer LPAD  = ((LMAX + W - 1) / W) * W
) (
    input  wire                      clk,
    input  wire                      cfg_go,
    input  wire                      thr_go,
    input  wire                      w_go,
    input  wire                      out_go,
    input  wire [15:0]               seed,
    input  wire [24:0]               len,
    input  wire [N_IN*17-1:0]        thr,
    input  wire [N_OUT*N_IN*LPAD-1:0] wts,
    output wire                      res_fire,
    output wire [7:0]                res_idx,
    output wire [CNT_W-1:0]          res_data,
    output wire                      res_last,
    output wire                      done
);
    // ---- the driver --------------------------------------------------------------------------
    localparam [2:0] D_RST = 3'd0, D_CFG = 3'd1, D_THR = 3'd2, D_W = 3'd3, D_OUT = 3'd4,
                     D_DONE = 3'd5;
    reg [2:0] ph = D_RST;
    reg [7:0] k = 0;     // beat index within the phase
    wire [7:0] n_beats = (len + W - 1) / W;

    wire             cfg_ready, thr_ready, w_ready, out_valid, out_last;
    wire [CNT_W-1:0] out_data;
    wire cfg_valid = (ph == D_CFG) && cfg_go;
    wire thr_valid = (ph == D_THR) && thr_go;
    wire w_valid   = (ph == D_W) && w_go;
    wire out_ready = (ph == D_OUT) && out_go;

    reg [N_OUT*N_IN*W-1:0] w_data;
    integer o2, i2, j2;
    always @* begin
        for (o2 = 0; o2 < N_OUT; o2 = o2 + 1)
            for (i2 = 0; i2 < N_IN; i2 = i2 + 1)
                for (j2 = 0; j2 < W; j2 = j2 + 1)
                    w_data[(o2*N_IN + i2)*W + j2] = wts[(o2*N_IN + i2)*LPAD + k*W + j2];
    end

    sc_dense #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W)) dut (
        .clk(clk), .rst(ph == D_RST),
        .cfg_valid(cfg_valid), .cfg_ready(cfg_ready), .cfg_seed(seed), .cfg_length(len),
        .thr_valid(thr_valid), .thr_ready(thr_ready), .thr_data(thr[k*17 +: 17]),
        .w_valid(w_valid), .w_ready(w_ready), .w_data(w_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data), .out_last(out_last)
    );

    always @(posedge clk) begin
        case (ph)
            D_RST: ph <= D_CFG;
            D_CFG: if (cfg_valid && cfg_ready) begin ph <= D_THR; k <= 0; end
            D_THR: if (thr_valid && thr_ready) begin
                if (k == N_IN - 1) begin ph <= (n_beats == 0) ? D_OUT : D_W; k <= 0; end
                else k <= k + 1'b1;
            end
            D_W: if (w_valid && w_ready) begin
                if (k == n_beats - 1) begin ph <= D_OUT; k <= 0; end
                else k <= k + 1'b1;
            end
            D_OUT: if (out_valid && out_ready) begin
                if (k == N_OUT - 1) ph <= D_DONE;
                k <= k + 1'b1;
            end
            default: ;
        endcase
    end

    assign res_fire = out_valid && out_ready;
    assign res_idx  = k;
    assign res_data = out_data;
    assign res_last = out_last;
    assign done     = (ph == D_DONE);
endmodule

