using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Speculative;
using ScaleLab.Laws;
using ScaleLab.Report.Plots;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>speculate --study S</c>: enqueues the draft/target pairs of study S's trained models as runs of the "speculate"
/// kind (study S-speculate, or S-speculate-Nt with --threads N, same registry), measures them one at a time in this
/// process (one worker, the target on --threads threads and the draft on one: the timings need the cores to
/// themselves), and prints what the runs recorded with the acceptance law
/// (<see cref="SpeculativeStudy"/>). Run again, it resumes unfinished pairs and re-reads the finished ones.
/// </summary>
internal static class SpeculateStudyRun
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public static int Execute(IAnsiConsole console, Stderr stderr, SpeculateCommand.Settings settings, CancellationToken cancellationToken)
    {
        using var store = RegistryToRead.Open(settings.Registry, out var registry, "no such registry (the study's models are read from it; pass --registry)");
        var options = new SpeculativeStudyOptions(settings.Targets, settings.Drafts, settings.GammaList, Auto: true, settings.Tokens,
            settings.Repeats, settings.Temperature, settings.TopK, (long)settings.Seed, settings.CpuTime, settings.Threads);
        var spec = SpeculativeStudy.Plan(store, settings.Study!, options);
        var enqueued = SweepPlan.Enqueue(store, spec, spec.KindSettings?.GetRawText());
        stderr.WriteLine($"speculate: {enqueued.Runs} draft/target pairs of study {settings.Study} in study {spec.Study} ({enqueued.Added} new, {enqueued.Existing} already there); " +
            $"γ = {string.Join(",", options.GammaList)} and auto per pair, one worker, the target on {settings.Threads} thread(s), the draft on 1");
        using (var view = new SweepStatusLine(stderr))
        {
            var sweep = InProcessExecutor.Run(() => RunStores.Open(registry), spec.Study, new ExecutorOptions
            {
                Workers = 1,
                ThreadsPerWorker = settings.Threads,
                CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry),
                CheckpointInterval = 1,
            }, view.Show, view.Log, cancellationToken);
            if (sweep.Counts.Failed > 0) stderr.WriteLine($"speculate: {sweep.Counts.Failed} pair(s) failed (scalelab runs --study {spec.Study} says why)");
        }
        var result = SpeculativeStudy.Read(store, spec.Study);
        if (settings.Plot is { } plot)
        {
            SpeculativePlot.Save(result, plot);
            stderr.WriteLine($"speculate: wrote {plot} and {SpeculativePlot.AcceptancePath(plot)}");
        }
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(Document(result, settings.CpuTime), Json));
        }
        else
        {
            Show(console, result, settings.CpuTime);
        }
        return result.Pairs.All(p => p.Status == RunStatus.Done) ? CliApp.ExitOk : CliApp.ExitFailure;
    }

    /// <summary>Rows within 15% of the theory (the issue's goal), counted both ways.</summary>
    private static (int Rows, int WithinTheory, int WithinTheoryAtV) Agreement(SpeculativeStudyResult r) =>
        (r.Rows.Count(), r.Rows.Count(x => Math.Abs(x.RelativeGap) <= 0.15), r.Rows.Count(x => Math.Abs(x.RelativeGapAtVerifyCost) <= 0.15));

    private static void Show(IAnsiConsole console, SpeculativeStudyResult result, bool cpuTime)
    {
        console.WriteLine(Inv($"study {result.Study}: {result.Pairs.Count} draft/target pairs of study {result.SourceStudy}; speedup = plain target time / speculative time for the same tokens, {(cpuTime ? "thread CPU time" : "wall clock")}, target on {Threads(result)} thread(s) (draft on 1), fastest repeat"));
        foreach (var pair in result.Pairs)
        {
            console.WriteLine();
            console.WriteLine(Inv($"target {pair.Target.Parameters:N0} params (loss {pair.Target.Loss:F3}), draft {pair.Draft.Parameters:N0} params (loss {pair.Draft.Loss:F3}), gap Δ = {pair.LossGap:F3} nats/token: {pair.Status.ToString().ToLowerInvariant()}{(pair.Error is null ? "" : ": " + pair.Error)}"));
            if (pair.Rows.Count == 0) continue;
            var table = new Table().AddColumns("γ", "α̂ ± SE", "tokens/pass (theory)", "c", "v", "measured", "theory (v = 1)", "theory at v");
            foreach (var row in pair.Rows)
            {
                FitOutput.AddRow(table, row.Auto ? Inv($"{row.Gamma} (auto)") : Inv($"{row.Gamma}"), Inv($"{row.Acceptance:F3} ± {row.AcceptanceStandardError:F3}"),
                    Inv($"{row.TokensPerPass:F2} ({row.TokensPerPassTheory:F2})"), Inv($"{row.CostRatio:F3}"), Inv($"{row.VerifyCost:F2}"),
                    Inv($"{row.Speedup:F2}× [{row.SpeedupLow:F2}, {row.SpeedupHigh:F2}]"), Inv($"{row.Theory:F2}× ({row.RelativeGap:+0%;-0%})"),
                    Inv($"{row.TheoryAtVerifyCost:F2}× ({row.RelativeGapAtVerifyCost:+0%;-0%})"));
            }
            console.Write(table);
        }
        console.WriteLine();
        var (rows, within, withinV) = Agreement(result);
        console.WriteLine(Inv($"measured within 15% of the theory at α̂ and c: {within} of {rows} rows (v = 1), {withinV} of {rows} at the measured verify cost v"));
        console.WriteLine(result.GapFit is { } fit
            ? Inv($"acceptance law over {fit.Pairs} pairs: logit α = a + b·Δ, a = {fit.Intercept:F2} [{fit.InterceptLow:F2}, {fit.InterceptHigh:F2}], b = {fit.Slope:F2} [{fit.SlopeLow:F2}, {fit.SlopeHigh:F2}] per nat ({fit.Level:P0} bootstrap over pairs, {fit.ResamplesUsed} of {fit.Resamples} resamples identified); Δ spans {result.Pairs.Where(p => p.Rows.Count > 0).Min(p => p.LossGap):F3}–{result.Pairs.Where(p => p.Rows.Count > 0).Max(p => p.LossGap):F3} nats")
            : $"acceptance law not fitted: {result.GapUnidentified}");
    }

    private static Dictionary<string, object?> Document(SpeculativeStudyResult result, bool cpuTime)
    {
        var (rows, within, withinV) = Agreement(result);
        return new()
        {
            ["command"] = "speculate",
            ["study"] = result.SourceStudy,
            ["speculate_study"] = result.Study,
            ["clock"] = cpuTime ? "thread_cpu" : "wall",
            ["threads"] = Threads(result),
            ["draft_threads"] = 1,
            ["pairs"] = result.Pairs.Select(p => new Dictionary<string, object?>
            {
                ["run"] = p.RunKey,
                ["status"] = p.Status.ToString().ToLowerInvariant(),
                ["error"] = p.Error,
                ["target"] = Model(p.Target),
                ["draft"] = Model(p.Draft),
                ["loss_gap"] = p.LossGap,
                ["pooled_accepted"] = p.PooledCounts.Accepted,
                ["pooled_trials"] = p.PooledCounts.Trials,
                ["rows"] = p.Rows.Select(r => new Dictionary<string, object?>
                {
                    ["gamma"] = r.Gamma,
                    ["auto"] = r.Auto,
                    ["acceptance"] = r.Acceptance,
                    ["acceptance_se"] = r.AcceptanceStandardError,
                    ["tokens_per_pass"] = r.TokensPerPass,
                    ["tokens_per_pass_theory"] = r.TokensPerPassTheory,
                    ["cost_ratio"] = r.CostRatio,
                    ["verify_cost"] = r.VerifyCost,
                    ["speedup"] = r.Speedup,
                    ["speedup_range"] = new[] { r.SpeedupLow, r.SpeedupHigh },
                    ["theory"] = r.Theory,
                    ["theory_at_verify_cost"] = r.TheoryAtVerifyCost,
                    ["relative_gap"] = r.RelativeGap,
                    ["relative_gap_at_verify_cost"] = r.RelativeGapAtVerifyCost,
                }).ToList(),
            }).ToList(),
            ["theory_agreement"] = new Dictionary<string, object?> { ["rows"] = rows, ["within_15_percent"] = within, ["within_15_percent_at_verify_cost"] = withinV },
            ["acceptance_law"] = result.GapFit is not { } f ? new Dictionary<string, object?> { ["identified"] = false, ["reason"] = result.GapUnidentified } : new Dictionary<string, object?>
            {
                ["identified"] = true,
                ["form"] = "logit alpha = a + b * (draft loss - target loss)",
                ["a"] = f.Intercept,
                ["a_interval"] = new[] { f.InterceptLow, f.InterceptHigh },
                ["b"] = f.Slope,
                ["b_interval"] = new[] { f.SlopeLow, f.SlopeHigh },
                ["level"] = f.Level,
                ["pairs"] = f.Pairs,
                ["resamples_used"] = f.ResamplesUsed,
            },
        };
    }

    /// <summary>The target's thread count as the study's runs recorded it (one study holds one count: see
    /// <see cref="SpeculativeStudy.StudyName"/>).</summary>
    private static int Threads(SpeculativeStudyResult result) => result.Pairs.Max(p => p.Threads);

    private static Dictionary<string, object?> Model(SpeculativeModel m) => new()
    {
        ["run"] = m.Run,
        ["checkpoint"] = m.Checkpoint,
        ["loss"] = m.Loss,
        ["parameters"] = m.Parameters,
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
