#!/usr/bin/python3
"""PyTorch matmul peer for `ScaleLab.Benchmarks engine`: times torch.matmul (Debian python3-torch, CPU) on shapes
given as arguments "TA,TB,M,N,K" (C (M x N) = op(A) op(B), op = transpose for T), prints GFLOP/s per line.
Usage: engine_torch_matmul.py THREADS SHAPE... ; timing: best of 5 rounds, each repeating for >= 50 ms."""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]))
for shape in sys.argv[2:]:
    ta, tb, m, n, k = shape.split(",")
    m, n, k = int(m), int(n), int(k)
    a = torch.randn(m, k) if ta == "N" else torch.randn(k, m).t()
    b = torch.randn(k, n) if tb == "N" else torch.randn(n, k).t()
    out = torch.empty(m, n)
    torch.matmul(a, b, out=out)
    best = 1e30
    for _ in range(5):
        reps, t0 = 0, time.perf_counter()
        while True:
            torch.matmul(a, b, out=out)
            reps += 1
            t1 = time.perf_counter()
            if t1 - t0 >= 0.05:
                break
        best = min(best, (t1 - t0) / reps)
    print(f"{2.0 * m * n * k / best / 1e9:.3f}")
