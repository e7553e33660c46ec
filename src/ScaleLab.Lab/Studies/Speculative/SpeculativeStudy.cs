using System.Text.Json;
using System.Text.Json.Nodes;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.Speculative;

/// <summary>What <c>speculate --study</c> measures: the <see cref="Targets"/> largest models of the study, each with up to
/// <see cref="DraftsPerTarget"/> smaller ones as drafts (spread evenly in log size, the smallest and the largest always
/// kept), at each γ of <see cref="Gammas"/> and auto, with the target's products split over <see cref="Threads"/> threads
/// (the draft on one).</summary>
public sealed record SpeculativeStudyOptions(
    int Targets = 2,
    int DraftsPerTarget = 5,
    IReadOnlyList<int>? Gammas = null,
    bool Auto = true,
    int Tokens = 200,
    int Repeats = 3,
    double Temperature = 1.0,
    int TopK = 0,
    long Seed = 1,
    bool CpuTime = false,
    int Threads = 1)
{
    public IReadOnlyList<int> GammaList => Gammas ?? [1, 2, 3, 4, 5, 6, 7, 8];
}

/// <summary>One step of a pair's run: a measurement at one γ (<see cref="Auto"/>: the γ the auto rule chose).</summary>
public sealed record SpeculativeRow(
    int Gamma, bool Auto, double Acceptance, long Accepted, long Trials, double TokensPerPass, double TokensPerPassTheory,
    double CostRatio, double VerifyCost, double Speedup, double SpeedupLow, double SpeedupHigh, double Theory, double TheoryAtVerifyCost)
{
    public double AcceptanceStandardError => Trials == 0 ? double.NaN : Math.Sqrt(Acceptance * (1 - Acceptance) / Trials);

    /// <summary>Measured over theory (v = 1) minus 1.</summary>
    public double RelativeGap => Speedup / Theory - 1;

    /// <summary>Measured over the theory at the measured verify cost minus 1.</summary>
    public double RelativeGapAtVerifyCost => Speedup / TheoryAtVerifyCost - 1;
}

/// <summary>One draft/target pair and what its run measured (no rows while it is not done).</summary>
public sealed record SpeculativePairResult(string RunKey, RunStatus Status, SpeculativeModel Target, SpeculativeModel Draft, IReadOnlyList<SpeculativeRow> Rows, string? Error, int Threads = 1)
{
    /// <summary>Draft loss minus target loss (nats/token): the gap the acceptance law is fitted against.</summary>
    public double LossGap => Draft.Loss - Target.Loss;

    /// <summary>Σ accepted and Σ trials over the fixed-γ rows.</summary>
    public (long Accepted, long Trials) PooledCounts => (Rows.Where(r => !r.Auto).Sum(r => r.Accepted), Rows.Where(r => !r.Auto).Sum(r => r.Trials));
}

/// <summary>The study's pairs, and the acceptance law logit α = a + bΔ fitted over the done pairs (null with the reason
/// when it is not identified).</summary>
public sealed record SpeculativeStudyResult(string Study, string SourceStudy, IReadOnlyList<SpeculativePairResult> Pairs, AcceptanceGapFit? GapFit, string? GapUnidentified)
{
    public IEnumerable<SpeculativeRow> Rows => Pairs.SelectMany(p => p.Rows);
}

/// <summary>
/// <c>speculate --study</c>: plans a registry study of the "speculate" run kind over the trained models of a
/// language-model study (<see cref="Plan"/>), and reads it back (<see cref="Read"/>) with the fit of how the acceptance
/// rate falls with the draft/target loss gap (<see cref="AcceptanceGapFit"/>).
/// </summary>
public static class SpeculativeStudy
{
    /// <summary>The speculate study measuring the models of <paramref name="source"/> with the target on
    /// <paramref name="threads"/> threads: NAME-speculate on one thread (the one the study report reads), NAME-speculate-2t
    /// and so on for more, so measurements at different thread counts never mix in one acceptance fit.</summary>
    public static string StudyName(string source, int threads = 1) => threads == 1 ? source + "-speculate" : $"{source}-speculate-{threads}t";

    /// <summary>The study's spec: one run per pair. Models are the source's finished language-model runs with a
    /// checkpoint on disk and a final loss, one per size (the lowest loss of runs with equal non-embedding parameters).
    /// Throws <see cref="InvalidDataException"/> (one line) when the study has fewer than two such sizes.</summary>
    public static SweepSpec Plan(IRunStore store, string source, SpeculativeStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Targets < 1 || options.DraftsPerTarget < 1) throw new ArgumentException("targets and drafts per target must be at least 1");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1);
        var runs = store.ListRuns(source);
        if (runs.Count == 0) throw new InvalidDataException($"no study '{source}' in {store.Location} (see scalelab runs)");
        var models = new List<SpeculativeModel>();
        foreach (var r in runs.Where(r => r.Status == RunStatus.Done && r.KindName == Execution.LanguageModelRunKind.KindName && r.FinalLoss is { } l && double.IsFinite(l)))
        {
            if (store.ListArtifacts(r.Key).LastOrDefault(a => a.Kind == "checkpoint") is { } artifact && File.Exists(artifact.Path))
            {
                models.Add(new SpeculativeModel(r.Key, Path.GetFullPath(artifact.Path), artifact.Sha256, r.FinalLoss!.Value, r.NonEmbeddingParameters));
            }
        }
        var sizes = models.GroupBy(m => m.Parameters).Select(g => g.MinBy(m => m.Loss)!).OrderBy(m => m.Parameters).ToList();
        if (sizes.Count < 2)
        {
            throw new InvalidDataException($"study '{source}' has {sizes.Count} model size(s) with a finished run and its checkpoint on disk; speculative sampling needs a smaller draft and a larger target");
        }
        var prompt = Checkpoint.Load(sizes[^1].Checkpoint).CorpusFingerprint.StartsWith("synthetic", StringComparison.Ordinal) ? "a" : "\n";
        var pairs = new JsonArray();
        foreach (var target in sizes.TakeLast(Math.Min(options.Targets, sizes.Count - 1)).Reverse())
        {
            var smaller = sizes.Where(m => m.Parameters < target.Parameters).ToList();
            foreach (var draft in SpreadInLogSize(smaller, options.DraftsPerTarget))
            {
                pairs.Add(new JsonObject { ["target"] = JsonSerializer.SerializeToNode(target, SpeculativePairKind.Json), ["draft"] = JsonSerializer.SerializeToNode(draft, SpeculativePairKind.Json) });
            }
        }
        var settings = new JsonObject
        {
            ["pairs"] = pairs,
            ["gammas"] = new JsonArray([.. options.GammaList.Select(g => (JsonNode)g)]),
            ["auto"] = options.Auto,
            ["tokens"] = options.Tokens,
            ["repeats"] = options.Repeats,
            ["temperature"] = options.Temperature,
            ["top_k"] = options.TopK,
            ["seed"] = options.Seed,
            ["cpu_time"] = options.CpuTime,
            ["prompt"] = prompt,
        };
        // Written only above one thread, so a one-thread study keeps the run keys it had before threads were a setting.
        if (options.Threads > 1) settings["threads"] = options.Threads;
        var element = JsonSerializer.Deserialize<JsonElement>(settings.ToJsonString());
        var study = StudyName(source, options.Threads);
        return SweepSpec.OfKind(study, SpeculativePairKind.KindName, element, new SpeculativePairKind().Expand(study, element), options.Threads, checkpointInterval: 1);
    }

    /// <summary>Up to <paramref name="count"/> of <paramref name="models"/> (sorted by size) spread evenly in log size:
    /// the smallest and the largest always, the rest nearest to evenly spaced log sizes between them.</summary>
    internal static IReadOnlyList<SpeculativeModel> SpreadInLogSize(IReadOnlyList<SpeculativeModel> models, int count)
    {
        if (models.Count <= count) return models;
        if (count == 1) return [models[^1]];
        double lo = Math.Log(models[0].Parameters), hi = Math.Log(models[^1].Parameters);
        var chosen = new SortedSet<int>();
        for (var i = 0; i < count; i++)
        {
            var want = lo + (hi - lo) * i / (count - 1);
            var best = Enumerable.Range(0, models.Count).Where(j => !chosen.Contains(j)).MinBy(j => Math.Abs(Math.Log(models[j].Parameters) - want));
            chosen.Add(best);
        }
        return [.. chosen.Select(j => models[j])];
    }

    /// <summary>The speculate study's pairs as recorded, and the acceptance law over its done pairs.</summary>
    public static SpeculativeStudyResult Read(IRunStore store, string study, int resamples = 2000, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(store);
        var pairs = new List<SpeculativePairResult>();
        foreach (var run in store.ListRuns(study).Where(r => r.KindName == SpeculativePairKind.KindName).OrderBy(r => r.Ordinal))
        {
            var config = JsonSerializer.Deserialize<SpeculativePairConfig>(run.ConfigJson, SpeculativePairKind.Json)!;
            IReadOnlyList<SpeculativeRow> rows = run.Status == RunStatus.Done ? Rows(store.ReadRunMetrics(run.Key), run.Key) : [];
            pairs.Add(new SpeculativePairResult(run.Key, run.Status, config.Target, config.Draft, rows, run.Error, config.Threads ?? 1));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"no speculate runs in study '{study}' of {store.Location}");
        var at = study.LastIndexOf("-speculate", StringComparison.Ordinal);
        var source = at > 0 ? study[..at] : study;
        var counts = pairs.Where(p => p.Rows.Count > 0 && p.PooledCounts.Trials > 0)
            .Select(p => new AcceptancePair(p.LossGap, p.PooledCounts.Accepted, p.PooledCounts.Trials)).ToList();
        var fit = AcceptanceGapFit.Fit(counts, out var unidentified, resamples, seed: seed);
        return new SpeculativeStudyResult(study, source, pairs, fit, unidentified);
    }

    private static List<SpeculativeRow> Rows(IReadOnlyList<RunMetric> metrics, string runKey)
    {
        var rows = new List<SpeculativeRow>();
        foreach (var step in metrics.GroupBy(m => m.Step).OrderBy(g => g.Key))
        {
            var v = step.ToDictionary(m => m.Name, m => m.Value);
            double Get(string name) => v.TryGetValue(name, out var x) ? x : throw new InvalidDataException($"run {runKey}: step {step.Key} lacks the metric {name}");
            rows.Add(new SpeculativeRow((int)Get("gamma"), Get("auto") != 0, Get("acceptance"), (long)Get("accepted"), (long)Get("trials"),
                Get("tokens_per_pass"), Get("tokens_per_pass_theory"), Get("cost_ratio"), Get("verify_cost"), Get("speedup"),
                Get("speedup_low"), Get("speedup_high"), Get("theory"), Get("theory_at_verify_cost")));
        }
        return rows;
    }
}
