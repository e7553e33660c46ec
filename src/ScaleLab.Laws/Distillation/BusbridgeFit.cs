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
