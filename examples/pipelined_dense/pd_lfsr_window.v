// pd_lfsr_window: the bit sequence of one beat, seq, whose 16-bit slices are its W+1 LFSR states.
//
// The contract LFSR (docs/contract.md section 1) shifts left and enters its feedback at bit 0,
// so state_t[k] = f(t - k) for the sequence f(t) = bit 0 of state_t, and
// f(n) = f(n-16) ^ f(n-14) ^ f(n-13) ^ f(n-11). A beat's states state_0 = s .. state_W are
// therefore overlapping 16-bit windows of one (W+16)-bit word: state_j = seq[(W-j) +: 16]. The
// word is the seed followed by W new bits of f, made 11 at a time (the nearest tap is 11 back, so
// 11 consecutive bits depend only on earlier ones): one XOR of four shifted slices per 11 bits.
`default_nettype none

module pd_lfsr_window #(
    parameter integer W = 64    // new bits per beat, >= 1
) (
    input  wire [15:0]   s,      // state_0
    output wire [W+15:0] seq     // state_j at [(W-j) +: 16], j = 0 .. W; state_W = seq[15:0]
);
    localparam integer NC = (W + 10) / 11;    // chunks of 11 new bits
    localparam integer NW = 11 * NC;          // new bits made (>= W; the extra ones are unused)

    // h holds f(NW - p) at bit p, p = 0 .. NW+15 (the seed at [NW +: 16]); the result is its
    // top W+16 bits (the NW-W extra bits of the last chunk are dropped).
    function [W+15:0] extend;
        input [15:0] x;
        integer c, p;
        reg [NW+15:0] h;
        begin
            h = {(NW + 16){1'b0}};
            h[NW +: 16] = x;
            for (c = 1; c <= NC; c = c + 1) begin
                p = NW - 11 * c;
                h[p +: 11] = h[p+16 +: 11] ^ h[p+14 +: 11] ^ h[p+13 +: 11] ^ h[p+11 +: 11];
            end
            extend = h[NW-W +: W+16];
        end
    endfunction

    assign seq = extend(s);
endmodule

`default_nettype wire
