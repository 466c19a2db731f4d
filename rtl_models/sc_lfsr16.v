// sc_lfsr16: the contract's 16-bit Fibonacci LFSR (taps 15,13,12,10, shifting left), W states per clock.
//
// states  : W consecutive states s_0 .. s_{W-1} (s_j at bits [16*j +: 16]); s_0 is the register,
//           s_1 .. s_{W-1} come from W - 1 unrolled feedback steps (combinational).
// load    : on the rising edge, the register <= seed (a zero seed loads 1: 0 is the lock-up state).
// advance : on the rising edge (when load is low), the register <= s_W, the state W steps on.
`default_nettype none

module sc_lfsr16 #(
    parameter integer W = 1
) (
    input  wire            clk,
    input  wire            load,
    input  wire [15:0]     seed,
    input  wire            advance,
    output wire [16*W-1:0] states
);
    reg [15:0] r;

    // s_0 .. s_W of the unrolled chain: step(s) = {s[14:0], s[15] ^ s[13] ^ s[12] ^ s[10]}.
    function [16*(W+1)-1:0] chain;
        input [15:0] s0;
        reg   [15:0] s;
        integer      j;
        begin
            s = s0;
            for (j = 0; j <= W; j = j + 1) begin
                chain[16*j +: 16] = s;
                s = {s[14:0], s[15] ^ s[13] ^ s[12] ^ s[10]};
            end
        end
    endfunction

    wire [16*(W+1)-1:0] c = chain(r);

    always @(posedge clk) begin
        if (load) begin
            r <= (seed == 16'h0000) ? 16'h0001 : seed;
        end else if (advance) begin
            r <= c[16*W +: 16];
        end
    end

    assign states = c[16*W-1:0];

`ifndef SYNTHESIS
    // verilator coverage_off
    // Never the lock-up state 0 once loaded (simulation only; docs/coverage.md).
    reg a_loaded;
    initial a_loaded = 1'b0;
    always @(posedge clk) begin
        if (load) a_loaded <= 1'b1;
        if (a_loaded) assert (r != 16'h0000)
            else $fatal(1, "sctb-assert sc_lfsr16.never_zero: the register is 0 at time %0t",
                        $time);
    end
    // verilator coverage_on
`endif
endmodule

`default_nettype wire
