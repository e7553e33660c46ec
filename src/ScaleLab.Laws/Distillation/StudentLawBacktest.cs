namespace ScaleLab.Laws.Distillation;

/// <summary>One held-out (student size, largest budget) cell: the seed-mean loss observed with its standard error (NaN with
/// one seed), the law's prediction from the smaller budgets with its 95% bootstrap band, and the naive forecast (the same
/// size's seed-mean loss at the largest training budget, carried forward). Covered: the observed mean lies in the band
/// widened by 1.96 standard errors of that mean (the band is of the mean curve; the observation has seed noise).</summary>
public sealed record StudentBacktestPoint(double StudentParameters, double Tokens, double Observed, double StandardError, int Seeds,
    double Predicted, double Lo, double Hi, double CarriedForward, bool Covered);

/// <summary>
/// A back-test of one teacher's student law: fitted on the budgets below the largest, it predicts the largest budget's
/// loss of every student size. <see cref="Passed"/> says whether it beats the naive forecast: its mean absolute error must
/// be below that of the last observed loss carried forward (a law that is no better than assuming no further progress has
/// not shown it can extrapolate). <see cref="NotRun"/> says in words why no back-test was possible.
/// </summary>
public sealed record StudentBacktest(string Teacher, double HeldOutTokens, double LastTrainTokens, IReadOnlyList<StudentBacktestPoint> Points,
    double LawMeanAbsError, double CarriedForwardMeanAbsError, double Coverage, string? NotRun)
{
    public bool Passed => NotRun is null && LawMeanAbsError < CarriedForwardMeanAbsError;
}

public static class StudentLawBacktests
{
    /// <summary>Back-tests the law of one teacher's students (see <see cref="StudentBacktest"/>).</summary>
    public static StudentBacktest Run(string teacher, IReadOnlyList<StudentObservation> observations, StudentLawOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var budgets = observations.Select(o => o.Tokens).Distinct().Order().ToList();
        if (budgets.Count < 3)
        {
            return NotRun(teacher, $"{budgets.Count} budget(s): a back-test needs at least 2 to fit on and a larger one to predict");
        }
        var held = budgets[^1];
        var last = budgets[^2];
        StudentLossLaw law;
        try
        {
            law = StudentLossLaws.Fit(teacher, observations.Where(o => o.Tokens < held).ToList(), options);
        }
        catch (Exception ex) when (ex is InvalidDataException or FitFailedException)
        {
            return NotRun(teacher, $"no law on the smaller budgets: {ex.Message}");
        }
        var points = new List<StudentBacktestPoint>();
        foreach (var size in observations.Where(o => o.Tokens == held).Select(o => o.StudentParameters).Distinct().Order())
        {
            var before = observations.Where(o => o.StudentParameters == size && o.Tokens == last).Select(o => o.Loss).ToList();
            if (before.Count == 0) continue;
            var losses = observations.Where(o => o.StudentParameters == size && o.Tokens == held).Select(o => o.Loss).ToList();
            var mean = losses.Average();
            var se = losses.Count > 1 ? Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Count - 1) / losses.Count) : double.NaN;
            var predicted = law.Predict(size, held);
            var band = law.PredictBand(size, held) ?? new Interval(predicted, predicted);
            var slack = double.IsFinite(se) ? 1.96 * se : 0;
            points.Add(new StudentBacktestPoint(size, held, mean, se, losses.Count, predicted, band.Lo, band.Hi, before.Average(),
                mean >= band.Lo - slack && mean <= band.Hi + slack));
        }
        if (points.Count == 0) return NotRun(teacher, "no student size has both the largest budget and the one below it");
        return new StudentBacktest(teacher, held, last, points, points.Average(p => Math.Abs(p.Predicted - p.Observed)),
            points.Average(p => Math.Abs(p.CarriedForward - p.Observed)), points.Count(p => p.Covered) / (double)points.Count, null);
    }

    /// <summary>Back-tests every teacher's law.</summary>
    public static IReadOnlyList<StudentBacktest> RunAll(IEnumerable<StudentObservation> observations, StudentLawOptions? options = null) =>
        [.. observations.GroupBy(o => o.Teacher).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Run(g.Key, g.ToList(), options))];

    private static StudentBacktest NotRun(string teacher, string reason) => new(teacher, double.NaN, double.NaN, [], double.NaN, double.NaN, double.NaN, reason);
}
