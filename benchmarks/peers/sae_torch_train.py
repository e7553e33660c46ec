#!/usr/bin/python3
"""PyTorch peer for `ScaleLab.Benchmarks sae`: the same TopK sparse autoencoder (Gao et al. 2024) written the usual dense
way in PyTorch: pre = (x - b_pre) W_enc^T + b_enc, TopK then ReLU, scatter into a dense (B, n) code, x_hat = z W_dec +
b_pre, loss = mean squared error; backward; the decoder-parallel gradient removed; Adam (betas (0.9, 0.999), eps
6.25e-10, no weight decay, lr 1e-4); decoder rows renormalised. One fixed batch of Gaussian rows.
Usage: sae_torch_train.py D N K B THREADS SECONDS ; prints one JSON object with the median step time and tokens/s."""
import json
import statistics
import sys
import time

import torch


def main():
    d, n, k, b, threads = (int(a) for a in sys.argv[1:6])
    seconds = float(sys.argv[6])
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    w_dec = torch.randn(n, d)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_dec.requires_grad_(True)
    w_enc = w_dec.detach().clone().requires_grad_(True)
    b_enc = torch.zeros(n, requires_grad=True)
    b_pre = torch.zeros(d, requires_grad=True)
    opt = torch.optim.Adam([w_enc, b_enc, w_dec, b_pre], lr=1e-4, betas=(0.9, 0.999), eps=6.25e-10)
    x = torch.randn(b, d)

    def step():
        opt.zero_grad(set_to_none=True)
        pre = (x - b_pre) @ w_enc.t() + b_enc
        vals, idx = pre.topk(k, dim=1)
        z = torch.zeros_like(pre).scatter(1, idx, torch.relu(vals))
        x_hat = z @ w_dec + b_pre
        loss = ((x_hat - x) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            g = w_dec.grad
            g -= (g * w_dec).sum(dim=1, keepdim=True) * w_dec
            opt.step()
            w_dec.div_(w_dec.norm(dim=1, keepdim=True))
        return loss

    for _ in range(3):
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(json.dumps({"step_s": median, "tokens_per_s": b / median, "steps": len(times), "torch": torch.__version__,
                      "blas": blas_library()}))


def blas_library():
    """The BLAS shared library this process mapped (Debian's torch links libblas.so.3, an alternatives link)."""
    import os
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path and path.endswith((".so", ".so.0", ".so.3")) or "libblas" in path:
                return os.path.realpath(path)
    return "unknown"


if __name__ == "__main__":
    main()
