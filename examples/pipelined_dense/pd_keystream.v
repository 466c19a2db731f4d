// pd_keystream: W stream bits of one input in one clock, compared against windows of one word.
//
// bits[j] = (state_j < thr) for j < W and next = state_W, where state_j = seq[(W-j) +: 16] comes
// from pd_lfsr_window (the beat's bit sequence, no per-state step logic). thr is 17 bits: 0 gives
// no ones, 65536 (p = 1.0) gives all ones.
`default_nettype none

module pd_keystream #(
    parameter integer W = 64    // stream bits per clock, >= 1
) (
    input  wire [15:0]  s,       // state of stream bit 0 of this beat
    input  wire [16:0]  thr,     // threshold x_i in [0, 65536]
    output wire [W-1:0] bits,    // bit j: stream bit j of this beat (unmasked)
    output wire [15:0]  next     // state of stream bit 0 of the next beat
);
    wire [W+15:0] seq;

    pd_lfsr_window #(.W(W)) u_win (.s(s), .seq(seq));

    // The W comparisons in one assignment (one event per beat downstream).
    function [W-1:0] below;
        input [W+15:0] sq;
        input [16:0]   x;
        integer j;
        begin
            for (j = 0; j < W; j = j + 1)
                below[j] = ({1'b0, sq[(W-j) +: 16]} < x);
        end
    endfunction

    assign bits = below(seq, thr);
    assign next = seq[15:0];
endmodule

`default_nettype wire
