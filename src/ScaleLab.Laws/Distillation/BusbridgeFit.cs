namespace ScaleLab.Laws.Distillation;

/// <summary>Busbridge et al.'s law fitted to a study's distilled students (<see cref="BusbridgeLaw"/>), with its bootstrap and
/// what the data identify; <see cref="Predict"/> is the fitted student loss for a teacher of loss L_T.</summary>
public sealed record BusbridgeFit(BusbridgeLaw Law, LawFit Fit, IdentificationReport Identification, IReadOnlyList<double> TeacherLosses)
{
    public double Predict(double studentParameters, double tokens, double teacherLoss) =>
        Fit.Predict(new LawPoint(studentParameters, tokens, double.NaN, teacherLoss));
}

/// <summary>The outcome of trying to fit Busbridge et al.'s law: the fit, or why the data do not support one (in words).</summary>
public sealed record BusbridgeResult(BusbridgeFit? Fit, string? NotFitted);

/// <summary>
/// Fits <see cref="BusbridgeLaw"/> where the data support it. Its teacher terms (c0, and the break d1 with f1 and c1) are
/// functions of the teacher's loss L_T alone, so students of fewer than <see cref="MinimumTeachers"/> distinct teacher losses
/// cannot separate them from the student terms: then nothing is fitted and the reason is given in words. Otherwise the fit
/// (Huber on log residuals, 576 starts) gets a case-resampling bootstrap with L̃_S held at the supervised law's estimate,
/// and <see cref="Identification"/> says which parameters the data pin down.
/// </summary>
public static class BusbridgeFitter
{
    public const int MinimumTeachers = 3;

    /// <param name="distilled">Students of model or oracle teachers (no "none").</param>
    /// <param name="teacherLosses">Each teacher's validation loss L_T; a teacher missing or non-finite here is left out.</param>
    /// <param name="supervised">The supervised students' law, L̃_S.</param>
    /// <param name="fitOptions">Starts and tolerances (default: the law's 576-start grid).</param>
    public static BusbridgeResult Fit(IEnumerable<StudentObservation> distilled, IReadOnlyDictionary<string, double> teacherLosses,
        StudentLossLaw supervised, int bootstrapSamples = 200, ulong seed = 1, FitOptions? fitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(distilled);
        ArgumentNullException.ThrowIfNull(teacherLosses);
        ArgumentNullException.ThrowIfNull(supervised);
        var usable = distilled.Where(o => teacherLosses.TryGetValue(o.Teacher, out var l) && double.IsFinite(l) && l > 0).ToList();
        var losses = usable.Select(o => teacherLosses[o.Teacher]).Distinct().Order().ToList();
        if (losses.Count < MinimumTeachers)
        {
            return new BusbridgeResult(null,
                $"not fitted: the students have {losses.Count} teacher(s) with a known loss; the form's teacher terms (c0, and the break d1, f1, c1) are functions of L_T alone and need at least {MinimumTeachers} distinct teacher losses to be told apart from the student terms");
        }
        var law = new BusbridgeLaw(supervised.Fit.Form, supervised.Fit.Values);
        var data = new ScalingDataset("distilled students", [.. usable.Select(o => o.Loss)], [.. usable.Select(o => o.StudentParameters)],
            [.. usable.Select(o => o.Tokens)], t: [.. usable.Select(o => teacherLosses[o.Teacher])]);
        try
        {
            var fit = LawFitter.Fit(law, data, fitOptions);
            if (bootstrapSamples > 0) fit = fit.WithBootstrap(data, new BootstrapOptions { Samples = bootstrapSamples, Seed = seed }, fitOptions);
            return new BusbridgeResult(new BusbridgeFit(law, fit, Identification.Assess(fit), losses), null);
        }
        catch (Exception ex) when (ex is InvalidDataException or FitFailedException)
        {
            return new BusbridgeResult(null, $"not fitted: {ex.Message}");
        }
    }
}

/// <summary>One held-out (teacher, student size) cell of a Busbridge back-test: the seed-mean loss at the largest budget, the
/// law's prediction from the smaller budgets, and the same student's seed-mean loss at the largest training budget.</summary>
public sealed record BusbridgeBacktestPoint(string Teacher, double StudentParameters, double TeacherLoss, double Observed, double Predicted,
    double CarriedForward);

/// <summary>
/// A back-test of Busbridge et al.'s law: the supervised law and the distillation law are both fitted on the budgets below the
/// largest, and the law predicts every distilled student's loss at the largest budget. <see cref="Passed"/>: its mean absolute
/// error is below that of carrying each student's last observed loss forward. <see cref="NotRun"/> says why there is none.
/// </summary>
public sealed record BusbridgeBacktest(double HeldOutTokens, IReadOnlyList<BusbridgeBacktestPoint> Points, double LawMeanAbsError,
    double CarriedForwardMeanAbsError, string? NotRun)
{
    public bool Passed => NotRun is null && LawMeanAbsError < CarriedForwardMeanAbsError;

    /// <param name="observations">Every student, "none" (supervised) among them.</param>
    public static BusbridgeBacktest Run(IReadOnlyList<StudentObservation> observations, IReadOnlyDictionary<string, double> teacherLosses,
        StudentLawOptions? options = null, FitOptions? fitOptions = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(teacherLosses);
        var budgets = observations.Select(o => o.Tokens).Distinct().Order().ToList();
        if (budgets.Count < 3) return NotRunBecause($"{budgets.Count} budget(s): a back-test needs at least 2 to fit on and a larger one to predict");
        double held = budgets[^1], last = budgets[^2];
        var train = observations.Where(o => o.Tokens < held).ToList();
        StudentLossLaw supervised;
        try
        {
            supervised = StudentLossLaws.Fit("none", train.Where(o => o.Teacher == "none").ToList(), (options ?? new StudentLawOptions()) with { BootstrapSamples = 0 });
        }
        catch (Exception ex) when (ex is InvalidDataException or FitFailedException)
        {
            return NotRunBecause($"no supervised law on the smaller budgets: {ex.Message}");
        }
        var result = BusbridgeFitter.Fit(train.Where(o => o.Teacher != "none"), teacherLosses, supervised, bootstrapSamples: 0, fitOptions: fitOptions);
        if (result.Fit is not { } fit) return NotRunBecause($"no law on the smaller budgets: {result.NotFitted}");
        var points = new List<BusbridgeBacktestPoint>();
        foreach (var cell in observations.Where(o => o.Teacher != "none" && o.Tokens == held && teacherLosses.ContainsKey(o.Teacher))
            .GroupBy(o => (o.Teacher, o.StudentParameters)).OrderBy(g => g.Key.Teacher, StringComparer.Ordinal).ThenBy(g => g.Key.StudentParameters))
        {
            var before = observations.Where(o => o.Teacher == cell.Key.Teacher && o.StudentParameters == cell.Key.StudentParameters && o.Tokens == last)
                .Select(o => o.Loss).ToList();
            if (before.Count == 0) continue;
            var lt = teacherLosses[cell.Key.Teacher];
            points.Add(new BusbridgeBacktestPoint(cell.Key.Teacher, cell.Key.StudentParameters, lt, cell.Average(o => o.Loss),
                fit.Predict(cell.Key.StudentParameters, held, lt), before.Average()));
        }
        if (points.Count == 0) return NotRunBecause("no distilled student has both the largest budget and the one below it");
        return new BusbridgeBacktest(held, points, points.Average(p => Math.Abs(p.Predicted - p.Observed)),
            points.Average(p => Math.Abs(p.CarriedForward - p.Observed)), null);
    }

    private static BusbridgeBacktest NotRunBecause(string reason) => new(double.NaN, [], double.NaN, double.NaN, reason);
}
