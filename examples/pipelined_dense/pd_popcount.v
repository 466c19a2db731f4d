// pd_popcount: number of ones in an N-bit word by SWAR field doubling (log2 N wide additions).
//
// The word is zero-padded to P = 2^ceil(log2 N) bits. Level l+1 adds neighbouring F-bit fields
// of level l (F = 2^l) into 2F-bit fields: (v & M) + ((v >> F) & M), M = the low F bits of every
// 2F-bit field. A 2F-bit field holds at most 2F ones, which fits, so no carry ever crosses a
// field; after log2 P levels the single P-bit field is the count.
`default_nettype none

module pd_popcount #(
    parameter integer N     = 64,                 // input width, >= 1
    parameter integer OUT_W = $clog2(N + 1)       // count width
) (
    input  wire [N-1:0]     in,
    output wire [OUT_W-1:0] count
);
    localparam integer LV = (N > 1) ? $clog2(N) : 1;   // levels
    localparam integer P  = 1 << LV;                   // padded width

    // Mask of level l at [l*P +: P]: the low 2^l bits of every 2^(l+1)-bit field.
    function [LV*P-1:0] level_masks;
        input integer levels;
        integer l, b;
        begin
            for (l = 0; l < levels; l = l + 1)
                for (b = 0; b < P; b = b + 1)
                    level_masks[l*P + b] = ((b % (2 << l)) < (1 << l));
        end
    endfunction

    localparam [LV*P-1:0] MASKS = level_masks(LV);

    wire [P-1:0] padded;
    generate
        if (P > N) begin : g_pad
            assign padded = {{(P - N){1'b0}}, in};
        end else begin : g_nopad
            assign padded = in;
        end
    endgenerate

    // All levels in one assignment: the result is the single P-bit field (the count).
    function [P-1:0] swar;
        input [P-1:0] v;
        integer l;
        begin
            swar = v;
            for (l = 0; l < LV; l = l + 1)
                swar = (swar & MASKS[l*P +: P]) + ((swar >> (1 << l)) & MASKS[l*P +: P]);
        end
    endfunction

    wire [P-1:0] fld = swar(padded);
    assign count = fld[OUT_W-1:0];
endmodule

`default_nettype wire
