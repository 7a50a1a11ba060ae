// conv2d kernels: see the header of each exported function.
