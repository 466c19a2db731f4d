// prove_lfsr16: sc_lfsr16 #(W) against the contract LFSR (docs/contract.md section 1), stepped
// one bit at a time: after the first load, the W states it shows are W single steps of a
// reference register; a load of seed s gives s (0 gives 1); advance moves it by exactly W steps
// and otherwise it holds; it never shows 0. Stated on the ports (states[15:0] is the register).
module prove_lfsr16 #(
    parameter integer W = 8
) (
    input wire        clk,
    input wire        load,
    input wire [15:0] seed,
    input wire        advance
);
    wire [16*W-1:0] states;

    sc_lfsr16 #(.W(W)) dut (.clk(clk), .load(load), .seed(seed), .advance(advance),
                            .states(states));

    function [15:0] step;   // the contract: fb = r15 ^ r13 ^ r12 ^ r10, shift left
        input [15:0] r;
        begin
            step = {r[14:0], r[15] ^ r[13] ^ r[12] ^ r[10]};
        end
    endfunction

    reg        loaded = 1'b0;
    reg [15:0] ref_r  = 16'd1;

    always @(posedge clk) begin
        if (load) begin
            loaded <= 1'b1;
            ref_r  <= (seed == 16'd0) ? 16'd1 : seed;
        end else if (advance) begin
            ref_r <= step(states[16*(W-1) +: 16]);   // = W steps, given state_ok below
        end
    end

    // The reference register itself is never 0 once loaded (induction strengthening).
    always @* if (loaded) begin
        ref_never_zero: assert (ref_r != 16'd0);
    end

    // State 0 is the reference register and state j is one contract step after state j - 1,
    // so state j is j single steps of the reference (checked link by link: linear in W).
    wire [W-1:0] state_ok;
    assign state_ok[0] = (states[15:0] == ref_r);
    genvar j;
    generate
        for (j = 1; j < W; j = j + 1) begin : g_state
            assign state_ok[j] = (states[16*j +: 16] == step(states[16*(j-1) +: 16]));
        end
    endgenerate
    always @* if (loaded) begin
        unrolled_equals_single_steps: assert (&state_ok);
    end

    // advance moves the register by exactly W single steps (and nothing else moves it).
    reg        past_valid = 1'b0;
    reg        past_adv, past_load;
    reg [15:0] past_r, past_last;
    always @(posedge clk) begin
        past_valid <= loaded;
        past_adv   <= advance;
        past_load  <= load;
        past_r     <= states[15:0];
        past_last  <= states[16*(W-1) +: 16];
    end
    always @* if (past_valid && !past_load) begin
        advance_moves_by_w: assert (states[15:0] == (past_adv ? step(past_last) : past_r));
    end

    // No state is 0 (each link is local: step(s) = 0 only for s = 0), so neither is the next.
    wire [W-1:0] nonzero;
    generate
        for (j = 0; j < W; j = j + 1) begin : g_nz
            assign nonzero[j] = (states[16*j +: 16] != 16'd0);
        end
    endgenerate
    always @* if (loaded) begin
        never_zero_after_load: assert (&nonzero);
    end
endmodule
