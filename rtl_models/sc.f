sc_lfsr16.v
sc_sng.v
sc_popcount.v
sc_dense.v
sc_dot_to_current.v
sc_lif.v
sc_dense_lif.v
