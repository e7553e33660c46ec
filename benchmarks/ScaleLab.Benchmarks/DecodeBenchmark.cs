using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static ScaleLab.Benchmarks.BenchArgs;
using ScaleLab.Engine;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;

namespace ScaleLab.Benchmarks;

/// <summary>
/// `decode`: the KV-cache decoder's passes at several thread counts side by side in one process: a one-row step
/// (<see cref="KvCacheDecoder.Step"/>) and k-row verify passes (<see cref="KvCacheDecoder.Feed"/>, k = γ + 1), each timed
/// as P passes at the same place (after `--at` cached tokens, rolled back before each pass), over R interleaved rounds
/// whose order rotates. One model per thread count (same checkpoint, so the same bits: the split is over output
/// elements). Prints, per thread count and k, the median milliseconds per pass with the least and largest round, the
/// pass's cost in one-row steps at the same thread count (the verify cost v(γ) of the speculative theory), and the
/// one-thread time over this one (the threads' speedup). Wall clock.
/// Usage: decode --target CKPT [--threads 1,2] [--rows 1,2,4,5,9,17] [--rounds 9] [--passes 50] [--at 32] [--json].
/// </summary>
public static class DecodeBenchmark
{
    private const string Usage = "usage: decode --target CKPT [--threads 1,2] [--rows 1,2,4,5,9,17] [--rounds 9] [--passes 50] [--at 32] [--json]";

    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var targetPath = Arg(args, "--target");
        if (targetPath is null || !File.Exists(targetPath))
        {
            Console.Error.WriteLine(targetPath is null ? Usage : $"decode: no checkpoint at {targetPath}");
            return 2;
        }
        int[] threads, rows;
        int rounds, passes, at;
        try
        {
            threads = List(Arg(args, "--threads") ?? "1,2");
            rows = List(Arg(args, "--rows") ?? "1,2,4,5,9,17");
            rounds = int.Parse(Arg(args, "--rounds") ?? "9", CultureInfo.InvariantCulture);
            passes = int.Parse(Arg(args, "--passes") ?? "50", CultureInfo.InvariantCulture);
            at = int.Parse(Arg(args, "--at") ?? "32", CultureInfo.InvariantCulture);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"decode: {ex.Message} ({Usage})");
            return 2;
        }
        var checkpoint = Checkpoint.Load(targetPath);
        var config = checkpoint.Config;
        if (threads.Any(t => t < 1) || rows.Any(k => k < 1) || rounds < 1 || passes < 1 || at < 0 || at + rows.Max() > config.SeqLen)
        {
            Console.Error.WriteLine($"decode: threads, rows, rounds and passes must be at least 1, and --at plus the largest row count at most the context ({config.SeqLen})");
            return 2;
        }
        if (!rows.Contains(1)) rows = [1, .. rows];
        var models = threads.Select(t =>
        {
            var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 1);
            model.Threads = t;
            return model;
        }).ToArray();
        try
        {
            var prefix = Enumerable.Range(0, config.SeqLen).Select(i => (i * 7 + 3) % config.Vocab).ToArray();
            var decoders = models.Select(m => new KvCacheDecoder(m)).ToArray();
            // Jobs: (thread index, rows); each returns seconds per pass.
            var jobs = threads.SelectMany((_, ti) => rows.Select(k => (Thread: ti, Rows: k))).ToArray();
            double Pass((int Thread, int Rows) job)
            {
                var decoder = decoders[job.Thread];
                decoder.Reset();
                if (at > 0) decoder.Feed(prefix.AsSpan(0, at));
                var block = prefix.AsSpan(at, job.Rows).ToArray();
                var watch = Stopwatch.StartNew();
                for (var p = 0; p < passes; p++)
                {
                    decoder.Rollback(at);
                    if (job.Rows == 1) decoder.Step(block[0]);
                    else decoder.Feed(block);
                }
                return watch.Elapsed.TotalSeconds / passes;
            }
            foreach (var job in jobs)
            {
                for (var w = 0; w < 3; w++) Pass(job); // warm-up: the JIT's optimising tier, the pool's threads
            }
            var loadBefore = LoadAverage();
            var started = DateTime.UtcNow;
            var times = jobs.Select(_ => new double[rounds]).ToArray();
            for (var r = 0; r < rounds; r++)
            {
                for (var s = 0; s < jobs.Length; s++)
                {
                    var j = (s + r) % jobs.Length;
                    times[j][r] = Pass(jobs[j]);
                }
            }
            var loadAfter = LoadAverage();
            int Index(int ti, int k) => ti * rows.Length + Array.IndexOf(rows, k);
            // Per round ratios: the pass over the same round's one-row step at the same threads (v), and the
            // one-thread pass over this one (speedup from threads).
            var results = jobs.Select((job, j) =>
            {
                var ms = RoundSpread.Of(times[j].Select(t => t * 1e3));
                var steps = RoundSpread.Of(Enumerable.Range(0, rounds).Select(r => times[j][r] / times[Index(job.Thread, 1)][r]));
                var baseline = Array.IndexOf(threads, 1);
                var speedup = baseline < 0 ? (RoundSpread?)null : RoundSpread.Of(Enumerable.Range(0, rounds).Select(r => times[Index(baseline, job.Rows)][r] / times[j][r]));
                return (Threads: threads[job.Thread], job.Rows, Ms: ms, Steps: steps, Speedup: speedup);
            }).ToList();
            var inv = CultureInfo.InvariantCulture;
            if (json)
            {
                static Dictionary<string, double> D(RoundSpread s) => new() { ["median"] = s.Median, ["low"] = s.Low, ["high"] = s.High };
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
                    ["started_utc"] = started.ToString("o", inv),
                    ["load_average_1min_before"] = loadBefore,
                    ["load_average_1min_after"] = loadAfter,
                    ["target"] = Checkpoint.Describe(config),
                    ["target_parameters"] = config.ParameterCount,
                    ["rounds"] = rounds,
                    ["passes"] = passes,
                    ["cached_tokens"] = at,
                    ["clock"] = "wall",
                    ["statistic"] = "median over interleaved rounds; low/high = least and largest round; steps and speedup are per-round ratios",
                    ["passes_timed"] = results.Select(x => new Dictionary<string, object?>
                    {
                        ["threads"] = x.Threads,
                        ["rows"] = x.Rows,
                        ["ms_per_pass"] = D(x.Ms),
                        ["one_row_steps"] = D(x.Steps),
                        ["speedup_over_one_thread"] = x.Speedup is { } s ? D(s) : null,
                    }).ToList(),
                }));
                return 0;
            }
            Console.WriteLine($"target {Checkpoint.Describe(config)} ({config.ParameterCount:N0} parameters), {passes} passes per timing after {at} cached tokens, {rounds} interleaved rounds from {started:HH:mm:ss} UTC, wall clock");
            Console.WriteLine($"load average {loadBefore?.ToString("F2", inv) ?? "n/a"} before, {loadAfter?.ToString("F2", inv) ?? "n/a"} after, on {Environment.ProcessorCount} cores");
            Console.WriteLine("threads  rows  ms/pass [rounds]         one-row steps (v)      1 thread / this");
            string S(RoundSpread s, string f) => string.Create(inv, $"{s.Median.ToString(f, inv)} [{s.Low.ToString(f, inv)}-{s.High.ToString(f, inv)}]");
            foreach (var x in results)
            {
                Console.WriteLine(string.Create(inv, $"{x.Threads,7}  {x.Rows,4}  {S(x.Ms, "F3"),-24} {S(x.Steps, "F2"),-22} {(x.Speedup is { } s ? S(s, "F2") : "n/a")}"));
            }
            return 0;
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
    }

    private static int[] List(string text) => [.. text.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).Distinct().Order()];
}
