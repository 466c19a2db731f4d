// prove_dense_pair: sc_dense #(W = WA) and sc_dense #(W = WB) give the same result beats for the
// same transaction (free seed, length L <= LMAX, thresholds in [0, 65536], weight bits), driven
// without stalls from reset; each word width gets its own ceil(L / W) weight beats.
//   same_results: once both have delivered their N_OUT results, they are equal beat for beat.
module prove_dense_pair #(
    parameter integer N_IN  = 1,
    parameter integer N_OUT = 1,
    parameter integer WA    = 1,
    parameter integer WB    = 8,
    parameter integer LMAX  = 4
) (
    input wire clk
);
    localparam integer CNT_W = 25 + $clog2(N_IN);
    localparam integer PA = ((LMAX + WA - 1) / WA) * WA;
    localparam integer PB = ((LMAX + WB - 1) / WB) * WB;

    (* anyconst *) reg [15:0]               seed;
    (* anyconst *) reg [24:0]               len;
    (* anyconst *) reg [N_IN*17-1:0]        thr;
    (* anyconst *) reg [N_OUT*N_IN*LMAX-1:0] wts;   // stream s bit t at s*LMAX + t

    integer a;
    always @* begin
        assume (len <= LMAX);
        for (a = 0; a < N_IN; a = a + 1) assume (thr[a*17 +: 17] <= 17'd65536);
    end

    // The same streams, zero-padded to each word width.
    wire [N_OUT*N_IN*PA-1:0] wts_a;
    wire [N_OUT*N_IN*PB-1:0] wts_b;
    genvar s, t;
    generate
        for (s = 0; s < N_OUT*N_IN; s = s + 1) begin : g_s
            for (t = 0; t < PA; t = t + 1) begin : g_a
                assign wts_a[s*PA + t] = (t < LMAX) ? wts[s*LMAX + t] : 1'b0;
            end
            for (t = 0; t < PB; t = t + 1) begin : g_b
                assign wts_b[s*PB + t] = (t < LMAX) ? wts[s*LMAX + t] : 1'b0;
            end
        end
    endgenerate

    wire             fire_a, fire_b, last_a, last_b, done_a, done_b;
    wire [7:0]       idx_a, idx_b;
    wire [CNT_W-1:0] data_a, data_b;

    formal_dense_run #(.N_IN(N_IN), .N_OUT(N_OUT), .W(WA), .LMAX(LMAX)) run_a (
        .clk(clk), .cfg_go(1'b1), .thr_go(1'b1), .w_go(1'b1), .out_go(1'b1),
        .seed(seed), .len(len), .thr(thr), .wts(wts_a), .res_fire(fire_a), .res_idx(idx_a),
        .res_data(data_a), .res_last(last_a), .done(done_a));
    formal_dense_run #(.N_IN(N_IN), .N_OUT(N_OUT), .W(WB), .LMAX(LMAX)) run_b (
        .clk(clk), .cfg_go(1'b1), .thr_go(1'b1), .w_go(1'b1), .out_go(1'b1),
        .seed(seed), .len(len), .thr(thr), .wts(wts_b), .res_fire(fire_b), .res_idx(idx_b),
        .res_data(data_b), .res_last(last_b), .done(done_b));

    reg [N_OUT*CNT_W-1:0] got_a, got_b;
    always @(posedge clk) begin
        if (fire_a) got_a[idx_a*CNT_W +: CNT_W] <= data_a;
        if (fire_b) got_b[idx_b*CNT_W +: CNT_W] <= data_b;
    end

    always @* if (done_a && done_b) begin
        same_results: assert (got_a == got_b);
    end
endmodule
