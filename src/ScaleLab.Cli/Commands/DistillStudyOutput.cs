using System.Globalization;
using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Distillation;
using ScaleLab.Lab.Sweeps;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary><c>distill --study</c>: optionally trains a distill sweep spec, then reads the study back and prints (or writes as
/// JSON) the crossovers in the three compute views and the capacity-gap table.</summary>
internal static class DistillStudyOutput
{
    // NaN (a standard error of one seed, a teacher whose checkpoint is gone) is written as "NaN".
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static int Run(IAnsiConsole console, Stderr stderr, string study, string? specPath, string? registryFlag, string? checkpointDir,
        int workers, int threads, bool json, CancellationToken cancellationToken, string? plot = null, int? lawDraws = null)
    {
        if (plot is not null)
        {
            OutputPaths.Check([("--spec", specPath)], [("--plot", plot), ("--plot (capacity gap)", Report.Plots.DistillationPlot.CapacityGapPath(plot))]);
        }
        var registry = RunStores.Resolve(registryFlag);
        if (specPath is not null)
        {
            if (!File.Exists(specPath)) throw new UsageException($"--spec {specPath}: no such file");
            var spec = SweepSpec.Load(specPath);
            if (spec.Kind != DistillationRunKind.KindName || spec.Study != study)
            {
                throw new UsageException($"--spec {specPath} is study '{spec.Study}' of kind '{spec.Kind ?? "lm"}'; --study {study} needs a spec of kind \"distill\" and that study name");
            }
            using (var store = RunStores.Open(registry)) SweepPlan.Enqueue(store, spec, File.ReadAllText(specPath), addToStudy: true);
            var options = new ExecutorOptions
            {
                Workers = workers, ThreadsPerWorker = threads, CheckpointInterval = spec.CheckpointInterval,
                CheckpointDirectory = checkpointDir ?? ExecutorOptions.DefaultCheckpointDirectory(registry),
            };
            var result = InProcessExecutor.Run(() => RunStores.Open(registry), study, options, log: stderr.WriteLine, cancellationToken: cancellationToken);
            if (!result.Complete) throw new InvalidOperationException($"study {study}: some runs did not finish (see scalelab runs --study {study})");
        }
        else if (RunStores.Parse(registry) is ("sqlite", var file) && !File.Exists(file))
        {
            throw new UsageException($"--study {study}: no registry at {registry}");
        }
        DistillationStudyResult read;
        using (var store = RunStores.Open(registry))
        {
            try
            {
                var laws = lawDraws is null ? DistillationStudy.DefaultLawOptions
                    : lawDraws > 0 ? DistillationStudy.DefaultLawOptions with { BootstrapSamples = lawDraws.Value } : null;
                read = DistillationStudy.Read(store, study, laws: laws);
            }
            catch (InvalidDataException ex)
            {
                throw new UsageException(ex.Message, ex);
            }
        }
        if (plot is not null)
        {
            Report.Plots.DistillationPlot.Save(read, plot);
            stderr.WriteLine($"distill --study: wrote {plot} and {Report.Plots.DistillationPlot.CapacityGapPath(plot)}");
        }
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
            {
                command = "distill --study",
                study,
                points = read.Points,
                crossovers = read.Crossovers.Select(c => new
                {
                    student_parameters = c.StudentParameters, teacher = c.Teacher, view = c.View.ToString(), kind = c.Kind.ToString(),
                    compute = c.Compute, low = c.Low, high = c.High, fraction_agreeing = c.FractionAgreeing, range_low = c.RangeLow, range_high = c.RangeHigh, seeds = c.Seeds,
                }),
                capacity_gap = read.CapacityGap,
                laws = read.Laws is null ? null : DistillLawOutput.Json(read.Laws),
            }, Json));
            return CliApp.ExitOk;
        }
        var curves = new Table().AddColumns("N_S", "teacher", "D", "C student", "C + teacher fwd", "loss (mean)", "seeds");
        foreach (var g in read.Points.GroupBy(p => (p.StudentParameters, p.Teacher, p.Tokens)).OrderBy(g => g.Key.StudentParameters).ThenBy(g => g.Key.Teacher, StringComparer.Ordinal).ThenBy(g => g.Key.Tokens))
        {
            var f = g.First();
            curves.AddRow(Inv($"{g.Key.StudentParameters:N0}"), Markup.Escape(g.Key.Teacher), Inv($"{g.Key.Tokens:N0}"), Inv($"{f.StudentFlops:0.##e+0}"),
                Inv($"{f.StudentFlops + f.TeacherForwardFlops:0.##e+0}"), Inv($"{g.Average(p => p.Loss):F4}"), Inv($"{g.Count()}"));
        }
        console.Write(curves);
        var cross = new Table().AddColumns("N_S", "teacher", "compute counted", "distillation vs scratch", "crossover C (95% bootstrap)", "bootstrap draws agreeing");
        foreach (var c in read.Crossovers)
        {
            var what = c.Kind switch
            {
                CrossoverKind.StopsPaying => "pays, then stops",
                CrossoverKind.StartsPaying => "loses, then pays",
                CrossoverKind.PaysThroughout => Inv($"pays over {c.RangeLow:0.##e+0}-{c.RangeHigh:0.##e+0}"),
                CrossoverKind.NeverPays => Inv($"never pays over {c.RangeLow:0.##e+0}-{c.RangeHigh:0.##e+0}"),
                _ => "no common compute",
            };
            var at = c.Compute is { } x ? c.Low is { } lo ? Inv($"{x:0.##e+0} ({lo:0.##e+0}-{c.High:0.##e+0})") : Inv($"{x:0.##e+0} (no draw crosses)") : "-";
            cross.AddRow(Inv($"{c.StudentParameters:N0}"), Markup.Escape(c.Teacher), ViewName(c.View), Markup.Escape(what), at, Inv($"{c.FractionAgreeing:P0} ({c.Seeds} seeds)"));
        }
        console.Write(cross);
        var gap = new Table().AddColumns("N_S", "teacher", "teacher loss", "student loss at largest D (± s.e.)", "seeds");
        foreach (var r in read.CapacityGap)
        {
            gap.AddRow(Inv($"{r.StudentParameters:N0}"), Markup.Escape(r.Teacher), r.TeacherLoss is { } t ? Inv($"{t:F4}") : "-",
                Inv($"{r.StudentLoss:F4} ± {r.StandardError:F4}"), Inv($"{r.Seeds}"));
        }
        console.Write(gap);
        if (read.Laws is not null) DistillLawOutput.Write(console, read.Laws);
        console.MarkupLine("Losses are validation cross-entropy in nats/token; the oracle's teacher loss is the exact floor of the validation windows. A crossover is read from seed-mean curves joined linearly in log compute; a verdict is a result only where most bootstrap draws (seeds resampled per budget) agree.");
        return CliApp.ExitOk;
    }

    private static string ViewName(ComputeView view) => view switch
    {
        ComputeView.StudentOnly => "6·N_S·D (teacher free)",
        ComputeView.WithTeacherForward => "+ 2·N_T·D",
        _ => "+ 2·N_T·D + teacher training shared",
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
