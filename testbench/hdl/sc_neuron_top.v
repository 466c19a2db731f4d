// sc_neuron_top: test top exposing sc_dot_to_current and sc_lif (N lanes each) side by side.
`default_nettype none

module sc_neuron_top #(
    parameter integer N = 4
) (
    input  wire                 clk,
    input  wire                 rst,
    // sc_dot_to_current
    input  wire                 d2c_in_valid,
    input  wire [N*31-1:0]      d2c_count,
    input  wire [30:0]          d2c_n_in,
    input  wire signed [15:0]   d2c_y_min,
    input  wire signed [15:0]   d2c_y_max,
    output wire                 d2c_out_valid,
    output wire [N*16-1:0]      d2c_current,
    // sc_lif
    input  wire                 lif_in_valid,
    input  wire [N*16-1:0]      lif_current,
    input  wire [N*16-1:0]      lif_noise,
    input  wire signed [15:0]   lif_v_rest,
    input  wire signed [15:0]   lif_v_reset,
    input  wire signed [15:0]   lif_v_th,
    input  wire [8:0]           lif_leak,
    input  wire signed [15:0]   lif_gain,
    input  wire [15:0]          lif_refractory,
    output wire                 lif_out_valid,
    output wire [N-1:0]         lif_spike,
    output wire [N*16-1:0]      lif_v,
    output wire [N*16-1:0]      lif_ref_cnt
);
    sc_dot_to_current #(.N(N), .CNT_W(31)) u_d2c (
        .clk(clk), .rst(rst), .in_valid(d2c_in_valid), .count(d2c_count), .n_in(d2c_n_in),
        .y_min(d2c_y_min), .y_max(d2c_y_max), .out_valid(d2c_out_valid), .current(d2c_current)
    );
    sc_lif #(.N(N)) u_lif (
        .clk(clk), .rst(rst), .in_valid(lif_in_valid), .current(lif_current), .noise(lif_noise),
        .v_rest(lif_v_rest), .v_reset(lif_v_reset), .v_th(lif_v_th), .leak(lif_leak),
        .gain(lif_gain), .refractory(lif_refractory), .out_valid(lif_out_valid),
        .spike(lif_spike), .v(lif_v), .ref_cnt(lif_ref_cnt)
    );
endmodule

`default_nettype wire
