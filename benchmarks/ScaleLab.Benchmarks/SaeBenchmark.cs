using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static ScaleLab.Benchmarks.BenchArgs;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// `sae`: SAE training throughput (tokens/s) of ours against the same TopK SAE in PyTorch (peers/sae_torch_train.py,
/// Debian's python3-torch), side by side in one run, on the same shapes, batch and thread count. A step on both sides is
/// forward, mean squared error, backward, the decoder-parallel gradient removed, an Adam update and the decoder rows
/// renormalised, on one fixed batch of Gaussian rows (no AuxK on either side: a fresh SAE has no dead latents). Ours
/// computes the decoder and all of backward on each row's k active latents; the PyTorch formulation scatters the codes
/// into a dense (B, n) matrix, as the common implementations do. `sae_train_speedup` is ours / PyTorch's tokens per
/// second at the first shape; every shape's ratio is listed. Each measurement is the median step over a few seconds; the two
/// sides are measured in interleaved rounds (ours, then the peer, R times; default 3) and each side keeps its best round,
/// as the engine suite does, so a busy machine shows as spread in the per-round ratios, which are listed. The peer runs
/// with torch.set_num_threads and OMP/OpenBLAS threads set to the same count as ours. The peer's BLAS is
/// whatever libblas.so.3 Debian's alternatives point at (install-peers.sh installs OpenBLAS; the reference BLAS makes
/// PyTorch several times slower); the JSON names the library the peer mapped.
/// Usage: sae [--shapes D:N:K,...] [--batch B] [--threads T] [--seconds S] [--rounds R] [--json].
/// </summary>
public static class SaeBenchmark
{
    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var shapes = (Arg(args, "--shapes") ?? "256:2048:32,64:512:32").Split(',')
            .Select(s => s.Split(':').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var batch = int.Parse(Arg(args, "--batch") ?? "1024", CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        var seconds = double.Parse(Arg(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Arg(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        if (rounds < 1) throw new ArgumentException($"--rounds must be 1 or more, got {rounds}");
        var rows = new List<Dictionary<string, object?>>();
        foreach (var shape in shapes)
        {
            int d = shape[0], n = shape[1], k = shape[2];
            var oursRounds = new List<double>();
            var torchRounds = new List<double>();
            string? torchVersion = null, torchBlas = null;
            for (var round = 0; round < rounds; round++)
            {
                oursRounds.Add(Ours(d, n, k, batch, threads, seconds));
                var peerOut = Peers.Run("/usr/bin/python3", string.Join(' ', Path.Combine(Peers.Folder(), "sae_torch_train.py"),
                    d.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture), k.ToString(CultureInfo.InvariantCulture),
                    batch.ToString(CultureInfo.InvariantCulture), threads.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)),
                    ("OMP_NUM_THREADS", threads.ToString(CultureInfo.InvariantCulture)), ("OPENBLAS_NUM_THREADS", threads.ToString(CultureInfo.InvariantCulture)));
                using var peer = JsonDocument.Parse(peerOut);
                torchRounds.Add(peer.RootElement.GetProperty("tokens_per_s").GetDouble());
                torchVersion = peer.RootElement.GetProperty("torch").GetString();
                torchBlas = peer.RootElement.GetProperty("blas").GetString();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sae D={d} n={n} k={k} round {round + 1}/{rounds}: ours {oursRounds[^1]:F0}, PyTorch {torchRounds[^1]:F0} tokens/s, ratio {oursRounds[^1] / torchRounds[^1]:F2}x, load {LoadAverage():F1}"));
            }
            double ours = oursRounds.Max(), torchTokens = torchRounds.Max();
            var row = new Dictionary<string, object?>
            {
                ["width"] = d, ["latents"] = n, ["k"] = k, ["batch"] = batch,
                ["ours_tokens_per_s"] = ours, ["torch_tokens_per_s"] = torchTokens, ["speedup"] = ours / torchTokens,
                ["rounds"] = rounds, ["round_speedups"] = oursRounds.Zip(torchRounds, (o, t) => o / t).ToList(),
                ["ours_rounds"] = oursRounds, ["torch_rounds"] = torchRounds,
                ["torch_version"] = torchVersion,
                ["torch_blas"] = torchBlas,
            };
            rows.Add(row);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sae D={d} n={n} k={k} B={batch} threads={threads}: best of {rounds} rounds: ours {ours:F0} tokens/s, PyTorch {torchTokens:F0} tokens/s, ratio {ours / torchTokens:F2}x"));
        }
        var result = new Dictionary<string, object?>
        {
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["load_average_1min"] = LoadAverage(),
            ["threads"] = threads,
            ["sae_train_speedup"] = rows[0]["speedup"],
            ["shapes"] = rows,
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sae_train_speedup {(double)rows[0]["speedup"]!:F2}x (D={rows[0]["width"]}, n={rows[0]["latents"]}, k={rows[0]["k"]}, batch {batch}, {threads} thread(s)); load average {LoadAverage()?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} on {Environment.ProcessorCount} cores"));
        return 0;
    }

    /// <summary>Median tokens per second of our training step on one fixed batch (same step as the peer's).</summary>
    private static double Ours(int d, int n, int k, int batch, int threads, double seconds)
    {
        var config = new SaeConfig(SaeFamily.TopK, d, n, K: k);
        using var sae = new SparseAutoencoder(config, batch, threads);
        var rng = new Rng(1);
        var w = sae.DecoderWeight;
        for (var i = 0; i < w.Length; i++) w[i] = (float)rng.NextGaussian();
        sae.NormalizeDecoderRows();
        sae.DecoderWeight.CopyTo(sae.EncoderWeight);
        var x = new float[batch * d];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var adam = new AdamW(config.ParameterCount, config.Segments, SaeTrainOptions.Adam);
        void Step()
        {
            sae.Forward(x, batch);
            sae.ZeroGrad();
            sae.Backward();
            sae.RemoveDecoderParallelGradient();
            adam.Update(sae.Parameters, sae.Gradients, 1e-4, sae.Pool);
            sae.NormalizeDecoderRows();
        }
        for (var i = 0; i < 3; i++) Step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            var t = Stopwatch.GetTimestamp();
            Step();
            times.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
        }
        times.Sort();
        return batch / times[times.Count / 2];
    }
}
