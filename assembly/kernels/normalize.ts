// normalize kernels: see the header of each exported function.
