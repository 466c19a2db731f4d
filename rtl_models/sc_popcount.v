// sc_popcount: number of ones in a W-bit word, as a balanced binary adder tree (combinational).
//
// OUT_W is the width of the result (and of every tree node); it must be at least $clog2(W + 1),
// the default. Level 0 holds P = 2**ceil(log2(W)) leaves (the input bits, then zeros); node k of
// level l is the sum of nodes 2k and 2k + 1 of level l - 1; level L = log2(P) is the count.
`default_nettype none

module sc_popcount #(
    parameter integer W     = 64,
    parameter integer OUT_W = $clog2(W + 1)
) (
    input  wire [W-1:0]     in,
    output wire [OUT_W-1:0] count
);
    localparam integer L = (W <= 1) ? 0 : $clog2(W);
    localparam integer P = 1 << L;

    genvar l, k;
    generate
        for (l = 0; l <= L; l = l + 1) begin : g_lvl
            for (k = 0; k < (P >> l); k = k + 1) begin : g_node
                wire [OUT_W-1:0] s;
                if (l > 0) begin : g_sum
                    assign s = g_lvl[l-1].g_node[2*k].s + g_lvl[l-1].g_node[2*k+1].s;
                end else if (k >= W) begin : g_pad
                    assign s = {OUT_W{1'b0}};
                end else if (OUT_W == 1) begin : g_bit
                    assign s = in[k];
                end else begin : g_ext
                    assign s = {{(OUT_W-1){1'b0}}, in[k]};
                end
            end
        end
    endgenerate

    assign count = g_lvl[L].g_node[0].s;
endmodule

`default_nettype wire
