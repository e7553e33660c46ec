#!/usr/bin/python3
"""PyTorch peer for `ScaleLab.Benchmarks hex`: the same residual MLP as ScaleLab.Games' HexNet (stem Linear+ReLU,
DEPTH blocks h = h + relu(Linear(h)), policy Linear, value Linear+tanh), forward only under torch.no_grad, on a batch
of random 0/1 board planes. Prints one JSON line: GFLOP/s counted as 2 x weights x batch (the same count as ours).
Usage: hex_torch_eval.py BOARD WIDTH DEPTH BATCH THREADS SECONDS; timing: best of rounds of >= 50 ms."""
import json
import sys
import time

import torch

board, width, depth, batch, threads, seconds = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                                                int(sys.argv[5]), float(sys.argv[6]))
torch.set_num_threads(threads)
cells = board * board
stem = torch.nn.Linear(2 * cells, width)
blocks = [torch.nn.Linear(width, width) for _ in range(depth)]
policy = torch.nn.Linear(width, cells)
value = torch.nn.Linear(width, 1)
x = (torch.rand(batch, 2 * cells) < 0.3).float()
weights = width * 2 * cells + depth * width * width + cells * width + width


def forward():
    h = torch.relu(stem(x))
    for b in blocks:
        h = h + torch.relu(b(h))
    return policy(h), torch.tanh(value(h))


with torch.no_grad():
    forward()
    best, start = 1e30, time.perf_counter()
    while time.perf_counter() - start < seconds:
        reps, t0 = 0, time.perf_counter()
        while True:
            forward()
            reps += 1
            t1 = time.perf_counter()
            if t1 - t0 >= 0.05:
                break
        best = min(best, (t1 - t0) / reps)
print(json.dumps({"gflops": 2.0 * weights * batch / best / 1e9, "torch": torch.__version__,
                  "blas": "openblas" if "openblas" in torch.__config__.show().lower() else "other"}))
