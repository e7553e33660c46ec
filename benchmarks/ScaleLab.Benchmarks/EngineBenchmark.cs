using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Kernels;
using ScaleLab.Engine.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// `ScaleLab.Benchmarks engine [--json] [--quick] [--rounds N]`: the engine against its peers, side by side in one run, at 1 and 2 threads.
/// (a) SGEMM on every matrix product of a training step (forward inp·Wᵀ, backward dout·W and doutᵀ·inp) of two
/// configs: ours vs OpenBLAS cblas_sgemm (Debian libopenblas, OPENBLAS_NUM_THREADS) and torch.matmul (Debian
/// python3-torch, torch.set_num_threads and OMP/OpenBLAS thread variables, OMP_WAIT_POLICY=ACTIVE), in GFLOP/s and as a fraction of the measured peak.
/// (b) one full training step (forward, backward, AdamW) in our engine and in PyTorch, tokens/s, MFU and memory.
/// Peak: an FMA-only loop with 12 independent accumulators, i.e. what the cores actually sustain, the better of 256-bit
/// vectors and (where the CPU runs them in hardware) 512-bit ones: Zen 2-4 sustain 32 FLOP/cycle/core either way, a
/// full-width AVX-512 core (Zen 5, most Xeons) 64 with 512-bit vectors.
/// </summary>
public static class EngineBenchmark
{
    private sealed record Config(string Name, int L, int C, int NH, int T, int B, int V);

    private static readonly Config[] Configs =
    [
        new("L4-C128", 4, 128, 4, 128, 16, 256),
        new("L6-C384", 6, 384, 6, 128, 16, 256),
    ];

    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var quick = args.Contains("--quick");
        var seconds = quick ? 1.0 : 3.0;
        // Rounds: every measurement (ours and each peer's) is taken once per round, interleaved, and the best of the
        // rounds is kept on each side. On a shared machine other work only ever slows a measurement down, so the best
        // of several is the least disturbed one; the per-round ratios are printed too, to show the spread.
        var rounds = RoundsOption(args, quick ? 1 : 3);
        var peers = Peers.Folder();
        var log = Console.Error;
        log.WriteLine($"engine benchmark: {Environment.ProcessorCount} cores, AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported}, AVX-512 {Vector512.IsHardwareAccelerated}; {rounds} round(s); load average {LoadAverage()}");

        var peak = new Dictionary<int, double> { [1] = MeasurePeak(1), [2] = MeasurePeak(2) };
        log.WriteLine($"measured FMA peak: {peak[1]:F1} GFLOP/s on 1 thread, {peak[2]:F1} on 2 (best of 256-bit{(Vector512.IsHardwareAccelerated ? " and 512-bit" : "")} FMA loops)");

        var sgemmPeer = CompileOpenBlasPeer(peers);
        var gemmRows = new List<Dictionary<string, object>>();
        var shapes = Configs.SelectMany(cfg => GemmShapes(cfg).Select(g => (Config: cfg.Name, g.Op, g.Ta, g.Tb, g.M, g.N, g.K))).ToList();
        var shapeArgs = string.Join(' ', shapes.Select(s => $"{s.Ta},{s.Tb},{s.M},{s.N},{s.K}"));
        foreach (var threads in new[] { 1, 2 })
        {
            var (ours, blas, torch) = (new double[shapes.Count], new double[shapes.Count], new double[shapes.Count]);
            for (var round = 0; round < rounds; round++)
            {
                // Each peer process times every shape in one run, so its start-up is paid once per round and thread count.
                Max(blas, ParseLines(Peers.Run(sgemmPeer, shapeArgs, ("OPENBLAS_NUM_THREADS", threads.ToString()))));
                Max(torch, ParseLines(Peers.Run("/usr/bin/python3", $"{Path.Combine(peers, "engine_torch_matmul.py")} {threads} {shapeArgs}",
                    TorchEnvironment(threads))));
                Max(ours, [.. shapes.Select(g => TimeOurGemm(g.Ta, g.Tb, g.M, g.N, g.K, threads))]);
            }
            peak[threads] = Math.Max(peak[threads], MeasurePeak(threads));
            for (var i = 0; i < shapes.Count; i++)
            {
                var (config, op, _, _, m, n, k) = shapes[i];
                gemmRows.Add(new()
                {
                    ["config"] = config, ["op"] = op, ["m"] = m, ["n"] = n, ["k"] = k, ["threads"] = threads,
                    ["ours_gflops"] = Math.Round(ours[i], 2), ["openblas_gflops"] = blas[i], ["torch_gflops"] = torch[i],
                    ["ours_vs_openblas"] = Math.Round(ours[i] / blas[i], 3), ["ours_fraction_of_peak"] = Math.Round(ours[i] / peak[threads], 3),
                });
                log.WriteLine($"gemm {config,-8} {op,-15} {m,5}x{n,5}x{k,5} t={threads}: ours {ours[i],6:F1}  openblas {blas[i],6:F1}  torch {torch[i],6:F1} GFLOP/s  (ours/openblas {ours[i] / blas[i]:F2}, {ours[i] / peak[threads]:P0} of peak)");
            }
        }
        var ratios = gemmRows.Select(r => (double)r["ours_vs_openblas"]).Order().ToList();
        log.WriteLine($"gemm ours/openblas over {ratios.Count} shape-thread pairs: median {ratios[ratios.Count / 2]:F2}, min {ratios[0]:F2}, max {ratios[^1]:F2}");

        var trainRows = new List<Dictionary<string, object>>();
        var self = SelfLaunch();
        var cases = Configs.SelectMany(cfg => new[] { 1, 2 }.Select(threads => (Cfg: cfg, Threads: threads))).ToList();
        var best = cases.ToDictionary(c => c, _ => (Ours: 0.0, OursBytes: 0L, OursWs: 0L, Torch: 0.0, Policy: "", TorchRss: 0.0));
        var roundRatios = cases.ToDictionary(c => c, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var c in cases)
            {
                var (cfg, threads) = c;
                // Ours runs in a fresh process too, like the peer, so that each side's peak resident set (VmHWM) is
                // that of one training step's process and nothing else this benchmark has allocated.
                var step = JsonDocument.Parse(Peers.Run(self.File,
                    $"{self.Prefix}engine-step {cfg.L} {cfg.C} {cfg.NH} {cfg.T} {cfg.B} {cfg.V} {threads} {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}")).RootElement;
                var (ours, oursBytes, oursWs) = (step.GetProperty("tokens_per_s").GetDouble(), step.GetProperty("model_bytes").GetInt64(),
                    (long)(step.GetProperty("peak_rss_mb").GetDouble() * 1048576));
                // The peer gets the better of the two OpenMP wait policies (spinning helps small ops on a quiet
                // machine and hurts on a busy one).
                var (peer, policy) = new[] { "ACTIVE", "PASSIVE" }
                    .Select(w => (Doc: JsonDocument.Parse(Peers.Run("/usr/bin/python3",
                        $"{Path.Combine(peers, "engine_torch_train.py")} {cfg.L} {cfg.C} {cfg.NH} {cfg.T} {cfg.B} {cfg.V} {threads} {seconds}",
                        TorchEnvironment(threads, w))).RootElement, Policy: w))
                    .MaxBy(r => r.Doc.GetProperty("tokens_per_s").GetDouble());
                var torch = peer.GetProperty("tokens_per_s").GetDouble();
                roundRatios[c].Add(ours / torch);
                log.WriteLine($"  round {round + 1} train {cfg.Name} t={threads}: ours {ours,8:F0} tok/s, torch {torch,8:F0} tok/s (x{ours / torch:F2})");
                var b = best[c];
                best[c] = (Math.Max(b.Ours, ours), oursBytes, Math.Max(b.OursWs, oursWs),
                    torch > b.Torch ? torch : b.Torch, torch > b.Torch ? policy : b.Policy,
                    Math.Max(b.TorchRss, peer.GetProperty("peak_rss_mb").GetDouble()));
            }
        }
        // Peak again after the long part: keep the highest, as for every other figure.
        peak[1] = Math.Max(peak[1], MeasurePeak(1));
        peak[2] = Math.Max(peak[2], MeasurePeak(2));
        log.WriteLine($"FMA peak, best of start and end: {peak[1]:F1} GFLOP/s on 1 thread, {peak[2]:F1} on 2");
        foreach (var c in cases)
        {
            var (cfg, threads) = c;
            var (ours, oursBytes, oursWs, torch, policy, torchRss) = best[c];
            var flopsPerToken = new GptConfig(cfg.L, cfg.C, cfg.NH, cfg.T, cfg.V).FlopsPerToken;
            trainRows.Add(new()
            {
                ["config"] = cfg.Name, ["threads"] = threads, ["flops_per_token"] = flopsPerToken,
                ["ours_tokens_per_s"] = Math.Round(ours), ["torch_tokens_per_s"] = Math.Round(torch),
                ["speedup"] = Math.Round(ours / torch, 3),
                ["speedup_per_round"] = roundRatios[c].Select(r => Math.Round(r, 3)).ToList(),
                ["ours_mfu"] = Math.Round(ours * flopsPerToken / (peak[threads] * 1e9), 4),
                ["torch_mfu"] = Math.Round(torch * flopsPerToken / (peak[threads] * 1e9), 4),
                ["ours_model_mb"] = Math.Round(oursBytes / 1048576.0, 1), ["ours_peak_rss_mb"] = Math.Round(oursWs / 1048576.0, 1),
                ["torch_peak_rss_mb"] = Math.Round(torchRss, 1),
                ["torch_omp_wait_policy"] = policy,
            });
            log.WriteLine($"train {cfg.Name} t={threads}: ours {ours,8:F0} tok/s, torch {torch,8:F0} tok/s (x{ours / torch:F2}; rounds {string.Join(", ", roundRatios[c].Select(r => r.ToString("F2")))}); MFU ours {ours * flopsPerToken / (peak[threads] * 1e9):P1}, torch {torch * flopsPerToken / (peak[threads] * 1e9):P1}; memory ours {oursBytes / 1048576.0:F0} MB model, {oursWs / 1048576.0:F0} MB peak RSS; torch peak RSS {torchRss:F0} MB (torch OMP_WAIT_POLICY={policy})");
        }

        // Best thread count on each side, tiny config.
        var tiny = trainRows.Where(r => (string)r["config"] == Configs[0].Name).ToList();
        var speedup = tiny.Max(r => (double)r["ours_tokens_per_s"]) / tiny.Max(r => (double)r["torch_tokens_per_s"]);
        log.WriteLine($"train_step_speedup ({Configs[0].Name}, best thread count each side): {speedup:F2}; load average now {LoadAverage()}");
        if (json)
        {
            var doc = new Dictionary<string, object>
            {
                ["machine"] = new Dictionary<string, object>
                {
                    ["cores"] = Environment.ProcessorCount, ["avx512"] = Vector512.IsHardwareAccelerated,
                    ["peak_gflops_1_thread"] = Math.Round(peak[1], 1), ["peak_gflops_2_threads"] = Math.Round(peak[2], 1),
                    ["clock_ghz_estimate"] = Math.Round(peak[1] / 32, 2), ["load_average"] = LoadAverage(),
                },
                ["rounds"] = rounds,
                ["peer_settings"] = "OpenBLAS: OPENBLAS_NUM_THREADS = threads; PyTorch: torch.set_num_threads(threads), OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = threads; matmul with OMP_WAIT_POLICY=ACTIVE, train step with the better of ACTIVE and PASSIVE",
                ["gemm"] = gemmRows,
                ["gemm_median_ours_vs_openblas"] = Math.Round(ratios[ratios.Count / 2], 3),
                ["train"] = trainRows,
                ["train_step_speedup"] = Math.Round(speedup, 3),
            };
            Console.Out.WriteLine(JsonSerializer.Serialize(doc));
        }
        return 0;
    }

    /// <summary>Every matrix product of one training step: for each linear layer (N rows = B·T, in → out):
    /// forward out = inp·Wᵀ (M=BT, N=out, K=in), dinp = dout·W (M=BT, N=in, K=out), dW = doutᵀ·inp (M=out, N=in, K=BT).</summary>
    private static IEnumerable<(string Op, char Ta, char Tb, int M, int N, int K)> GemmShapes(Config c)
    {
        var bt = c.B * c.T;
        var layers = new (string Name, int In, int Out)[] { ("qkv", c.C, 3 * c.C), ("attproj", c.C, c.C), ("fc", c.C, 4 * c.C), ("fcproj", 4 * c.C, c.C), ("logits", c.C, c.V) };
        foreach (var (name, inC, outC) in layers)
        {
            yield return ($"{name}.fwd", 'N', 'T', bt, outC, inC);
            yield return ($"{name}.dinp", 'N', 'N', bt, inC, outC);
            yield return ($"{name}.dweight", 'T', 'N', outC, inC, bt);
        }
    }

    private static unsafe double TimeOurGemm(char ta, char tb, int m, int n, int k, int threads)
    {
        var rng = new Rng(1);
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        for (var i = 0; i < a.Length; i++) a[i] = rng.NextFloat() - 0.5f;
        for (var i = 0; i < b.Length; i++) b[i] = rng.NextFloat() - 0.5f;
        // Row-major op(A) (m×k): 'N' stored (m,k), 'T' stored (k,m); op(B) (k×n): 'N' stored (k,n), 'T' stored (n,k).
        int ars = ta == 'N' ? k : 1, acs = ta == 'N' ? 1 : m, brs = tb == 'N' ? n : 1, bcs = tb == 'N' ? 1 : k;
        using var pool = threads > 1 ? new Engine.Parallelism.WorkerPool(threads) : null;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < 0.1) Sgemm.Accumulate(pa, ars, acs, pb, brs, bcs, pc, n, m, n, k, pool);
            var best = double.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var reps = 0;
                var sw = Stopwatch.StartNew();
                do
                {
                    Sgemm.Accumulate(pa, ars, acs, pb, brs, bcs, pc, n, m, n, k, pool);
                    reps++;
                }
                while (sw.Elapsed.TotalSeconds < 0.05);
                best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
            }
            return 2.0 * m * n * k / best / 1e9;
        }
    }

    /// <summary>Child-process entry (`engine-step L C NH T B V THREADS SECONDS`): times our training step in a process
    /// of its own and prints one JSON object: median step time, tokens/s, the bytes the model and optimizer hold,
    /// and the process's peak resident set (VmHWM).</summary>
    public static int RunStep(string[] args)
    {
        var v = args.Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var cfg = new Config("step", (int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5]);
        var (tokensPerSecond, bytes) = TimeOurTrainStep(cfg, (int)v[6], v[7]);
        Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["step_s"] = cfg.B * cfg.T / tokensPerSecond, ["tokens_per_s"] = tokensPerSecond, ["model_bytes"] = bytes,
            ["peak_rss_mb"] = PeakRssMegabytes(),
        }));
        return 0;
    }

    /// <summary>VmHWM of this process, in MiB: the high-water mark of its resident set since it started.</summary>
    private static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null
            ? Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0
            : double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>How to start this benchmark program again: the apphost, or dotnet with the assembly.</summary>
    private static (string File, string Prefix) SelfLaunch()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell how this process was started");
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? (host, $"\"{typeof(EngineBenchmark).Assembly.Location}\" ")
            : (host, "");
    }

    private static (double TokensPerSecond, long ModelBytes) TimeOurTrainStep(Config cfg, int threads, double seconds)
    {
        using var model = new Gpt(new GptConfig(cfg.L, cfg.C, cfg.NH, cfg.T, cfg.V), cfg.B, threads);
        model.InitWeights(new Rng(0));
        var segments = model.Layout.Select(t => new ParameterSegment(t.Offset, t.Length, t.IsMatrix)).ToArray();
        var optimizer = new AdamW(model.Parameters.Length, segments, new AdamWOptions(0.9, 0.95, 1e-8, 0.1));
        var rng = new Rng(1);
        var x = Enumerable.Range(0, cfg.B * cfg.T).Select(_ => rng.NextInt(cfg.V)).ToArray();
        var y = Enumerable.Range(0, cfg.B * cfg.T).Select(_ => rng.NextInt(cfg.V)).ToArray();
        void Step()
        {
            model.ZeroGrad();
            model.Forward(x, y, cfg.B, cfg.T);
            model.Backward();
            optimizer.Update(model.Parameters, model.Gradients, 1e-3, model.Pool);
        }
        // Warm up for a while: tiered compilation promotes the library code (TensorPrimitives, AdamW) only after
        // it has run ~30 times, and a real training run spends nearly all its time past that point.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < 3 || warm.Elapsed.TotalSeconds < seconds / 2; i++) Step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            var sw = Stopwatch.StartNew();
            Step();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        var bytes = model.AllocatedBytes + 8L * model.Parameters.Length;
        return (cfg.B * cfg.T / median, bytes);
    }

    /// <summary>GFLOP/s of a loop of independent FMAs on each of <paramref name="threads"/> threads at once: the better of
    /// 256-bit (AVX2) and, where the CPU runs them in hardware, 512-bit (AVX-512) vectors. A CPU with full-width AVX-512
    /// units (Zen 5, most Xeons) does twice the 256-bit rate, so a peak measured with 256-bit code alone would flatter every
    /// fraction of peak there.</summary>
    internal static double MeasurePeak(int threads)
    {
        var peak = MeasurePeak(threads, iterations => FmaLoop(iterations), 8);
        return Vector512.IsHardwareAccelerated ? Math.Max(peak, MeasurePeak(threads, iterations => FmaLoop512(iterations), 16)) : peak;
    }

    private static double MeasurePeak(int threads, Func<long, float> loop, int lanes)
    {
        const long iterations = 20_000_000;
        var best = 0.0;
        for (var round = 0; round < 3; round++)
        {
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => loop(iterations))).ToArray();
            var sw = Stopwatch.StartNew();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            best = Math.Max(best, threads * iterations * 12 * lanes * 2 / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static float FmaLoop512(long iterations)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-7f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b); c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b); c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b); c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b); c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float FmaLoop(long iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(1e-7f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b); c2 = Fma.MultiplyAdd(c2, a, b);
            c3 = Fma.MultiplyAdd(c3, a, b); c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b); c8 = Fma.MultiplyAdd(c8, a, b);
            c9 = Fma.MultiplyAdd(c9, a, b); c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static string CompileOpenBlasPeer(string peers)
    {
        var exe = Path.Combine(Path.GetTempPath(), $"scalelab_engine_sgemm_{Environment.ProcessId}");
        Peers.Run("gcc", $"-O2 {Path.Combine(peers, "engine_sgemm.c")} -lopenblas -o {exe}");
        return exe;
    }

    /// <summary>Debian's torch calls OpenBLAS for its matmuls, and OpenBLAS takes its thread count from its own
    /// variable, not from torch.set_num_threads: without OPENBLAS_NUM_THREADS a "1-thread" torch uses every core
    /// and a 2-thread one oversubscribes them. OMP_WAIT_POLICY=ACTIVE lets OpenMP workers spin between small ops.</summary>
    private static (string, string)[] TorchEnvironment(int threads, string waitPolicy = "ACTIVE") =>
        [("OMP_WAIT_POLICY", waitPolicy), ("OMP_NUM_THREADS", threads.ToString()), ("OPENBLAS_NUM_THREADS", threads.ToString())];

    /// <summary>best[i] = max(best[i], values[i]).</summary>
    private static void Max(double[] best, double[] values)
    {
        if (values.Length != best.Length)
        {
            throw new InvalidOperationException($"a peer returned {values.Length} figures, expected {best.Length}");
        }
        for (var i = 0; i < best.Length; i++) best[i] = Math.Max(best[i], values[i]);
    }

    private static int RoundsOption(string[] args, int fallback)
    {
        var i = Array.IndexOf(args, "--rounds");
        if (i < 0) return fallback;
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var rounds) || rounds < 1)
        {
            throw new ArgumentException("--rounds needs a positive whole number");
        }
        return rounds;
    }

    private static double[] ParseLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
