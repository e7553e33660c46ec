using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static ScaleLab.Benchmarks.BenchArgs;
using ScaleLab.Games.Agent;
using ScaleLab.Games.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// Hex (issue 13): the batched policy/value network's forward (one GEMM per layer over a batch of leaves) in GFLOP/s,
/// as a fraction of the measured FMA peak (<see cref="EngineBenchmark.MeasurePeak"/>) and against the same network
/// in PyTorch on the same shapes (peers/hex_torch_eval.py, one thread on both sides); and self-play throughput
/// (samples/s, search nodes/s) at 1 and 2 threads (2 threads = two trainers at once, the way a sweep's two workers
/// run). FLOP are counted as 2 x weights x batch on both sides. The peak, ours and the peer are measured in interleaved
/// rounds (peak, ours, peer per shape, R times; default 3) and each keeps its best round, so a busy machine shows as
/// spread in the per-round ratios, which are listed; the fraction of peak is best ours over best peak.
/// Usage: hex [--shapes N:W:D:B,...] [--seconds S] [--rounds R] [--json].
/// </summary>
public static class HexBenchmark
{
    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var shapes = (Arg(args, "--shapes") ?? "5:256:4:256,9:512:4:512").Split(',')
            .Select(s => s.Split(':').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var seconds = double.Parse(Arg(args, "--seconds") ?? "2", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Arg(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        if (rounds < 1) throw new ArgumentException($"--rounds must be 1 or more, got {rounds}");
        var peaks = new List<double>();
        var ours = shapes.Select(_ => new List<double>()).ToArray();
        var torch = shapes.Select(_ => new List<double>()).ToArray();
        string? torchVersion = null;
        for (var round = 0; round < rounds; round++)
        {
            peaks.Add(EngineBenchmark.MeasurePeak(1));
            for (var i = 0; i < shapes.Length; i++)
            {
                var s = shapes[i];
                ours[i].Add(Eval(s[0], s[1], s[2], s[3], seconds));
                var peerOut = Peers.Run("/usr/bin/python3", string.Join(' ', new[] { Path.Combine(Peers.Folder(), "hex_torch_eval.py") }
                    .Concat(s.Select(v => v.ToString(CultureInfo.InvariantCulture))).Append("1").Append(seconds.ToString(CultureInfo.InvariantCulture))),
                    ("OMP_NUM_THREADS", "1"), ("OPENBLAS_NUM_THREADS", "1"));
                using var peer = JsonDocument.Parse(peerOut);
                torch[i].Add(peer.RootElement.GetProperty("gflops").GetDouble());
                torchVersion = peer.RootElement.GetProperty("torch").GetString();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"hex eval n={s[0]} W={s[1]} D={s[2]} B={s[3]} round {round + 1}/{rounds}: peak {peaks[^1]:F1}, ours {ours[i][^1]:F1}, PyTorch {torch[i][^1]:F1} GFLOP/s, ratio {ours[i][^1] / torch[i][^1]:F2}x, load {LoadAverage():F1}"));
            }
        }
        var peak = peaks.Max();
        var rows = new List<Dictionary<string, object?>>();
        for (var i = 0; i < shapes.Length; i++)
        {
            var s = shapes[i];
            double best = ours[i].Max(), bestTorch = torch[i].Max();
            rows.Add(new Dictionary<string, object?>
            {
                ["board"] = s[0], ["width"] = s[1], ["depth"] = s[2], ["batch"] = s[3], ["ours_gflops"] = best, ["torch_gflops"] = bestTorch,
                ["speedup"] = best / bestTorch, ["fraction_of_peak"] = best / peak, ["torch_version"] = torchVersion,
                ["round_speedups"] = ours[i].Zip(torch[i], (o, t) => o / t).ToList(), ["ours_rounds"] = ours[i], ["torch_rounds"] = torch[i],
            });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hex eval n={s[0]} W={s[1]} D={s[2]} B={s[3]}: best of {rounds} rounds: ours {best:F1} GFLOP/s ({best / peak:P0} of the {peak:F1} GFLOP/s peak), PyTorch {bestTorch:F1}, ours/torch {best / bestTorch:F2}x"));
        }
        var selfPlay = new[] { 1, 2 }.Select(t =>
        {
            var runs = Enumerable.Range(0, rounds).Select(_ => SelfPlay(t)).ToList();
            return (Threads: t, Samples: runs.Max(r => r.Samples), Nodes: runs.Max(r => r.Nodes));
        }).ToList();
        foreach (var (t, samples, nodes) in selfPlay)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"self-play 5x5 W=64 D=2, 32 games x 32 nodes, {t} thread(s), best of {rounds}: {samples:F0} samples/s, {nodes:F0} search nodes/s"));
        }
        var result = new Dictionary<string, object?>
        {
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["load_average_1min"] = LoadAverage(),
            ["rounds"] = rounds,
            ["peak_gflops_1_thread"] = peak,
            ["peak_rounds"] = peaks,
            ["hex_eval_fraction_of_peak"] = rows[0]["fraction_of_peak"],
            ["hex_eval_speedup"] = rows[0]["speedup"],
            ["eval"] = rows,
            ["self_play"] = selfPlay.Select(x => new Dictionary<string, object?> { ["threads"] = x.Threads, ["samples_per_s"] = x.Samples, ["nodes_per_s"] = x.Nodes }).ToList(),
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
}
