// prove_sng: sc_sng #(W) is the contract's comparator: bit j is 1 exactly when state_j < x,
// with x 17 bits wide (x >= 65536 gives all ones, x = 0 all zeros), for every state and x.
module prove_sng #(
    parameter integer W = 8
) (
    input wire [16*W-1:0] states,
    input wire [16:0]     x
);
    wire [W-1:0] bits;

    sc_sng #(.W(W)) dut (.states(states), .x(x), .bits(bits));

    // The spec, stated without a 17-bit compare: x >= 65536 gives 1, else the 16-bit compare.
    function spec_bit;
        input [15:0] s;
        input [16:0] xx;
        begin
            spec_bit = xx[16] ? 1'b1 : (s < xx[15:0]);
        end
    endfunction

    wire [W-1:0] bit_ok;
    genvar j;
    generate
        for (j = 0; j < W; j = j + 1) begin : g_bit
            assign bit_ok[j] = (bits[j] == spec_bit(states[16*j +: 16], x));
        end
    endgenerate
    always @* begin
        sng_is_comparator: assert (&bit_ok);
    end
endmodule
