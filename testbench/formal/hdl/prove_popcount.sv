// prove_popcount: sc_popcount #(W) equals a naive loop over the bits, for every input word.
module prove_popcount #(
    parameter integer W = 8
) (
    input wire [W-1:0] in
);
    localparam integer OUT_W = $clog2(W + 1);
    wire [OUT_W-1:0] count;

    sc_popcount #(.W(W), .OUT_W(OUT_W)) dut (.in(in), .count(count));

    function [OUT_W-1:0] naive;
        input [W-1:0] v;
        integer k;
        begin
            naive = 0;
            for (k = 0; k < W; k = k + 1) naive = naive + v[k];
        end
    endfunction

    always @* begin
        popcount_equals_naive: assert (count == naive(in));
    end
endmodule
