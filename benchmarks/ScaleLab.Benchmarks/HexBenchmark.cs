using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Games.Agent;
using ScaleLab.Games.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// Hex (issue 13): the batched policy/value network's forward (one GEMM per layer over a batch of leaves) in GFLOP/s,
/// as a fraction of the measured FMA peak (<see cref="EngineBenchmark.MeasurePeak"/>) and against the same network
/// in PyTorch on the same shapes (peers/hex_torch_eval.py); and self-play throughput (samples/s, search nodes/s) at
/// 1 and 2 threads (2 threads = two trainers at once, the way a sweep's two workers run). FLOP are counted as
/// 2 x weights x batch on both sides. Ours is measured first and logged, then the peer.
/// Usage: hex [--shapes N:W:D:B,...] [--seconds S] [--json].
/// </summary>
public static class HexBenchmark
{
    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var shapes = (Arg(args, "--shapes") ?? "5:256:4:256,9:512:4:512").Split(',')
            .Select(s => s.Split(':').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var seconds = double.Parse(Arg(args, "--seconds") ?? "2", CultureInfo.InvariantCulture);
        var peak = EngineBenchmark.MeasurePeak(1);
        Console.Error.WriteLine($"FMA peak: {peak:F1} GFLOP/s on 1 thread");
        var ours = shapes.Select(s => Eval(s[0], s[1], s[2], s[3], seconds)).ToArray();
        for (var i = 0; i < shapes.Length; i++)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hex eval n={shapes[i][0]} W={shapes[i][1]} D={shapes[i][2]} B={shapes[i][3]}: ours {ours[i]:F1} GFLOP/s ({ours[i] / peak:P0} of peak)"));
        }
        var selfPlay = new[] { 1, 2 }.Select(t => (Threads: t, Rates: SelfPlay(t))).ToList();
        foreach (var (t, (samples, nodes)) in selfPlay)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"self-play 5x5 W=64 D=2, 32 games x 32 nodes, {t} thread(s): {samples:F0} samples/s, {nodes:F0} search nodes/s"));
        }
        var rows = new List<Dictionary<string, object?>>();
        for (var i = 0; i < shapes.Length; i++)
        {
            var s = shapes[i];
            var peerOut = Peers.Run("/usr/bin/python3", string.Join(' ', new[] { Path.Combine(Peers.Folder(), "hex_torch_eval.py") }
                .Concat(s.Select(v => v.ToString(CultureInfo.InvariantCulture))).Append("1").Append(seconds.ToString(CultureInfo.InvariantCulture))),
                ("OMP_NUM_THREADS", "1"), ("OPENBLAS_NUM_THREADS", "1"));
            using var peer = JsonDocument.Parse(peerOut);
            var torch = peer.RootElement.GetProperty("gflops").GetDouble();
            rows.Add(new Dictionary<string, object?>
            {
                ["board"] = s[0], ["width"] = s[1], ["depth"] = s[2], ["batch"] = s[3], ["ours_gflops"] = ours[i], ["torch_gflops"] = torch,
                ["speedup"] = ours[i] / torch, ["fraction_of_peak"] = ours[i] / peak, ["torch_version"] = peer.RootElement.GetProperty("torch").GetString(),
            });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hex eval n={s[0]} W={s[1]}: PyTorch {torch:F1} GFLOP/s, ours/torch {ours[i] / torch:F2}x"));
        }
        var result = new Dictionary<string, object?>
        {
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["load_average_1min"] = LoadAverage(),
            ["peak_gflops_1_thread"] = peak,
            ["hex_eval_fraction_of_peak"] = rows[0]["fraction_of_peak"],
            ["hex_eval_speedup"] = rows[0]["speedup"],
            ["eval"] = rows,
            ["self_play"] = selfPlay.Select(x => new Dictionary<string, object?> { ["threads"] = x.Threads, ["samples_per_s"] = x.Rates.Samples, ["nodes_per_s"] = x.Rates.Nodes }).ToList(),
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>Best GFLOP/s of the batched forward over rounds of at least 50 ms each, for <paramref name="seconds"/>.</summary>
    private static double Eval(int board, int width, int depth, int batch, double seconds)
    {
        var shape = new HexNetShape(board, width, depth);
        var net = HexNet.Create(shape, 1);
        var rng = new Random(1);
        var x = new float[batch * shape.Inputs];
        for (var i = 0; i < x.Length; i++) x[i] = rng.NextDouble() < 0.3 ? 1f : 0f;
        var priors = new float[batch * shape.Cells];
        var values = new float[batch];
        net.Evaluate(x, batch, priors, values);
        double weights = shape.MultiplyAddsPerEvaluation, best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            var reps = 0;
            var round = Stopwatch.StartNew();
            do
            {
                net.Evaluate(x, batch, priors, values);
                reps++;
            } while (round.Elapsed.TotalSeconds < 0.05);
            best = Math.Min(best, round.Elapsed.TotalSeconds / reps);
        }
        return 2 * weights * batch / best / 1e9;
    }

    /// <summary>Samples/s and search nodes/s of self-play, <paramref name="threads"/> trainers at once (summed).</summary>
    private static (double Samples, double Nodes) SelfPlay(int threads)
    {
        var results = new (double Samples, double Nodes)[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var trainer = new SelfPlayTrainer(new HexTrainConfig("bench", 5, 64, 2, t + 1, 2, Games: 32, Nodes: 32, Buffer: 4096));
            var clock = Stopwatch.StartNew();
            double samples = 0;
            for (var g = 0; g < 2; g++) samples += trainer.RunGeneration().NewSamples;
            var s = clock.Elapsed.TotalSeconds;
            results[t] = (samples / s, trainer.JonesCompute / trainer.Config.Shape.ParameterCount / s);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return (results.Sum(r => r.Samples), results.Sum(r => r.Nodes));
    }

    private static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
