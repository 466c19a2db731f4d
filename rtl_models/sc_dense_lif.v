// sc_dense_lif: an sc_dense core whose N_OUT counts drive N_OUT Q8.8 LIF neurons
// (docs/contract.md section 9, docs/microarchitecture.md "sc_dense_lif").
//
// One transaction is one time step: the cfg beat (seed, length and this step's per-neuron noise),
// N_IN threshold beats and ceil(length / W) weight beats go to sc_dense unchanged; its N_OUT
// result beats are collected into a count vector, sc_dot_to_current turns it into currents
// (full scale n_full, y_min, y_max), and sc_lif updates the neurons, whose state persists across
// transactions (rst puts every membrane at v_rest). The step's result leaves as ONE output beat
// (out_spike, out_v: the membranes after the step). While that beat, or a step on its way to it,
// is pending, the core's result stream is not accepted: back-pressure on the output stalls the
// core, and nothing is dropped. All ready/valid outputs are functions of registers (Moore).
`default_nettype none

module sc_dense_lif #(
    parameter integer N_IN  = 16,
    parameter integer N_OUT = 8,
    parameter integer W     = 64,
    // Derived widths (do not override): stream length and count registers of sc_dense.
    parameter integer LEN_W = 25,
    parameter integer CNT_W = LEN_W + $clog2(N_IN)
) (
    input  wire                    clk,
    input  wire                    rst,          // synchronous, active high
    // cfg stream: one beat per step
    input  wire                    cfg_valid,
    output wire                    cfg_ready,
    input  wire [15:0]             cfg_seed,     // low 16 bits of the step's base seed
    input  wire [LEN_W-1:0]        cfg_length,   // stream length in bits
    input  wire [N_OUT*16-1:0]     cfg_noise,    // the step's noise, lane k at [k*16 +: 16]
    // threshold stream: N_IN beats, input 0 first
    input  wire                    thr_valid,
    output wire                    thr_ready,
    input  wire [16:0]             thr_data,
    // weight stream: ceil(length / W) beats
    input  wire                    w_valid,
    output wire                    w_ready,
    input  wire [N_OUT*N_IN*W-1:0] w_data,
    // configuration, held steady while steps run
    input  wire [30:0]             n_full,       // full-scale count, 1 .. 2**31 - 1
    input  wire signed [15:0]      y_min,        // Q8.8 current at count 0
    input  wire signed [15:0]      y_max,        // Q8.8 current at count n_full
    input  wire signed [15:0]      v_rest,
    input  wire signed [15:0]      v_reset,
    input  wire signed [15:0]      v_th,
    input  wire [8:0]              leak,         // unsigned Q0.8, 0 .. 256
    input  wire signed [15:0]      gain,
    input  wire [15:0]             refractory,
    // output stream: one beat per step
    output reg                     out_valid,
    input  wire                    out_ready,
    output wire [N_OUT-1:0]        out_spike,    // spikes of the step
    output wire [N_OUT*16-1:0]     out_v         // membranes after the step, lane k at [k*16 +: 16]
);
    localparam integer D_W = (CNT_W < 31) ? CNT_W : 31;   // count width into sc_dot_to_current

    // ---- the core ----------------------------------------------------------------------------
    wire             core_out_valid;
    wire             core_out_ready;
    wire [CNT_W-1:0] core_out_data;
    wire             core_out_last;

    sc_dense #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W)) u_core (
        .clk        (clk),
        .rst        (rst),
        .cfg_valid  (cfg_valid),
        .cfg_ready  (cfg_ready),
        .cfg_seed   (cfg_seed),
        .cfg_length (cfg_length),
        .thr_valid  (thr_valid),
        .thr_ready  (thr_ready),
        .thr_data   (thr_data),
        .w_valid    (w_valid),
        .w_ready    (w_ready),
        .w_data     (w_data),
        .out_valid  (core_out_valid),
        .out_ready  (core_out_ready),
        .out_data   (core_out_data),
        .out_last   (core_out_last)
    );

    // ---- collection: N_OUT result beats -> count vector ---------------------------------------
    reg  [N_OUT*CNT_W-1:0] cnt;          // beat k at [k*CNT_W +: CNT_W] once all were taken
    reg                    cnt_valid;    // the vector is complete: sc_dot_to_current takes it
    reg  [N_OUT*16-1:0]    noise_cfg;    // noise of the step whose cfg beat was taken last
    reg  [N_OUT*16-1:0]    noise_step;   // noise of the step in the neuron pipeline
    wire                   d2c_valid;    // currents ready: sc_lif takes them
    wire [N_OUT*16-1:0]    current;

    wire pending   = cnt_valid | d2c_valid | out_valid;   // a step not yet handed out
    wire cfg_fire  = cfg_valid & cfg_ready;
    wire core_fire = core_out_valid & core_out_ready;
    wire out_fire  = out_valid & out_ready;

    assign core_out_ready = ~pending;

    always @(posedge clk) begin
        if (rst) begin
            cnt_valid  <= 1'b0;
            out_valid  <= 1'b0;
            noise_cfg  <= {(N_OUT*16){1'b0}};
            noise_step <= {(N_OUT*16){1'b0}};
        end else begin
            if (cfg_fire) noise_cfg <= cfg_noise;
            if (core_fire && core_out_last) noise_step <= noise_cfg;
            cnt_valid <= core_fire & core_out_last;
            if (d2c_valid)     out_valid <= 1'b1;   // sc_lif updates on this edge
            else if (out_fire) out_valid <= 1'b0;
        end
    end

    // Result beat k shifts in from the top: after N_OUT beats, beat k is at [k*CNT_W +: CNT_W].
    generate
        if (N_OUT > 1) begin : g_shift
            always @(posedge clk) begin
                if (rst)            cnt <= {(N_OUT*CNT_W){1'b0}};
                else if (core_fire) cnt <= {core_out_data, cnt[N_OUT*CNT_W-1:CNT_W]};
            end
        end else begin : g_one
            always @(posedge clk) begin
                if (rst)            cnt <= {CNT_W{1'b0}};
                else if (core_fire) cnt <= core_out_data;
            end
        end
    endgenerate

    // Counts never exceed n_full < 2**31 under the contract; a wider count (N_IN > 64) is clamped
    // to 31 bits so that an out-of-contract count saturates the current instead of wrapping.
    wire [N_OUT*D_W-1:0] cnt_d;
    genvar k;
    generate
        for (k = 0; k < N_OUT; k = k + 1) begin : g_cnt
            wire [CNT_W-1:0] c = cnt[k*CNT_W +: CNT_W];
            if (CNT_W > D_W) begin : g_clamp
                assign cnt_d[k*D_W +: D_W] = (|c[CNT_W-1:D_W]) ? {D_W{1'b1}} : c[D_W-1:0];
            end else begin : g_pass
                assign cnt_d[k*D_W +: D_W] = c;
            end
        end
    endgenerate

    // ---- neurons -------------------------------------------------------------------------------
    sc_dot_to_current #(.N(N_OUT), .CNT_W(D_W)) u_d2c (
        .clk       (clk),
        .rst       (rst),
        .in_valid  (cnt_valid),
        .count     (cnt_d),
        .n_in      (n_full),
        .y_min     (y_min),
        .y_max     (y_max),
        .out_valid (d2c_valid),
        .current   (current)
    );

    wire               lif_out_valid;   // unused: out_valid holds the step until it is taken
    wire [N_OUT*16-1:0] lif_ref_cnt;    // unused outside (visible in u_lif)

    sc_lif #(.N(N_OUT)) u_lif (
        .clk        (clk),
        .rst        (rst),
        .in_valid   (d2c_valid),
        .current    (current),
        .noise      (noise_step),
        .v_rest     (v_rest),
        .v_reset    (v_reset),
        .v_th       (v_th),
        .leak       (leak),
        .gain       (gain),
        .refractory (refractory),
        .out_valid  (lif_out_valid),
        .spike      (out_spike),
        .v          (out_v),
        .ref_cnt    (lif_ref_cnt)
    );

    wire unused = &{1'b0, lif_out_valid, lif_ref_cnt};

    // ---- assertions (simulation only; docs/coverage.md) ----------------------------------------
`ifndef SYNTHESIS
    // verilator coverage_off
    reg                 a_armed;          // a reset was seen
    reg                 a_stall;          // the last edge offered a step that was not taken
    reg [N_OUT-1:0]     a_spike;          // the step offered then
    reg [N_OUT*16-1:0]  a_v;
    initial a_armed = 1'b0;
    always @(posedge clk) begin
        if (rst) a_armed <= 1'b1;
        a_stall <= !rst && out_valid && !out_ready;
        a_spike <= out_spike;
        a_v     <= out_v;
    end
    always @(posedge clk) if (a_armed && !rst) begin
        // Moore output stream: an offered step stays offered, unchanged, until it is taken.
        assert (!a_stall || (out_valid && out_spike == a_spike && out_v == a_v))
            else $fatal(1, "sctb-assert sc_dense_lif.out_valid_stable: step dropped or changed under back-pressure at time %0t", $time);
        // Nothing is dropped: no core result is taken while a step is pending.
        assert (!(core_fire && pending))
            else $fatal(1, "sctb-assert sc_dense_lif.no_drop: core result taken while a step is pending at time %0t", $time);
    end
    // verilator coverage_on
`endif
endmodule

`default_nettype wire
