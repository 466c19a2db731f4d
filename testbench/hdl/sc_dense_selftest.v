// sc_dense_selftest: sc_dense driven entirely from HDL (no Python): the baseline that measures
// what cocotb costs. Stimulus and expected counts come from $readmemh files written by
// testbench/perf.py; sources are always valid, the sink always ready (back to back).
`default_nettype none

module sc_dense_selftest #(
    parameter integer N_IN  = 16,
    parameter integer N_OUT = 8,
    parameter integer W     = 64,
    parameter integer K     = 1,      // transactions
    parameter integer BEATS = 1,      // weight beats of all transactions together
    parameter integer LEN_W = 25,
    parameter integer CNT_W = LEN_W + $clog2(N_IN)
);
    localparam integer E = N_OUT * N_IN;

    reg clk;
    reg rst;
    always #5 clk = ~clk;

    reg [LEN_W+15:0] cfg_mem [0:K-1];          // {length, seed16}
    reg [16:0]       thr_mem [0:K*N_IN-1];
    reg [CNT_W-1:0]  exp_mem [0:K*N_OUT-1];
    reg [E*W-1:0]    w_mem   [0:BEATS-1];      // entry k: beat k as w_data (lane e at [e*W +: W])

    integer cfg_p, thr_p, beat_p, out_p, errors, cycles;

    wire cfg_ready, thr_ready, w_ready, out_valid, out_last;
    wire [CNT_W-1:0] out_data;
    wire [E*W-1:0]   w_data;
    wire [LEN_W+15:0] cfg_word = cfg_mem[cfg_p < K ? cfg_p : 0];

    assign w_data = w_mem[beat_p < BEATS ? beat_p : 0];

    sc_dense #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W)) u_dense (
        .clk(clk), .rst(rst),
        .cfg_valid(cfg_p < K), .cfg_ready(cfg_ready),
        .cfg_seed(cfg_word[15:0]), .cfg_length(cfg_word[LEN_W+15:16]),
        .thr_valid(thr_p < K * N_IN), .thr_ready(thr_ready),
        .thr_data(thr_mem[thr_p < K * N_IN ? thr_p : 0]),
        .w_valid(beat_p < BEATS), .w_ready(w_ready), .w_data(w_data),
        .out_valid(out_valid), .out_ready(1'b1), .out_data(out_data), .out_last(out_last)
    );

    integer fd, got;
    initial begin
        clk = 1'b0;
        rst = 1'b1;
        cfg_p = 0; thr_p = 0; beat_p = 0; out_p = 0; errors = 0; cycles = 0;
        $readmemh("selftest_cfg.hex", cfg_mem);
        $readmemh("selftest_thr.hex", thr_mem);
        $readmemh("selftest_exp.hex", exp_mem);
        // The weights as the harness reads them: raw big-endian beats when W % 8 == 0.
        if (W % 8 == 0) begin
            fd = $fopen("selftest_w.bin", "rb");
            got = $fread(w_mem, fd);
            $fclose(fd);
            if (got != BEATS * E * (W / 8)) begin
                $display("SELFTEST ERROR: read %0d weight bytes, expected %0d", got,
                         BEATS * E * (W / 8));
                $finish;
            end
        end else begin
            $readmemh("selftest_w.hex", w_mem);
        end
        repeat (2) @(negedge clk);
        rst = 1'b0;
    end

    always @(posedge clk) begin
        if (!rst) begin
            cycles <= cycles + 1;
            if (cfg_p < K && cfg_ready) cfg_p <= cfg_p + 1;
            if (thr_p < K * N_IN && thr_ready) thr_p <= thr_p + 1;
            if (beat_p < BEATS && w_ready) beat_p <= beat_p + 1;
            if (out_valid) begin
                if (out_last !== (out_p % N_OUT == N_OUT - 1)) begin
                    $display("SELFTEST ERROR: out_last=%0d on result %0d", out_last, out_p);
                    $finish;
                end
                if (out_data !== exp_mem[out_p]) begin
                    if (errors == 0)
                        $display("SELFTEST MISMATCH result %0d: got %0d expected %0d",
                                 out_p, out_data, exp_mem[out_p]);
                    errors <= errors + 1;
                end
                out_p <= out_p + 1;
                if (out_p == K * N_OUT - 1) begin
                    $display("SELFTEST DONE results=%0d errors=%0d cycles=%0d",
                             K * N_OUT, errors + ((out_data !== exp_mem[out_p]) ? 1 : 0),
                             cycles + 1);
                    $finish;
                end
            end
        end
    end
endmodule

`default_nettype wire
