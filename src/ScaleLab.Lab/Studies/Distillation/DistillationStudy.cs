using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Laws.Distillation;

namespace ScaleLab.Lab.Studies.Distillation;

/// <summary>One student size under one teacher at the study's largest token budget: the teacher's own validation loss
/// (null for none; the exact floor of the windows for the oracle; NaN when its checkpoint is gone), and the students' mean
/// validation loss with its standard error over seeds (NaN with one seed).</summary>
public sealed record CapacityGapRow(long StudentParameters, string Teacher, double? TeacherLoss, long Tokens, double StudentLoss, double StandardError, int Seeds);

/// <summary>A distillation study read back: its points, the crossovers in the three compute views (from the measured curves),
/// the capacity-gap table, and the fitted laws with their crossovers, back-tests and Busbridge et al.'s law (null when not asked for).</summary>
public sealed record DistillationStudyResult(string Study, IReadOnlyList<DistillationPoint> Points, IReadOnlyList<DistillationCrossover> Crossovers,
    IReadOnlyList<CapacityGapRow> CapacityGap)
{
    public DistillationLawAnalysis? Laws { get; init; }
}

/// <summary>
/// Reads a registry study of "distill" runs (planned by a sweep spec of kind distill: student sizes × token budgets ×
/// teachers, "none" among them for the from-scratch students) and computes what the issue asks: the crossover compute per
/// student size and teacher (<see cref="DistillationCrossovers"/>) with compute counted three ways, and the capacity gap
/// (student loss against teacher loss at the largest budget; Busbridge et al. 2025 report a U-shape: past some point a
/// stronger teacher makes a worse student).
/// </summary>
public static class DistillationStudy
{
    /// <summary>The law options of <c>distill --study</c> without flags (400 bootstrap resamples per law, seed 1): the report's
    /// distillation section reads the study with these too, so its law-based crossovers and intervals are the command's.</summary>
    public static StudentLawOptions DefaultLawOptions { get; } = new() { BootstrapSamples = 400 };

    /// <param name="laws">How to fit the student laws (<see cref="DistillationLaws"/>); null fits none.</param>
    public static DistillationStudyResult Read(IRunStore store, string study, int draws = 2000, StudentLawOptions? laws = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var runs = store.ListRuns(study).Where(r => r.KindName == DistillationRunKind.KindName).ToList();
        if (runs.Count == 0) throw new InvalidDataException($"no distill runs in study '{study}' of {store.Location} (plan one with a sweep spec of kind = \"distill\")");
        var done = runs.Where(r => r.Status == RunStatus.Done && r.FinalLoss is { } l && double.IsFinite(l))
            .Select(r => (Run: r, Config: DistillationRunConfig.FromJson(r.ConfigJson, r.Ordinal))).ToList();
        // The teacher's training is shared by every run it teaches in this study.
        var shares = done.Where(d => d.Config.Teacher.Checkpoint is not null).GroupBy(d => d.Config.Teacher.Sha256 ?? d.Config.Teacher.Checkpoint!)
            .ToDictionary(g => g.Key, g => g.Count());
        var points = done.Select(d =>
        {
            var c = d.Config;
            var teacherKey = c.Teacher.Sha256 ?? c.Teacher.Checkpoint;
            var d_s = (double)c.Student.Tokens;
            return new DistillationPoint(c.Student.Model.NonEmbeddingParameterCount, c.Teacher.Name, c.Student.Seed, c.Student.Tokens,
                6.0 * c.Student.Model.NonEmbeddingParameterCount * d_s, 2.0 * c.Teacher.NonEmbeddingParameters * d_s,
                teacherKey is not null ? c.Teacher.TrainFlops / shares[teacherKey] : 0, d.Run.FinalLoss!.Value);
        }).ToList();
        var crossovers = Enum.GetValues<ComputeView>().SelectMany(v => DistillationCrossovers.Compute(points, v, draws)).ToList();
        // One loss per teacher (its first run's config: every run of a teacher shares its corpus and windows in a study).
        var teacherLosses = done.GroupBy(d => d.Config.Teacher.Name).ToDictionary(g => g.Key, g => TeacherLoss(g.First().Config));
        var known = teacherLosses.Where(t => t.Value is { } l && double.IsFinite(l)).ToDictionary(t => t.Key, t => t.Value!.Value);
        return new DistillationStudyResult(study, points, crossovers, CapacityGap(points, teacherLosses))
        {
            Laws = laws is null ? null : DistillationLaws.Analyse(points, known, laws),
        };
    }

    private static List<CapacityGapRow> CapacityGap(List<DistillationPoint> points, Dictionary<string, double?> teacherLosses)
    {
        var rows = new List<CapacityGapRow>();
        foreach (var size in points.Select(p => p.StudentParameters).Distinct().Order())
        {
            var largest = points.Where(p => p.StudentParameters == size).Max(p => p.Tokens);
            foreach (var group in points.Where(p => p.StudentParameters == size && p.Tokens == largest).GroupBy(p => p.Teacher).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var teacherLoss = teacherLosses[group.Key];
                var losses = group.Select(p => p.Loss).ToArray();
                var mean = losses.Average();
                var se = losses.Length > 1 ? Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Length - 1) / losses.Length) : double.NaN;
                rows.Add(new CapacityGapRow(size, group.Key, teacherLoss, largest, mean, se, losses.Length));
            }
        }
        return rows;
    }

    /// <summary>The teacher's validation loss on the student's windows: the exact floor for the oracle, its own
    /// cross-entropy for a checkpoint (NaN when the file is gone), null for none.</summary>
    private static double? TeacherLoss(DistillationRunConfig config)
    {
        var student = config.Student;
        var corpus = Corpora.Open(student);
        var windows = student.EvalSequences ?? student.EvalBatches * student.BatchSize;
        if (config.Teacher.IsNone) return null;
        if (config.Teacher.IsOracle) return corpus.ValidationFloor(windows, student.SeqLen);
        if (config.Teacher.Checkpoint is not { } path || !File.Exists(path)) return double.NaN;
        using var teacher = new GptTeacher(Checkpoint.Load(path), student.BatchSize, 1);
        return teacher.SeqLen == student.SeqLen ? teacher.ValidationLoss(corpus, windows) : double.NaN;
    }
}
