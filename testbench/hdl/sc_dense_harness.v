// sc_dense_harness: test top around sc_dense with two weight sources, the BFM's port or a buffer.
//
// src_sel = 0: the weight stream comes from the w_* ports (driven beat by beat by the BFM).
// src_sel = 1: it comes from wbuf, a buffer of DEPTH beats filled from WMEM_FILE on a clock edge
//              with src_load high ($fread of raw big-endian N_OUT*N_IN*W-bit beats when W is a
//              multiple of 8, else $readmemh of one hex beat per line); beats 0 .. src_count-1
//              are then offered one per clock with no Python in the loop, and src_done rises
//              once all were taken. A wbuf entry is a whole beat as the core's w_data sees it
//              (lane e at bits [e*W +: W]): one read per clock. (Lanes assembled from separate
//              entries made Icarus re-propagate the whole bus once per lane, ~10x slower.)
// The cfg, threshold and result streams are the core's own ports.
`default_nettype none

module sc_dense_harness #(
    parameter integer N_IN      = 16,
    parameter integer N_OUT     = 8,
    parameter integer W         = 64,
    parameter integer DEPTH     = 256,
    parameter         WMEM_FILE = "sctb_wmem.dat",
    parameter integer LEN_W     = 25,
    parameter integer CNT_W     = LEN_W + $clog2(N_IN),
    parameter integer PTR_W     = $clog2(DEPTH + 1)
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    cfg_valid,
    output wire                    cfg_ready,
    input  wire [15:0]             cfg_seed,
    input  wire [LEN_W-1:0]        cfg_length,
    input  wire                    thr_valid,
    output wire                    thr_ready,
    input  wire [16:0]             thr_data,
    input  wire                    w_valid,
    output wire                    w_ready,
    input  wire [N_OUT*N_IN*W-1:0] w_data,
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [CNT_W-1:0]        out_data,
    output wire                    out_last,
    input  wire                    src_sel,
    input  wire                    src_load,
    input  wire [PTR_W-1:0]        src_count,
    output wire                    src_done
);
    localparam integer E      = N_OUT * N_IN;
    localparam integer BW     = E * W;
    localparam integer AW     = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam [PTR_W-1:0] PTR_ONE = 1;

    reg [BW-1:0]     wbuf [0:DEPTH-1];
    reg [PTR_W-1:0]  rd_ptr;    // beats taken from the buffer
    reg [PTR_W-1:0]  count;

    wire          core_w_valid;
    wire          core_w_ready;
    wire [BW-1:0] core_w_data;
    wire          buf_valid = (rd_ptr != count);
    wire [BW-1:0] buf_data;

    // rd_ptr == DEPTH (all taken) wraps to entry 0, which is not offered then (buf_valid low).
    wire [AW-1:0] rd_addr = rd_ptr[AW-1:0];
    assign buf_data = wbuf[rd_addr];

    assign core_w_valid = src_sel ? buf_valid : w_valid;
    assign core_w_data  = src_sel ? buf_data  : w_data;
    assign w_ready      = src_sel ? 1'b0      : core_w_ready;
    assign src_done     = src_sel & ~buf_valid;

    task load_buffer;
        integer fd, got;
        begin
            if (W % 8 == 0) begin
                fd = $fopen(WMEM_FILE, "rb");
                if (fd == 0) begin
                    $display("sc_dense_harness: cannot open %s", WMEM_FILE);
                    $finish;
                end
                got = $fread(wbuf, fd);
                $fclose(fd);
                if (got <= 0) begin
                    $display("sc_dense_harness: no weight data in %s", WMEM_FILE);
                    $finish;
                end
            end else begin
                $readmemh(WMEM_FILE, wbuf);
            end
        end
    endtask

    always @(posedge clk) begin
        if (rst) begin
            rd_ptr  <= {PTR_W{1'b0}};
            count   <= {PTR_W{1'b0}};
        end else if (src_load) begin
            load_buffer();
            rd_ptr  <= {PTR_W{1'b0}};
            count   <= src_count;
        end else if (src_sel && buf_valid && core_w_ready) begin
            rd_ptr  <= rd_ptr + PTR_ONE;
        end
    end

    sc_dense #(.N_IN(N_IN), .N_OUT(N_OUT), .W(W)) u_dense (
        .clk        (clk),
        .rst        (rst),
        .cfg_valid  (cfg_valid),
        .cfg_ready  (cfg_ready),
        .cfg_seed   (cfg_seed),
        .cfg_length (cfg_length),
        .thr_valid  (thr_valid),
        .thr_ready  (thr_ready),
        .thr_data   (thr_data),
        .w_valid    (core_w_valid),
        .w_ready    (core_w_ready),
        .w_data     (core_w_data),
        .out_valid  (out_valid),
        .out_ready  (out_ready),
        .out_data   (out_data),
        .out_last   (out_last)
    );
endmodule

`default_nettype wire
