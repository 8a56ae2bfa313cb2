"""Parameter sweeps: many parameter sets, in vectorized batches, on this machine or a Dask cluster."""
