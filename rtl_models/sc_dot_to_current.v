// sc_dot_to_current: N dot-product counts -> N signed Q8.8 currents (docs/contract.md section 9.1).
//
// current = y_min + floor((y_max - y_min) * count / n_in), with the difference in 17 bits signed,
// an exact signed product of at least 48 bits and division rounding toward minus infinity. For
// 0 <= count <= n_in the result lies between y_min and y_max; a count beyond n_in (outside the
// contract) saturates to [-32768, 32767] instead of wrapping. One register stage: the result of
// an in_valid clock appears with out_valid on the next clock. No back-pressure.
`default_nettype none

module sc_dot_to_current #(
    parameter integer N     = 8,    // lanes (neurons) in parallel
    parameter integer CNT_W = 31    // count width, 1 .. 31 (counts never exceed n_in < 2**31)
) (
    input  wire                 clk,
    input  wire                 rst,        // synchronous, active high: drops out_valid
    input  wire                 in_valid,
    input  wire [N*CNT_W-1:0]   count,      // lane k at [k*CNT_W +: CNT_W], unsigned
    input  wire [30:0]          n_in,       // full-scale count, 1 .. 2**31 - 1 (held steady)
    input  wire signed [15:0]   y_min,      // Q8.8 current at count 0 (held steady)
    input  wire signed [15:0]   y_max,      // Q8.8 current at count n_in (held steady)
    output reg                  out_valid,
    output reg  [N*16-1:0]      current     // lane k at [k*16 +: 16], signed Q8.8
);
    localparam integer P_W = 49;            // 17-bit difference x 32-bit count, >= 48
    localparam signed [P_W-1:0] ONE = 1;
    localparam signed [P_W+1:0] Q_MAX = 32767;
    localparam signed [P_W+1:0] Q_MIN = -32768;

    wire signed [16:0]    diff = {y_max[15], y_max} - {y_min[15], y_min};
    wire signed [P_W-1:0] den  = $signed({{(P_W-31){1'b0}}, n_in});

    genvar k;
    generate
        for (k = 0; k < N; k = k + 1) begin : g_lane
            wire signed [P_W-1:0] num = $signed({{(P_W-17){diff[16]}}, diff})
                                        * $signed({{(P_W-CNT_W){1'b0}},
                                                   count[k*CNT_W +: CNT_W]});
            wire signed [P_W-1:0] quo = num / den;          // truncates toward zero
            wire signed [P_W-1:0] rem = num % den;          // sign of num
            wire signed [P_W-1:0] flo = (rem != 0 && num[P_W-1]) ? quo - ONE : quo;
            wire signed [P_W+1:0] sum = $signed({{2{y_min[15]}}, {(P_W-16){y_min[15]}}, y_min})
                                        + $signed({{2{flo[P_W-1]}}, flo});
            wire [15:0] sat = (sum > Q_MAX) ? 16'h7fff : (sum < Q_MIN) ? 16'h8000 : sum[15:0];
            always @(posedge clk) begin
                if (in_valid && !rst) current[k*16 +: 16] <= sat;
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) out_valid <= 1'b0;
        else     out_valid <= in_valid;
    end
endmodule

`default_nettype wire
