#!/usr/bin/python3
"""PyTorch training-step peer for `ScaleLab.Benchmarks engine`: the same GPT-2 style model as the engine
(tools/reference/gpt_reference.py, here in float32 with nn.Modules), one step = zero_grad, forward, mean
cross-entropy, backward, AdamW (lr 1e-3, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on 2-D tensors).
Usage: engine_torch_train.py L C NH T B V THREADS SECONDS ; prints one JSON object with the median step time,
tokens/s and the process's peak resident set (VmHWM from /proc/self/status, which includes the ~200 MB torch
itself maps; not ru_maxrss, which Linux carries over from the parent across fork and exec)."""
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, nh, t):
        super().__init__()
        self.nh = nh
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)
        self.register_buffer("mask", torch.tril(torch.ones(t, t, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        hs = c // self.nh
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, l, c, nh, t, v):
        super().__init__()
        self.wte = nn.Embedding(v, c)
        self.wpe = nn.Embedding(t, c)
        self.h = nn.ModuleList(Block(c, nh, t) for _ in range(l))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


def main():
    l, c, nh, t, b, v, threads = (int(a) for a in sys.argv[1:8])
    seconds = float(sys.argv[8])
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = Gpt(l, c, nh, t, v)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    x = torch.randint(0, v, (b, t))
    y = torch.randint(0, v, (b, t))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).view(-1, v), y.view(-1))
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(json.dumps({"step_s": median, "tokens_per_s": b * t / median, "steps": len(times),
                      "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
