pd_lfsr_window.v
pd_keystream.v
pd_popcount.v
sc_dense.v
