// sc_lif: N fixed-point LIF neurons, one update per in_valid clock (docs/contract.md section 9.2).
//
// Per neuron, unless refractory (ref != 0: hold v_reset, count down, no spike):
//   s  = v + ((v_rest - v) * leak >>> 8) + (current * gain >>> 8) + noise   (exact: |s| < 2**23)
//   v' = saturate(s) to [-32768, 32767] (the final sum only); spike = v' >= v_th (signed);
//   v <- spike ? v_reset : v';  ref <- spike ? refractory : 0.
// spike and out_valid are registered with the update; a clock without in_valid keeps v, ref and
// spike and drops out_valid. rst puts every membrane at v_rest and clears ref and spike.
`default_nettype none

module sc_lif #(
    parameter integer N = 8     // neurons in parallel
) (
    input  wire                 clk,
    input  wire                 rst,        // synchronous, active high
    input  wire                 in_valid,
    input  wire [N*16-1:0]      current,    // lane k at [k*16 +: 16], signed Q8.8
    input  wire [N*16-1:0]      noise,      // lane k at [k*16 +: 16], signed Q8.8
    input  wire signed [15:0]   v_rest,     // parameters, held steady (signed Q8.8)
    input  wire signed [15:0]   v_reset,
    input  wire signed [15:0]   v_th,
    input  wire [8:0]           leak,       // unsigned Q0.8, 0 .. 256
    input  wire signed [15:0]   gain,       // signed Q8.8
    input  wire [15:0]          refractory, // steps held at v_reset after a spike
    output reg                  out_valid,
    output reg  [N-1:0]         spike,
    output reg  [N*16-1:0]      v,          // membranes, lane k at [k*16 +: 16]
    output reg  [N*16-1:0]      ref_cnt     // refractory counters, lane k at [k*16 +: 16]
);
    localparam signed [31:0] Q_MAX = 32'sd32767;
    localparam signed [31:0] Q_MIN = -32'sd32768;

    genvar k;
    generate
        for (k = 0; k < N; k = k + 1) begin : g_n
            wire signed [15:0] vk   = v[k*16 +: 16];
            wire signed [15:0] ik   = current[k*16 +: 16];
            wire signed [15:0] nk   = noise[k*16 +: 16];
            wire [15:0]        rk   = ref_cnt[k*16 +: 16];
            wire signed [16:0] dv   = {v_rest[15], v_rest} - {vk[15], vk};
            wire signed [26:0] lp   = dv * $signed({1'b0, leak});       // 17 x 10 bits
            wire signed [31:0] ip   = ik * gain;                          // 16 x 16 bits
            wire signed [26:0] dl   = lp >>> 8;                           // floor
            wire signed [31:0] di   = ip >>> 8;                           // floor
            wire signed [31:0] s    = {{16{vk[15]}}, vk} + {{5{dl[26]}}, dl} + di
                                      + {{16{nk[15]}}, nk};                // exact, |s| < 2**23
            wire [15:0]        sat  = (s > Q_MAX) ? 16'h7fff : (s < Q_MIN) ? 16'h8000 : s[15:0];
            wire               hold = (rk != 16'd0);
            wire               fire = !hold && ($signed(sat) >= v_th);
`ifndef SYNTHESIS
            // verilator coverage_off
            // The unsaturated sum is exact: |s| < 2**23 (simulation only; docs/coverage.md).
            always @(posedge clk) if (!rst && in_valid) begin
                assert (s < 32'sd8388608 && s > -32'sd8388608)
                    else $fatal(1, "sctb-assert sc_lif.sum_in_range: neuron %0d sum %0d at time %0t", k, s, $time);
            end
            // verilator coverage_on
`endif
            always @(posedge clk) begin
                if (rst) begin
                    v[k*16 +: 16]       <= v_rest;
                    ref_cnt[k*16 +: 16] <= 16'd0;
                    spike[k]            <= 1'b0;
                end else if (in_valid) begin
                    v[k*16 +: 16]       <= (hold || fire) ? v_reset : sat;
                    ref_cnt[k*16 +: 16] <= hold ? rk - 16'd1 : (fire ? refractory : 16'd0);
                    spike[k]            <= fire;
                end
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) out_valid <= 1'b0;
        else     out_valid <= in_valid;
    end
endmodule

`default_nettype wire
