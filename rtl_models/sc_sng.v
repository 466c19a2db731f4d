// sc_sng: stochastic number generator comparator, W bits at once: bits[j] = states[j] < x.
//
// x is 17 bits wide so that x = 65536 (p = 1.0) makes every bit 1 and x = 0 makes every bit 0.
`default_nettype none

module sc_sng #(
    parameter integer W = 1
) (
    input  wire [16*W-1:0] states,
    input  wire [16:0]     x,
    output wire [W-1:0]    bits
);
    genvar j;
    generate
        for (j = 0; j < W; j = j + 1) begin : g_cmp
            assign bits[j] = {1'b0, states[16*j +: 16]} < x;
        end
    endgenerate
endmodule

`default_nettype wire
