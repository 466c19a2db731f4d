sc_lfsr16.v
sc_sng.v
sc_popcount.v
sc_dense.v
