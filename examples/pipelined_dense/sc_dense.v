// sc_dense (pipelined_dense example): the contract's counts by a second, independent design.
//
// Same ports, parameters and valid/ready streams as rtl_models/sc_dense.v, different inside: a
// one-hot phase register with a FLUSH phase, indexed threshold and result registers (no shift
// registers), a bit-position counter that counts up (the tail mask compares positions with L),
// the LFSR states of a beat as 16-bit windows of one bit sequence (pd_lfsr_window, no chain of
// steps), SWAR popcounts, and a two-stage RUN pipeline: stage 1 registers the popcount of every
// weight word on a beat transfer, stage 2 adds each output's N_IN registered popcounts to its
// count one clock later. Results therefore come one cycle later than the reference's (README.md).
`default_nettype none

module sc_dense #(
    parameter integer N_IN  = 16,
    parameter integer N_OUT = 8,
    parameter integer W     = 64,
    // Derived widths (do not override): stream length and count registers.
    parameter integer LEN_W = 25,
    parameter integer CNT_W = LEN_W + $clog2(N_IN)
) (
    input  wire                    clk,
    input  wire                    rst,          // synchronous, active high
    input  wire                    cfg_valid,
    output wire                    cfg_ready,
    input  wire [15:0]             cfg_seed,     // low 16 bits of the base seed
    input  wire [LEN_W-1:0]        cfg_length,   // stream length L in bits
    input  wire                    thr_valid,
    output wire                    thr_ready,
    input  wire [16:0]             thr_data,     // x_i in [0, 65536], input 0 first
    input  wire                    w_valid,
    output wire                    w_ready,
    input  wire [N_OUT*N_IN*W-1:0] w_data,       // stream (o, i) at [(o*N_IN + i)*W +: W]
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [CNT_W-1:0]        out_data,     // counts[o] on result beat o
    output wire                    out_last
);
    localparam integer NB    = N_IN * W;                    // AND bits per output and beat
    localparam integer SUM_W = $clog2(NB + 1);              // one beat's sum for one output
    localparam integer PC_W  = $clog2(W + 1);               // popcount of one W-bit word
    localparam integer POS_W = LEN_W + 1;                  // bit position (< 2L): never wraps
    localparam integer TI_W  = (N_IN  > 1) ? $clog2(N_IN)  : 1;
    localparam integer OI_W  = (N_OUT > 1) ? $clog2(N_OUT) : 1;

    // One-hot phases: CFG -> THR -> RUN -> FLUSH -> OUT -> CFG (THR -> OUT when L = 0).
    localparam integer P_CFG = 0, P_THR = 1, P_RUN = 2, P_FLUSH = 3, P_OUT = 4;
    localparam [4:0] PH_CFG   = 5'b00001;
    localparam [4:0] PH_THR   = 5'b00010;
    localparam [4:0] PH_RUN   = 5'b00100;
    localparam [4:0] PH_FLUSH = 5'b01000;
    localparam [4:0] PH_OUT   = 5'b10000;

    localparam integer      LAST_I_I = N_IN - 1;
    localparam integer      LAST_O_I = N_OUT - 1;
    localparam [TI_W-1:0]   LAST_I   = LAST_I_I[TI_W-1:0];
    localparam [OI_W-1:0]   LAST_O   = LAST_O_I[OI_W-1:0];
    localparam [TI_W-1:0]   TI_ONE   = 1;
    localparam [OI_W-1:0]   OI_ONE   = 1;
    localparam [POS_W-1:0]  W_POS    = W[POS_W-1:0];
    localparam [POS_W-1:0]  POS_ZERO = 0;
    localparam [LEN_W-1:0]  LEN_ZERO = 0;
    localparam [CNT_W-1:0]  CNT_ZERO = 0;
    localparam [CNT_W-SUM_W-1:0] SUM_PAD = 0;

    reg [4:0]       ph;       // one-hot phase
    reg [TI_W-1:0]  tidx;     // next threshold beat (THR)
    reg [OI_W-1:0]  oidx;     // next result beat (OUT)
    reg [LEN_W-1:0] len_q;    // L of this transaction
    reg [POS_W-1:0] pos_q;    // stream bit t of bit 0 of the next weight beat (RUN)
    reg             pvld_q;   // the stage-1 popcount registers hold an unadded beat

    wire cfg_fire = cfg_valid & ph[P_CFG];
    wire thr_fire = thr_valid & ph[P_THR];
    wire w_fire   = w_valid   & ph[P_RUN];
    wire out_fire = out_ready & ph[P_OUT];

    assign cfg_ready = ph[P_CFG];
    assign thr_ready = ph[P_THR];
    assign w_ready   = ph[P_RUN];
    assign out_valid = ph[P_OUT];
    assign out_last  = ph[P_OUT] & (oidx == LAST_O);

    wire [POS_W-1:0] len_x  = {{(POS_W - LEN_W){1'b0}}, len_q};
    wire [POS_W-1:0] pos_nx = pos_q + W_POS;
    wire             final_beat = !(pos_nx < len_x);   // this beat reaches t = L - 1

    // ---- control ---------------------------------------------------------------------------
    always @(posedge clk) begin
        if (rst) begin
            ph     <= PH_CFG;
            tidx   <= {TI_W{1'b0}};
            oidx   <= {OI_W{1'b0}};
            pvld_q <= 1'b0;
        end else begin
            pvld_q <= w_fire;
            if (cfg_fire) begin
                tidx <= {TI_W{1'b0}};
                ph   <= PH_THR;
            end
            if (thr_fire) begin
                if (tidx == LAST_I) begin
                    ph <= (len_q == LEN_ZERO) ? PH_OUT : PH_RUN;
                end else begin
                    tidx <= tidx + TI_ONE;
                end
            end
            if (w_fire && final_beat) ph <= PH_FLUSH;
            if (ph[P_FLUSH])          ph <= PH_OUT;    // stage 2 adds the last beat sum now
            if (out_fire) begin
                if (oidx == LAST_O) begin
                    oidx <= {OI_W{1'b0}};
                    ph   <= PH_CFG;
                end else begin
                    oidx <= oidx + OI_ONE;
                end
            end
        end
    end

    always @(posedge clk) begin
        if (cfg_fire) begin
            len_q <= cfg_length;
            pos_q <= POS_ZERO;
        end else if (w_fire) begin
            pos_q <= pos_nx;
        end
    end

    // ---- tail mask: stream bit pos_q + j exists only while it is below L ------------------
    function [W-1:0] tail_keep;
        input [POS_W-1:0] pos;
        input [POS_W-1:0] len;
        integer j;
        begin
            for (j = 0; j < W; j = j + 1)
                tail_keep[j] = (pos + j[POS_W-1:0] < len);
        end
    endfunction

    wire [W-1:0] keep = tail_keep(pos_q, len_x);

    // ---- per input: seed, threshold, LFSR state, masked stream bits of this beat -----------
    wire [NB-1:0] xbits;     // input i's bits at [i*W +: W]

    genvar i;
    generate
        for (i = 0; i < N_IN; i = i + 1) begin : g_in
            localparam [15:0]     SEED_OFF = i;
            localparam [TI_W-1:0] MY_TIDX  = i;
            wire [15:0] seed_sum = cfg_seed + SEED_OFF;
            wire [15:0] seed_i   = (seed_sum == 16'd0) ? 16'd1 : seed_sum;
            reg  [15:0] lfsr;    // state of stream bit pos_q of input i
            reg  [16:0] thr;
            wire [15:0] lfsr_nx;
            wire [W-1:0] bits;

            pd_keystream #(.W(W)) u_ks (.s(lfsr), .thr(thr), .bits(bits), .next(lfsr_nx));
            assign xbits[i*W +: W] = bits & keep;

            always @(posedge clk) begin
                if (cfg_fire)    lfsr <= seed_i;
                else if (w_fire) lfsr <= lfsr_nx;
                if (thr_fire && tidx == MY_TIDX) thr <= thr_data;
            end
        end
    endgenerate

    // ---- per output: stage 1 (one popcount register per weight word), stage 2 (the count) ----
    // Stage 1 registers pc[o][i] = popcount(w_data word (o, i) & xbits[i]) on a beat transfer;
    // stage 2, one clock later, adds the N_IN registered popcounts of output o to its count.
    wire [N_OUT*CNT_W-1:0] acc_flat;

    // Sum of the N_IN popcounts of one output (pcs: popcount i at [i*PC_W +: PC_W]).
    function [SUM_W-1:0] sum_words;
        input [N_IN*PC_W-1:0] pcs;
        integer k;
        begin
            sum_words = {SUM_W{1'b0}};
            for (k = 0; k < N_IN; k = k + 1)
                sum_words = sum_words + {{(SUM_W - PC_W){1'b0}}, pcs[k*PC_W +: PC_W]};
        end
    endfunction

    genvar o;
    generate
        for (o = 0; o < N_OUT; o = o + 1) begin : g_out
            wire [N_IN*PC_W-1:0] pcs;    // stage-1 registers of this output
            reg  [CNT_W-1:0]     acc;

            for (i = 0; i < N_IN; i = i + 1) begin : g_word
                wire [PC_W-1:0] pc;
                reg  [PC_W-1:0] pc_q;
                pd_popcount #(.N(W), .OUT_W(PC_W)) u_pc (
                    .in(w_data[(o*N_IN + i)*W +: W] & xbits[i*W +: W]), .count(pc));
                always @(posedge clk)
                    if (w_fire) pc_q <= pc;
                assign pcs[i*PC_W +: PC_W] = pc_q;
            end

            always @(posedge clk) begin
                if (cfg_fire)    acc <= CNT_ZERO;
                else if (pvld_q) acc <= acc + {SUM_PAD, sum_words(pcs)};
            end
            assign acc_flat[o*CNT_W +: CNT_W] = acc;
        end
    endgenerate

    assign out_data = acc_flat[oidx*CNT_W +: CNT_W];
endmodule

`default_nettype wire
