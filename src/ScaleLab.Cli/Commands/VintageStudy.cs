using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;
using ScaleLab.Report.Efficiency;
using ScaleLab.Report.Plots;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab compare --vintages</c>: trains (or resumes) the built-in recipe-vintage study (<see cref="VintageSpec"/>),
/// one registry study per recipe, then measures its gain ladder (<see cref="GainLadder"/>) and writes the report section
/// (OUT/vintages.md), the figure (OUT/vintages.svg) and the JSON document (OUT/vintages.json).
/// </summary>
internal static class VintageStudy
{
    public static int Run(IAnsiConsole console, Stderr stderr, CompareCommand.Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var outDir = Path.GetFullPath(settings.Out ?? "scalelab-vintages");
        if (File.Exists(outDir))
        {
            throw new UsageException($"--out {settings.Out}: is a file, not a folder");
        }
        Directory.CreateDirectory(outDir);
        // Like demo: the study's own registry in OUT unless --registry names one ($SCALELAB_REGISTRY is not consulted, so a
        // user's default registry does not silently receive 100 runs).
        var registry = settings.Registry ?? "sqlite:" + Path.Combine(outDir, "scalelab.db");
        var specs = new List<(Vintage Recipe, SweepSpec Spec, string Text)>();
        foreach (var recipe in VintageSpec.Recipes)
        {
            var text = VintageSpec.Toml(recipe, settings.Quick);
            var path = Path.Combine(outDir, VintageSpec.Study(recipe, settings.Quick) + ".toml");
            File.WriteAllText(path, text);
            specs.Add((recipe, SweepSpec.Parse(text, path, outDir), text));
        }
        if (settings.DryRun)
        {
            return DryRun(console, specs);
        }
        using var store = RunStores.Open(registry);
        store.EnsureSchema();
        foreach (var (_, spec, text) in specs)
        {
            var plan = SweepPlan.Enqueue(store, spec, text);
            stderr.WriteLine($"compare --vintages: {spec.Study}: {plan.Runs} runs ({plan.Added} new, {plan.Existing} already in {registry})");
        }

        var workers = settings.Workers ?? Environment.ProcessorCount;
        foreach (var (_, spec, _) in specs)
        {
            var result = InProcessExecutor.Run(() => RunStores.Open(registry), spec.Study, new ExecutorOptions
            {
                Workers = workers,
                ThreadsPerWorker = 1,
                CheckpointDirectory = ExecutorOptions.DefaultCheckpointDirectory(registry),
                CheckpointInterval = spec.CheckpointInterval,
            }, new PeriodicStatusLine(stderr, () => clock.Elapsed).Show, stderr.WriteLine, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                stderr.WriteLine($"compare --vintages: stopped; rerun the same command to resume ({registry})");
                return CliApp.ExitFailure;
            }
            if (result.Counts.Failed > 0)
            {
                stderr.WriteLine($"compare --vintages: {spec.Study}: {result.Counts.Failed} run(s) failed; the ladder uses the {result.Counts.Done} that finished");
            }
        }
        stderr.WriteLine($"compare --vintages: sweeps done in {clock.Elapsed.TotalSeconds:0} s; measuring the gain ladder");

        VintageStudyResult analysis;
        try
        {
            analysis = Analyse(store, specs.Select(s => (s.Recipe, s.Spec.Study)).ToList(), settings.Quick, Options(settings));
        }
        catch (InvalidDataException ex)
        {
            // The runs trained but their frontiers cannot be compared (no loss every recipe reaches, too few frontier runs
            // after failures): a result of the run, not a bad input, so exit 1; the runs stay in the registry.
            stderr.WriteLine($"error: {ex.Message} (the runs are kept in {registry})");
            return CliApp.ExitFailure;
        }
        var plotPath = Path.Combine(outDir, "vintages.svg");
        VintagePlot.Save(analysis, plotPath);
        var reportPath = Path.Combine(outDir, "vintages.md");
        File.WriteAllText(reportPath, VintageReport.Markdown(analysis, Path.GetFileName(plotPath)));
        var json = JsonSerializer.Serialize(ToJson(analysis, registry, reportPath, plotPath), CliJson.Options);
        File.WriteAllText(Path.Combine(outDir, "vintages.json"), json);
        stderr.WriteLine($"compare --vintages: done in {clock.Elapsed.TotalSeconds:0} s");
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(json);
            return CliApp.ExitOk;
        }
        Show(console, analysis, reportPath, plotPath);
        return CliApp.ExitOk;
    }

    internal static ComputeGainOptions Options(CompareCommand.Settings settings) => new()
    {
        TargetLosses = settings.TargetLosses.Length > 0 ? settings.TargetLosses : null,
        Bootstrap = settings.Bootstrap,
        Seed = settings.Seed,
        Level = settings.Level,
    };

    /// <summary>
    /// Each recipe's frontier (as <c>compare</c> builds it: seeds averaged, best rate per (N, D), lowest loss per budget
    /// that beats every smaller budget) and budgets (the best size of each and whether it is bracketed), then the ladder.
    /// </summary>
    internal static VintageStudyResult Analyse(IRunStore store, IReadOnlyList<(Vintage Recipe, string Study)> recipes, bool quick, ComputeGainOptions options)
    {
        var measured = recipes.Select(r =>
        {
            var runs = store.ListRuns(r.Study);
            var frontier = CompareCommand.Frontier(store, r.Study);
            var selected = StudyPoints.Select(runs, store.ExportPoints(r.Study));
            var budgets = StudyPoints.ComputeBudgets(selected).Select(g =>
            {
                var best = g.MinBy(p => p.Loss)!;
                return new VintageBudget(best.C, best.N, g.Min(p => p.N), g.Max(p => p.N), g.Select(p => p.N).Distinct().Count(), best.Loss);
            }).ToList();
            return new VintageRecipe(r.Study, r.Recipe.Name, r.Recipe.Title, frontier, budgets, runs.Count, runs.Count(x => x.Status == RunStatus.Failed));
        }).ToList();
        var ladder = GainLadder.Measure([.. measured.Select(m => (m.Study, (IReadOnlyList<FrontierPoint>)m.Frontier))], options);
        return new VintageStudyResult(measured, ladder, quick);
    }

    internal static object ToJson(VintageStudyResult result, string registry, string? reportPath, string? plotPath)
    {
        var ladder = result.Ladder;
        static object Value(Estimate e) => new { value = e.Value, lo = e.Lo, hi = e.Hi };
        object Pair(ComputeGainResult p) => new
        {
            recipe = p.B.Study,
            over = p.A.Study,
            gains = p.Gains.Select(g => new { target_loss = g.TargetLoss, compute_over = g.ComputeA, compute_recipe = g.ComputeB, gain = Value(g.Gain) }).ToList(),
            gain_exponent = Value(p.ScaleExponent),
            with_compute = VintageReport.TrendWord(p.ScaleExponent),
            trend = p.Trend,
        };
        var best = ladder.Best!;
        return new Dictionary<string, object?>
        {
            ["command"] = "compare",
            ["mode"] = "vintages",
            ["design"] = result.Quick ? "quick" : "full",
            ["registry"] = registry,
            ["headline"] = VintageReport.Headline(result),
            ["targets"] = ladder.Targets,
            ["headline_target"] = ladder.HeadlineTarget,
            ["recipes"] = result.Recipes.Select((r, i) => new
            {
                name = r.Name,
                study = r.Study,
                title = r.Title,
                runs = r.Runs,
                failed = r.Failed,
                frontier_runs = ladder.Rungs[i].Law.N,
                frontier = r.Frontier.Select(p => new { compute = p.C, loss = p.Loss }).ToList(),
                law = new
                {
                    intercept = ladder.Rungs[i].Law.Fit.Intercept,
                    slope = ladder.Rungs[i].Law.Fit.Slope,
                    slope_se = ladder.Rungs[i].Law.Fit.SlopeStdError,
                    r2 = ladder.Rungs[i].Law.Fit.R2,
                },
                budgets = r.Budgets.Select(b => new
                {
                    compute = b.Compute,
                    best_n = b.BestN,
                    smallest_n = b.SmallestN,
                    largest_n = b.LargestN,
                    sizes = b.Sizes,
                    best_loss = b.BestLoss,
                    bracketed = b.Bracketed,
                }).ToList(),
                compute_to_reach = ladder.Targets.Select((t, k) => new { target_loss = t, compute = Value(ladder.Rungs[i].Compute[k]) }).ToList(),
            }).ToList(),
            ["gain_over_oldest"] = ladder.VersusOldest.Select(Pair).ToList(),
            ["gain_steps"] = ladder.Steps.Select(Pair).ToList(),
            ["best"] = new
            {
                recipe = best.B.Study,
                over = best.A.Study,
                target_loss = ladder.HeadlineTarget,
                gain = Value(best.Gains[ladder.Headline].Gain),
                gain_exponent = Value(best.ScaleExponent),
                with_compute = VintageReport.TrendWord(best.ScaleExponent),
            },
            ["bootstrap"] = new
            {
                method = "residual bootstrap of each frontier line (budgets fixed), expanded percentile intervals (Hesterberg 2015)",
                replicates = ladder.Options.Bootstrap,
                seed = ladder.Options.Seed,
                level = ladder.Options.Level,
            },
            ["files"] = new { report = reportPath, plot = plotPath },
        };
    }

    private static void Show(IAnsiConsole console, VintageStudyResult result, string reportPath, string plotPath)
    {
        var ladder = result.Ladder;
        var level = NumberStyle.Percent(ladder.Options.Level, 2);
        console.MarkupLine(Markup.Escape(VintageReport.Headline(result)));
        var table = new Table().AddColumns(new[] { "recipe", $"C to reach L = {NumberStyle.Format(ladder.HeadlineTarget, 4)} [{level}]", $"gain over {ladder.Rungs[0].Study}", "with compute", "gain over the one before" }
            .Select(Markup.Escape).ToArray());
        for (var i = 0; i < ladder.Rungs.Count; i++)
        {
            var c = ladder.Rungs[i].Compute[ladder.Headline];
            var over = i == 0 ? null : ladder.VersusOldest[i - 1];
            var step = i == 0 ? null : ladder.Steps[i - 1];
            table.AddRow(new[]
            {
                ladder.Rungs[i].Study,
                $"{NumberStyle.Format(c.Value, 3)} [{NumberStyle.Format(c.Lo, 3)}, {NumberStyle.Format(c.Hi, 3)}]",
                over is null ? "(oldest)" : Gain(over.Gains[ladder.Headline].Gain),
                over is null ? "" : VintageReport.TrendWord(over.ScaleExponent),
                step is null ? "" : Gain(step.Gains[ladder.Headline].Gain),
            }.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape($"report: {reportPath}; figure: {plotPath} (targets, every pair's exponent, the budgets' bracketing and the method are in the report)"));
    }

    private static string Gain(Estimate g) => $"{NumberStyle.Format(g.Value, 3)}x [{NumberStyle.Format(g.Lo, 3)}, {NumberStyle.Format(g.Hi, 3)}]";

    private static int DryRun(IAnsiConsole console, IReadOnlyList<(Vintage Recipe, SweepSpec Spec, string Text)> specs)
    {
        var table = new Table().AddColumns("study", "recipe", "runs", "budgets (FLOP)", "sizes per budget");
        foreach (var (recipe, spec, _) in specs)
        {
            var runs = spec.Expand();
            var budgets = spec.ComputeBudgets ?? [];
            table.AddRow(new[]
            {
                spec.Study, recipe.Title, runs.Count.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", budgets.Select(c => NumberStyle.Format(c, 3))),
                string.Join(", ", budgets.Select(c => runs.Count(r => Math.Abs(6.0 * r.Model.NonEmbeddingParameterCount * r.Tokens / c - 1) < StudyPoints.BudgetTolerance).ToString(CultureInfo.InvariantCulture))),
            }.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        console.MarkupLine("dry run: the specs are written to --out; nothing enqueued or trained (rerun without --dry-run to train and measure)");
        return CliApp.ExitOk;
    }
}
