#!/usr/bin/python3
"""Independent reference for ScaleLab's GPT engine, the way llm.c checks itself against PyTorch.

Builds the same GPT-2 style model as src/ScaleLab.Engine/Model/Gpt.cs in PyTorch (Debian python3-torch 1.13,
run with /usr/bin/python3), from a seed, in float64, and writes a small binary fixture with the weights, one
batch, the logits, the loss, every parameter gradient and the losses of 10 AdamW steps. The test
tests/ScaleLab.Engine.Tests/Model/PyTorchReferenceTests.cs loads it and compares the engine's float results.

Model: token + learned position embeddings; per block x += attn(ln_1(x)); x += mlp(ln_2(x)) with causal
multi-head attention (softmax(q·kᵀ/√hs) with the upper triangle masked) and mlp = c_proj(gelu_tanh(c_fc(·)));
final ln_f; logits = x·wteᵀ (tied); loss = mean cross-entropy. LayerNorm ε = 1e-5.

AdamW: torch.optim.AdamW, lr 1e-2, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on the 2-D tensors
(wte, wpe and the four matrices per block, as llm.c), none on biases and LayerNorm parameters. Same
convention as src/ScaleLab.Engine/Training/AdamW.cs: θ ← θ(1 − lr·wd), then θ ← θ − lr·m̂/(√v̂ + ε).

Weights are drawn wider than GPT-2's init (matrices and biases N(0, 0.1²), LayerNorm gains 1 + N(0, 0.1²),
shifts N(0, 0.1²)) so that every gradient is far from zero and a swapped or missing term shows.

Fixture format (little endian): b"SLRF", int32 version 1, int32 L, C, NH, T, V, B, steps, float64 lr, beta1,
beta2, eps, wd; int32 inputs[B·T], int32 targets[B·T]; float32 parameters[P] in the engine's layout order;
float64 logits[B·T·V]; float64 loss; float64 gradients[P]; float64 losses[steps] (the loss before update k).

Usage: /usr/bin/python3 tools/reference/gpt_reference.py tests/ScaleLab.Engine.Tests/Fixtures/gpt_reference.bin
"""
import math
import struct
import sys

import torch
import torch.nn.functional as F

L, C, NH, T, V, B, STEPS = 2, 16, 2, 8, 32, 2, 10
LR, BETA1, BETA2, EPS, WD = 1e-2, 0.9, 0.95, 1e-8, 0.1
SEED = 1234


def layout():
    """(name, shape, is_matrix) in the engine's order (GptLayout.cs)."""
    items = [("wte", (V, C), True), ("wpe", (T, C), True)]
    for l in range(L):
        p = f"h.{l}."
        items += [
            (p + "ln_1.weight", (C,), False), (p + "ln_1.bias", (C,), False),
            (p + "attn.c_attn.weight", (3 * C, C), True), (p + "attn.c_attn.bias", (3 * C,), False),
            (p + "attn.c_proj.weight", (C, C), True), (p + "attn.c_proj.bias", (C,), False),
            (p + "ln_2.weight", (C,), False), (p + "ln_2.bias", (C,), False),
            (p + "mlp.c_fc.weight", (4 * C, C), True), (p + "mlp.c_fc.bias", (4 * C,), False),
            (p + "mlp.c_proj.weight", (C, 4 * C), True), (p + "mlp.c_proj.bias", (C,), False),
        ]
    items += [("ln_f.weight", (C,), False), ("ln_f.bias", (C,), False)]
    return items


def forward(params, inputs):
    x = params["wte"][inputs] + params["wpe"][:T].unsqueeze(0)
    hs = C // NH
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(L):
        p = lambda n: params[f"h.{l}.{n}"]
        h = F.layer_norm(x, (C,), p("ln_1.weight"), p("ln_1.bias"), eps=1e-5)
        qkv = F.linear(h, p("attn.c_attn.weight"), p("attn.c_attn.bias"))
        q, k, v = qkv.split(C, dim=2)
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + F.linear(y, p("attn.c_proj.weight"), p("attn.c_proj.bias"))
        h = F.layer_norm(x, (C,), p("ln_2.weight"), p("ln_2.bias"), eps=1e-5)
        h = F.gelu(F.linear(h, p("mlp.c_fc.weight"), p("mlp.c_fc.bias")), approximate="tanh")
        x = x + F.linear(h, p("mlp.c_proj.weight"), p("mlp.c_proj.bias"))
    x = F.layer_norm(x, (C,), params["ln_f.weight"], params["ln_f.bias"], eps=1e-5)
    return x @ params["wte"].t()


def main(path):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    items = layout()
    params = {}
    for name, shape, is_matrix in items:
        w = 0.1 * torch.randn(shape)
        if name.endswith("weight") and "ln_" in name:
            w = w + 1.0
        # Round to float32 first: the engine receives exactly these values.
        params[name] = w.float().double().requires_grad_(True)
    inputs = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))

    logits = forward(params, inputs)
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
    loss.backward()
    flat_params = torch.cat([params[n].detach().float().flatten() for n, _, _ in items])
    flat_grads = torch.cat([params[n].grad.flatten() for n, _, _ in items])
    first_logits = logits.detach().flatten()
    first_loss = loss.item()

    decay = [params[n] for n, _, m in items if m]
    no_decay = [params[n] for n, _, m in items if not m]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(BETA1, BETA2), eps=EPS)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(forward(params, inputs).view(-1, V), targets.view(-1))
        losses.append(loss.item())
        loss.backward()
        opt.step()

    with open(path, "wb") as f:
        f.write(b"SLRF")
        f.write(struct.pack("<8i", 1, L, C, NH, T, V, B, STEPS))
        f.write(struct.pack("<5d", LR, BETA1, BETA2, EPS, WD))
        f.write(struct.pack(f"<{B * T}i", *inputs.flatten().tolist()))
        f.write(struct.pack(f"<{B * T}i", *targets.flatten().tolist()))
        f.write(flat_params.numpy().astype("<f4").tobytes())
        f.write(first_logits.numpy().astype("<f8").tobytes())
        f.write(struct.pack("<d", first_loss))
        f.write(flat_grads.numpy().astype("<f8").tobytes())
        f.write(struct.pack(f"<{STEPS}d", *losses))
    print(f"wrote {path}: {flat_params.numel()} parameters, loss {first_loss:.6f}, after {STEPS} AdamW steps {losses[-1]:.6f}",
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "gpt_reference.bin")
