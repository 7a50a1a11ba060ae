// upsample kernels: see the header of each exported function.
