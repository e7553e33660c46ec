#!/usr/bin/env python3
"""Peer for `ScaleLab.Benchmarks fit`: the Chinchilla Approach-3 fit done the usual Python way.

Same procedure as ScaleLab's fitter: Hoffmann et al. 2022 (Approach 3) parameterisation
    log L_hat = LSE(a - alpha*log N, b - beta*log D, e),  A = exp(a), B = exp(b), E = exp(e)
Huber loss (delta) on r = log L - log L_hat summed over points, minimised with scipy's L-BFGS-B and an
analytic gradient, from every start of the 4,500-point grid of Hoffmann et al.; then bootstrap refits
(resampled points) each started from the given start list. Run with Debian's python3-scipy:
    /usr/bin/python3 benchmarks/peers/fit_scipy.py --data ../shared/data/chinchilla_points.csv --bootstrap 1000
Prints one JSON document.
"""
import argparse, csv, itertools, json, os, time
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp


def load(path, drop_highest):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    y = np.array([float(r["loss"]) for r in rows])
    keep = np.argsort(y, kind="stable")[: len(y) - drop_highest]
    keep.sort()
    n, c, y = n[keep], c[keep], y[keep]
    d = c / (6.0 * n)
    return np.log(n), np.log(d), np.log(y)


def objective(p, logn, logd, logy, delta):
    a, b, e, alpha, beta = p
    t = np.stack([a - alpha * logn, b - beta * logd, np.full_like(logn, e)])
    lse = logsumexp(t, axis=0)
    r = logy - lse
    ar = np.abs(r)
    quad = ar <= delta
    loss = np.where(quad, 0.5 * r * r, delta * (ar - 0.5 * delta)).sum()
    dldr = np.where(quad, r, delta * np.sign(r))
    w = np.exp(t - lse)  # softmax weights, d lse / d t_k
    g_lse = -dldr  # d loss / d lse
    grad = np.array([
        (g_lse * w[0]).sum(),
        (g_lse * w[1]).sum(),
        (g_lse * w[2]).sum(),
        (g_lse * w[0] * -logn).sum(),
        (g_lse * w[1] * -logd).sum(),
    ])
    return loss, grad


def grid():
    alphas = [0.0, 0.5, 1.0, 1.5, 2.0]
    es = [-1.0, -0.5, 0.0, 0.5, 1.0]
    abs_ = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    return [np.array([a, b, e, al, be]) for al, be, e, a, b in itertools.product(alphas, alphas, es, abs_, abs_)]


def fit(starts, logn, logd, logy, delta, options):
    best = None
    for s in starts:
        try:
            res = minimize(objective, s, args=(logn, logd, logy, delta), jac=True, method="L-BFGS-B", options=options)
        except (FloatingPointError, ValueError):
            continue
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--drop-highest", type=int, default=5)
    ap.add_argument("--delta", type=float, default=1e-3)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--boot-starts-file", help="JSON list of extra starts [a, b, e, alpha, beta] tried by every bootstrap refit besides the full-data optimum")
    ap.add_argument("--ftol", type=float, default=2.220446049250313e-09, help="L-BFGS-B ftol (scipy default)")
    ap.add_argument("--gtol", type=float, default=1e-05, help="L-BFGS-B gtol (scipy default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    np.seterr(all="ignore")
    logn, logd, logy = load(args.data, args.drop_highest)

    t0 = time.perf_counter()
    options = {"ftol": args.ftol, "gtol": args.gtol, "maxiter": 15000}
    best = fit(grid(), logn, logd, logy, args.delta, options)
    t_grid = time.perf_counter() - t0

    rng = np.random.default_rng(args.seed)
    extra = []
    if args.boot_starts_file:
        with open(args.boot_starts_file) as f:
            extra = [np.array(x, dtype=float) for x in json.load(f)]
    boot_starts = [best.x] + extra
    t0 = time.perf_counter()
    samples = []
    for _ in range(args.bootstrap):
        idx = rng.integers(0, len(logy), len(logy))
        r = fit(boot_starts, logn[idx], logd[idx], logy[idx], args.delta, options)
        if r is not None:
            samples.append(r.x)
    t_boot = time.perf_counter() - t0
    a, b, e, alpha, beta = best.x
    samples = np.array(samples)
    out = {
        "peer": "scipy L-BFGS-B", "scipy": __import__("scipy").__version__, "numpy": np.__version__,
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "points": int(len(logy)), "starts": len(grid()), "ftol": args.ftol, "gtol": args.gtol, "bootstrap_starts": len(boot_starts),
        "objective": float(best.fun),
        "params": {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": float(alpha), "beta": float(beta)},
        "grid_seconds": t_grid, "bootstrap": args.bootstrap, "bootstrap_seconds": t_boot,
        "bootstrap_alpha_95": [float(np.percentile(samples[:, 3], 2.5)), float(np.percentile(samples[:, 3], 97.5))] if len(samples) else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
