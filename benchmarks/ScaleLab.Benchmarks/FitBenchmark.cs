using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Laws;

namespace ScaleLab.Benchmarks;

/// <summary>
/// `fit`: the Chinchilla Approach-3 fit on Epoch's digitised Chinchilla points (240 after dropping the 5
/// highest losses; D = C/6N), ours against benchmarks/peers/fit_scipy.py (numpy + scipy L-BFGS-B, the same
/// Huber objective in the same log-sum-exp coordinates, the same 4,500-start grid, analytic gradient),
/// side by side in one run: (1) the full start grid, (2) 1000 bootstrap refits, each started from the
/// full-data optimum plus the same 2 grid starts. Both must reach the same optimum (objective equal to 1e-6
/// relative). The peer runs with tight tolerances (ftol 1e-15, gtol 1e-10) because scipy's defaults stop
/// short of the optimum on an objective of size ~1e-3; the line says so.
/// Usage: fit [--json] [--bootstrap N] [--threads K]   (threads for ours; default: all cores).
/// </summary>
public static class FitBenchmark
{
    public static int Run(string[] args)
    {
        var json = args.Contains("--json");
        var samples = IntArg(args, "--bootstrap") ?? 1000;
        var threads = IntArg(args, "--threads") ?? Environment.ProcessorCount;
        var root = Peers.RepoRoot();
        var dataPath = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "chinchilla_points.csv"));
        var (law, loaded) = LawCatalog.Load("chinchilla", dataPath, new ColumnSelection(N: "Model Size", C: "Training FLOP", Y: "loss"));
        var data = loaded.DropHighestLoss(5);
        var fitOptions = new FitOptions { MaxDegreeOfParallelism = threads };

        // Ours: warm the JIT on a small grid first so the timing is of the steady state.
        LawFitter.Fit(law, data, fitOptions with { Starts = ChinchillaLaw.HoffmannGrid().Take(50).ToList() });
        var clock = Stopwatch.StartNew();
        var fit = LawFitter.Fit(law, data, fitOptions);
        var oursGrid = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var boot = Bootstrap.Run(data, fit, new BootstrapOptions { Samples = samples, Seed = 0, GridStarts = 2, MaxDegreeOfParallelism = threads }, fitOptions);
        var oursBoot = clock.Elapsed.TotalSeconds;

        // The peer: same grid, same extra bootstrap starts (written for it in our coordinates a, b, e, alpha, beta).
        var grid = ChinchillaLaw.HoffmannGrid();
        var stride = grid.Count / 2;
        var extra = new[] { grid[stride / 2], grid[stride + (stride / 2)] };
        var startsFile = Path.Combine(Path.GetTempPath(), $"scalelab-fit-bench-{Environment.ProcessId}.json");
        File.WriteAllText(startsFile, JsonSerializer.Serialize(extra));
        var peerText = Peers.Run("/usr/bin/python3",
            $"{Path.Combine(root, "benchmarks", "peers", "fit_scipy.py")} --data {dataPath} --bootstrap {samples} --boot-starts-file {startsFile} --ftol 1e-15 --gtol 1e-10");
        File.Delete(startsFile);
        using var peer = JsonDocument.Parse(peerText);
        var p = peer.RootElement;
        var peerGrid = p.GetProperty("grid_seconds").GetDouble();
        var peerBoot = p.GetProperty("bootstrap_seconds").GetDouble();
        var peerObjective = p.GetProperty("objective").GetDouble();
        var relDiff = Math.Abs(fit.Objective - peerObjective) / Math.Abs(peerObjective);
        var alpha = Array.IndexOf(boot.Symbols.ToArray(), "alpha");

        var result = new Dictionary<string, object?>
        {
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["ours_threads"] = threads,
            ["peer"] = $"scipy {p.GetProperty("scipy").GetString()} L-BFGS-B, numpy {p.GetProperty("numpy").GetString()}, one Python thread, ftol 1e-15 gtol 1e-10",
            ["points"] = data.Count,
            ["starts"] = fit.StartsTotal,
            ["ours_objective"] = fit.Objective,
            ["peer_objective"] = peerObjective,
            ["objective_rel_diff"] = relDiff,
            ["same_optimum"] = relDiff <= 1e-6,
            ["ours_params"] = fit.Parameters,
            ["ours_grid_seconds"] = oursGrid,
            ["peer_grid_seconds"] = peerGrid,
            ["bootstrap"] = samples,
            ["ours_bootstrap_seconds"] = oursBoot,
            ["peer_bootstrap_seconds"] = peerBoot,
            ["ours_alpha_interval"] = new[] { boot.Parameters[alpha].Lo, boot.Parameters[alpha].Hi },
            ["grid_speedup"] = peerGrid / oursGrid,
            ["bootstrap_speedup"] = peerBoot / oursBoot,
            ["fit_speedup"] = (peerGrid + peerBoot) / (oursGrid + oursBoot),
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"Chinchilla Approach-3 fit, {data.Count} points, {fit.StartsTotal} starts; ours on {threads} thread(s), peer scipy single-threaded"));
            Console.WriteLine(string.Create(inv, $"objective: ours {fit.Objective:G10}  peer {peerObjective:G10}  rel. diff {relDiff:E1} ({(relDiff <= 1e-6 ? "same optimum" : "DIFFERENT optimum")})"));
            Console.WriteLine(string.Create(inv, $"full grid:        ours {oursGrid,8:F2} s   peer {peerGrid,8:F2} s   speedup {peerGrid / oursGrid,6:F1}x"));
            Console.WriteLine(string.Create(inv, $"{samples} bootstraps: ours {oursBoot,8:F2} s   peer {peerBoot,8:F2} s   speedup {peerBoot / oursBoot,6:F1}x"));
            Console.WriteLine(string.Create(inv, $"fit_speedup (grid + bootstrap): {(peerGrid + peerBoot) / (oursGrid + oursBoot):F1}x"));
        }
        return relDiff <= 1e-6 ? 0 : 1;
    }

    private static int? IntArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }
}
