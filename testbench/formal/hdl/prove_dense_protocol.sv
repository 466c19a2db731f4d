// prove_dense_protocol: the sc_dense handshake protocol, stated on the ports only (any
// microarchitecture with sc_dense's ports), proved by k-induction.
//
// The environment drives every input freely, with two assumptions: lengths are at most LMAX,
// and no source (cfg_valid, thr_valid, w_valid) or the sink (out_ready) idles more than STALL
// cycles in a row. rst is free (high at the first cycle). A checker follows the beats that
// transfer and asserts:
//   one_input_ready     at most one of cfg_ready, thr_ready, w_ready is high;
//   cfg_in_order        cfg is taken only between transactions, after the previous one's
//                       results (docs/microarchitecture.md: "then the next transaction");
//   thr_count           threshold beats are taken only after cfg, N_IN of them;
//   w_count             weight beats only after the thresholds, ceil(L / W) of them;
//   out_only_after_in   result beats only for a transaction whose inputs are all in;
//   out_last_exact      out_last on a result beat exactly when it is the N_OUT-th;
//   stall_holds         a result beat offered and not taken stays, with the same data;
//   no_overflow         at most one transaction in flight, no count past its end;
//   progress            some beat transfers within STALL + LAT cycles (no deadlock).
module prove_dense_protocol #(
    parameter integer N_IN  = 2,
    parameter integer N_OUT = 2,
    parameter integer W     = 2,
    parameter integer LMAX  = 5,
    parameter integer STALL = 1,
    parameter integer LAT   = 4
) (
    input wire                    clk,
    input wire                    rst,
    input wire                    cfg_valid,
    input wire [15:0]             cfg_seed,
    input wire [24:0]             cfg_length,
    input wire                    thr_valid,
    input wire [16:0]             thr_data,
    input wire                    w_valid,
    input wire [N_OUT*N_IN*W-1:0] w_data,
    input wire                    out_ready
);
    localparam integer CNT_W = 25 + $clog2(N_IN);
    localparam integer BMAX  = (LMAX + W - 1) / W;   // most weight beats of a transaction
    localparam integer C_W   = 8;

    wire             cfg_ready, thr_ready, w_ready, out_valid, out_last;
    wire [CNT_W-1:0] out_data;

    sc_dense #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W)) dut (
        .clk(clk), .rst(rst),
        .cfg_valid(cfg_valid), .cfg_ready(cfg_ready), .cfg_seed(cfg_seed),
        .cfg_length(cfg_length),
        .thr_valid(thr_valid), .thr_ready(thr_ready), .thr_data(thr_data),
        .w_valid(w_valid), .w_ready(w_ready), .w_data(w_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data), .out_last(out_last)
    );

    // ---- environment ----------------------------------------------------------------------
    reg init = 1'b1;
    always @(posedge clk) init <= 1'b0;
    reg [C_W-1:0] idle_cfg = 0, idle_thr = 0, idle_w = 0, idle_out = 0;
    always @(posedge clk) begin
        idle_cfg <= cfg_valid ? 0 : idle_cfg + 1'b1;
        idle_thr <= thr_valid ? 0 : idle_thr + 1'b1;
        idle_w   <= w_valid   ? 0 : idle_w + 1'b1;
        idle_out <= out_ready ? 0 : idle_out + 1'b1;
    end
    always @* begin
        if (init) assume (rst);
        assume (cfg_length <= LMAX);
        assume (idle_cfg <= STALL && idle_thr <= STALL && idle_w <= STALL && idle_out <= STALL);
    end

    // ---- checker --------------------------------------------------------------------------
    wire cfg_fire = cfg_valid & cfg_ready;
    wire thr_fire = thr_valid & thr_ready;
    wire w_fire   = w_valid & w_ready;
    wire out_fire = out_valid & out_ready;

    localparam [1:0] P_CFG = 2'd0, P_THR = 2'd1, P_W = 2'd2;
    reg [1:0]     phase   = P_CFG;   // the input beat expected next
    reg [C_W-1:0] thr_cnt = 0;       // threshold beats of this transaction so far
    reg [C_W-1:0] w_left  = 0;       // weight beats still due
    reg [C_W-1:0] pending = 0;       // transactions whose inputs are in and results not all out
    reg [C_W-1:0] out_cnt = 0;       // result beats of the oldest such transaction so far
    reg [C_W-1:0] quiet   = 0;       // cycles since the last transfer

    wire [C_W-1:0] beats = (cfg_length + W - 1) / W;
    wire in_done = (thr_fire && thr_cnt == N_IN - 1 && w_left == 0)
                || (w_fire && w_left == 1);
    wire out_done = out_fire && out_cnt == N_OUT - 1;

    always @(posedge clk) begin
        if (rst) begin
            phase <= P_CFG; thr_cnt <= 0; w_left <= 0; pending <= 0; out_cnt <= 0; quiet <= 0;
        end else begin
            quiet <= (cfg_fire | thr_fire | w_fire | out_fire) ? 0 : quiet + 1'b1;
            if (cfg_fire) begin
                phase <= P_THR; thr_cnt <= 0; w_left <= beats;
            end
            if (thr_fire) begin
                thr_cnt <= thr_cnt + 1'b1;
                if (thr_cnt == N_IN - 1) phase <= (w_left == 0) ? P_CFG : P_W;
            end
            if (w_fire) begin
                w_left <= w_left - 1'b1;
                if (w_left == 1) phase <= P_CFG;
            end
            if (out_fire) out_cnt <= out_done ? 0 : out_cnt + 1'b1;
            pending <= pending + in_done - out_done;
        end
    end

    // A result beat offered and not taken, one cycle ago.
    reg             held = 1'b0;
    reg [CNT_W-1:0] held_data;
    reg             held_last;
    always @(posedge clk) begin
        held      <= !rst && out_valid && !out_ready;
        held_data <= out_data;
        held_last <= out_last;
    end

    always @* if (!init && !rst) begin
        one_input_ready: assert ((cfg_ready + thr_ready + w_ready) <= 1);
        cfg_in_order: assert (!cfg_ready || (phase == P_CFG && pending == 0));
        thr_count: assert (!thr_ready || (phase == P_THR && thr_cnt < N_IN));
        w_count: assert (!w_ready || (phase == P_W && w_left != 0 && w_left <= BMAX));
        out_only_after_in: assert (!out_valid || pending != 0);
        out_last_exact: assert (!out_valid || (out_last == (out_cnt == N_OUT - 1)));
        stall_holds: assert (!held || (out_valid && out_data == held_data
                                       && out_last == held_last));
        no_overflow: assert (pending <= 1 && out_cnt < N_OUT && thr_cnt <= N_IN
                             && (pending != 0 || out_cnt == 0));
        progress: assert (quiet <= STALL + LAT);
        // The checker's own bookkeeping is consistent (an invariant for the induction).
        checker_consistent: assert (phase != 2'd3 && w_left <= BMAX
                                    && (pending == 0 || phase == P_CFG)
                                    && (phase != P_CFG || w_left == 0)
                                    && (phase != P_THR || thr_cnt < N_IN)
                                    && (phase != P_W || (w_left != 0 && thr_cnt == N_IN)));
    end
endmodule
