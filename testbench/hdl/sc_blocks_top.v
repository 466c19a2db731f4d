// sc_blocks_top: test top exposing the building blocks: LFSRs (W = 1 and 64), an SNG on the
// 64-wide LFSR, and popcount units of 64, 13 and 1 bits.
`default_nettype none

module sc_blocks_top (
    input  wire           clk,
    // LFSR, one state per clock
    input  wire           l1_load,
    input  wire [15:0]    l1_seed,
    input  wire           l1_advance,
    output wire [15:0]    l1_state,
    // LFSR, 64 states per clock, feeding the SNG
    input  wire           l64_load,
    input  wire [15:0]    l64_seed,
    input  wire           l64_advance,
    output wire [1023:0]  l64_states,
    input  wire [16:0]    sng_x,
    output wire [63:0]    sng_bits,
    // popcount units
    input  wire [63:0]    pc64_in,
    output wire [6:0]     pc64_count,
    input  wire [12:0]    pc13_in,
    output wire [3:0]     pc13_count,
    input  wire           pc1_in,
    output wire           pc1_count
);
    sc_lfsr16 #(.W(1)) u_l1 (
        .clk(clk), .load(l1_load), .seed(l1_seed), .advance(l1_advance), .states(l1_state)
    );
    sc_lfsr16 #(.W(64)) u_l64 (
        .clk(clk), .load(l64_load), .seed(l64_seed), .advance(l64_advance), .states(l64_states)
    );
    sc_sng #(.W(64)) u_sng (.states(l64_states), .x(sng_x), .bits(sng_bits));
    sc_popcount #(.W(64)) u_pc64 (.in(pc64_in), .count(pc64_count));
    sc_popcount #(.W(13)) u_pc13 (.in(pc13_in), .count(pc13_count));
    sc_popcount #(.W(1))  u_pc1  (.in(pc1_in),  .count(pc1_count));
endmodule

`default_nettype wire
