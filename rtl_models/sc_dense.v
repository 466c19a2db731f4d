// sc_dense: SC dense-layer core computing the contract's counts exactly (docs/microarchitecture.md).
//
// One transaction: a cfg beat (base seed, length), N_IN threshold beats, ceil(length / W) weight
// beats, then N_OUT result beats counts[0] .. counts[N_OUT-1]; then the next transaction.
// counts[o] = sum over i and t < length of W[o][i][t] & (state_t(i) < x[i]), where input i's LFSR
// starts at (seed + i) & 0xFFFF (0 -> 1) and advances once per stream bit.
`default_nettype none

module sc_dense #(
    parameter integer N_IN  = 16,
    parameter integer N_OUT = 8,
    parameter integer W     = 64,
    // Derived widths (do not override): stream length and count registers.
    parameter integer LEN_W = 25,
    parameter integer CNT_W = LEN_W + $clog2(N_IN)
) (
    input  wire                    clk,
    input  wire                    rst,          // synchronous, active high
    // cfg stream: one beat per transaction
    input  wire                    cfg_valid,
    output wire                    cfg_ready,
    input  wire [15:0]             cfg_seed,     // low 16 bits of the base seed
    input  wire [LEN_W-1:0]        cfg_length,   // stream length in bits, 0 .. 2**25 - 1
    // threshold stream: N_IN beats, input 0 first
    input  wire                    thr_valid,
    output wire                    thr_ready,
    input  wire [16:0]             thr_data,     // x_i in [0, 65536]
    // weight stream: ceil(length / W) beats, bits [k*W, k*W + W) of every weight stream
    input  wire                    w_valid,
    output wire                    w_ready,
    input  wire [N_OUT*N_IN*W-1:0] w_data,       // stream (o, i) at [(o*N_IN + i)*W +: W]
    // result stream: N_OUT beats, output 0 first
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [CNT_W-1:0]        out_data,
    output wire                    out_last
);
    localparam integer SUM_W = $clog2(N_IN * W + 1);         // width of one beat's count
    localparam integer MAX_N = (N_IN > N_OUT) ? N_IN : N_OUT;
    localparam integer IDX_W = $clog2(MAX_N + 1);

    localparam [1:0] S_CFG = 2'd0, S_THR = 2'd1, S_RUN = 2'd2, S_OUT = 2'd3;
    localparam integer     LAST_IN_I  = N_IN - 1;
    localparam integer     LAST_OUT_I = N_OUT - 1;
    localparam [IDX_W-1:0] LAST_IN    = LAST_IN_I[IDX_W-1:0];
    localparam [IDX_W-1:0] LAST_OUT   = LAST_OUT_I[IDX_W-1:0];
    localparam [IDX_W-1:0] IDX_ONE    = 1;
    localparam [LEN_W-1:0] W_LEN      = W[LEN_W-1:0];
    localparam [LEN_W-1:0] LEN_ZERO = 0;

    reg [1:0]       state;
    reg [IDX_W-1:0] idx;     // threshold beat (S_THR) or result beat (S_OUT) index
    reg [LEN_W-1:0] rem;     // stream bits still to come (S_RUN)

    wire cfg_fire = cfg_valid & cfg_ready;
    wire thr_fire = thr_valid & thr_ready;
    wire w_fire   = w_valid & w_ready;
    wire out_fire = out_valid & out_ready;

    assign cfg_ready = (state == S_CFG);
    assign thr_ready = (state == S_THR);
    assign w_ready   = (state == S_RUN);
    assign out_valid = (state == S_OUT);
    assign out_last  = (state == S_OUT) && (idx == LAST_OUT);

    // ---- control -------------------------------------------------------------------------
    always @(posedge clk) begin
        if (rst) begin
            state <= S_CFG;
            idx   <= {IDX_W{1'b0}};
            rem   <= LEN_ZERO;
        end else begin
            case (state)
                S_CFG: if (cfg_fire) begin
                    rem   <= cfg_length;
                    idx   <= {IDX_W{1'b0}};
                    state <= S_THR;
                end
                S_THR: if (thr_fire) begin
                    if (idx == LAST_IN) begin
                        idx   <= {IDX_W{1'b0}};
                        state <= (rem == LEN_ZERO) ? S_OUT : S_RUN;
                    end else begin
                        idx <= idx + IDX_ONE;
                    end
                end
                S_RUN: if (w_fire) begin
                    if (rem > W_LEN) begin
                        rem <= rem - W_LEN;
                    end else begin
                        rem   <= LEN_ZERO;
                        state <= S_OUT;
                    end
                end
                default: if (out_fire) begin   // S_OUT
                    if (idx == LAST_OUT) begin
                        idx   <= {IDX_W{1'b0}};
                        state <= S_CFG;
                    end else begin
                        idx <= idx + IDX_ONE;
                    end
                end
            endcase
        end
    end

    // ---- assertions (simulation only; docs/coverage.md) ---------------------------------------
    // Named invariants of the control: a failure stops the simulation with "sctb-assert NAME",
    // which the runner turns into a failing test. Checked from the first reset on.
`ifndef SYNTHESIS
    // verilator coverage_off
    reg             a_armed;          // a reset was seen
    reg             a_run_fire;       // the last edge took a weight beat
    reg [LEN_W-1:0] a_rem;            // rem before that edge
    reg             a_out_stall;      // the last edge offered a result beat that was not taken
    reg [CNT_W-1:0] a_out_data;       // the result beat offered then
    initial a_armed = 1'b0;
    always @(posedge clk) begin
        if (rst) a_armed <= 1'b1;
        a_run_fire  <= !rst && w_fire;
        a_rem       <= rem;
        a_out_stall <= !rst && out_valid && !out_ready;
        a_out_data  <= out_data;
    end
    always @(posedge clk) if (a_armed && !rst) begin
        // Exactly one stream is open: the state decodes to one ready/valid.
        assert (({1'b0, cfg_ready} + {1'b0, thr_ready} + {1'b0, w_ready}
                 + {1'b0, out_valid}) == 2'd1)
            else $fatal(1, "sctb-assert sc_dense.state_legal: state %0d at time %0t",
                        state, $time);
        // rem counts down without wrapping: nonzero while weights are due, zero outside S_THR.
        assert ((state == S_RUN) ? (rem != LEN_ZERO)
                                 : (state == S_THR || rem == LEN_ZERO))
            else $fatal(1, "sctb-assert sc_dense.rem_no_wrap: rem %0d in state %0d at time %0t",
                        rem, state, $time);
        assert (!a_run_fire || rem < a_rem)
            else $fatal(1, "sctb-assert sc_dense.rem_no_wrap: rem %0d after %0d at time %0t",
                        rem, a_rem, $time);
        // Moore result stream: an offered beat stays offered, unchanged, until it is taken.
        assert (!a_out_stall || (out_valid && out_data == a_out_data))
            else $fatal(1, "sctb-assert sc_dense.out_valid_stable: beat dropped or changed under back-pressure at time %0t", $time);
    end
    // verilator coverage_on
`endif

    // ---- valid-bit mask of the current weight beat: bit j is stream bit < length -----------
    wire [W-1:0] mask;
    genvar i, j, o;
    generate
        for (j = 0; j < W; j = j + 1) begin : g_mask
            localparam [LEN_W-1:0] J = j;
            assign mask[j] = (rem > J);
        end
    endgenerate

    // ---- per input: threshold shift register, LFSR, comparator ------------------------------
    generate
        for (i = 0; i < N_IN; i = i + 1) begin : g_in
            localparam [15:0] I16 = i;
            reg  [16:0]     thr;
            wire [16*W-1:0] states;
            wire [W-1:0]    bits;
            wire [W-1:0]    x;      // input i's W stream bits of this beat, masked

            // Thresholds shift in from the top: after N_IN beats, input i holds beat i.
            if (i == N_IN - 1) begin : g_tail
                always @(posedge clk) if (thr_fire) thr <= thr_data;
            end else begin : g_body
                always @(posedge clk) if (thr_fire) thr <= g_in[i+1].thr;
            end

            sc_lfsr16 #(.W(W)) u_lfsr (
                .clk     (clk),
                .load    (cfg_fire),
                .seed    (cfg_seed + I16),
                .advance (w_fire),
                .states  (states)
            );

            sc_sng #(.W(W)) u_sng (
                .states (states),
                .x      (thr),
                .bits   (bits)
            );

            assign x = bits & mask;
        end
    endgenerate

    // ---- per output: AND with the weights, popcount per input, sum, accumulator --------------
    generate
        for (o = 0; o < N_OUT; o = o + 1) begin : g_out
            reg [CNT_W-1:0] acc;

            for (i = 0; i < N_IN; i = i + 1) begin : g_term
                wire [SUM_W-1:0] pc;    // ones of W[o][i] & x[i] in this beat
                wire [SUM_W-1:0] sum;   // pc of inputs 0 .. i

                sc_popcount #(.W(W), .OUT_W(SUM_W)) u_pop (
                    .in    (w_data[(o*N_IN + i)*W +: W] & g_in[i].x),
                    .count (pc)
                );
                if (i == 0) begin : g_first
                    assign sum = pc;
                end else begin : g_next
                    assign sum = g_term[i-1].sum + pc;
                end
            end

`ifndef SYNTHESIS
            // verilator coverage_off
            // The accumulator never overflows: CNT_W holds N_IN * (2**LEN_W - 1).
            wire [CNT_W:0] a_next = {1'b0, acc} + {{(CNT_W+1-SUM_W){1'b0}}, g_term[N_IN-1].sum};
            always @(posedge clk) if (!rst && w_fire) begin
                assert (!a_next[CNT_W])
                    else $fatal(1, "sctb-assert sc_dense.acc_no_overflow: output %0d at time %0t",
                                o, $time);
            end
            // verilator coverage_on
`endif

            // Cleared by the cfg beat, accumulated per weight beat, then shifted out towards
            // output 0 one result beat at a time.
            if (o == N_OUT - 1) begin : g_tail
                always @(posedge clk) begin
                    if (cfg_fire)      acc <= {CNT_W{1'b0}};
                    else if (w_fire)   acc <= acc + {{(CNT_W-SUM_W){1'b0}}, g_term[N_IN-1].sum};
                    else if (out_fire) acc <= {CNT_W{1'b0}};
                end
            end else begin : g_body
                always @(posedge clk) begin
                    if (cfg_fire)      acc <= {CNT_W{1'b0}};
                    else if (w_fire)   acc <= acc + {{(CNT_W-SUM_W){1'b0}}, g_term[N_IN-1].sum};
                    else if (out_fire) acc <= g_out[o+1].acc;
                end
            end
        end
    endgenerate

    assign out_data = g_out[0].acc;
endmodule

`default_nettype wire
