namespace ScaleLab.Laws.Distillation;

/// <summary>One finished student of a distillation study: its teacher ("none" for a student trained on samples), its
/// non-embedding parameters N_S, tokens D_S, seed and validation loss (nats/token).</summary>
public sealed record StudentObservation(string Teacher, double StudentParameters, double Tokens, long Seed, double Loss);

/// <summary>How the student laws are fitted: the bootstrap's resamples and seed, and the starts of each full fit (every
/// <see cref="StartStride"/>-th point of Hoffmann et al.'s 4,500-point chinchilla grid unless <see cref="Starts"/> is given).</summary>
public sealed record StudentLawOptions
{
    public int BootstrapSamples { get; init; } = 400;
    public ulong Seed { get; init; } = 1;
    public int StartStride { get; init; } = 5;
    public IReadOnlyList<double[]>? Starts { get; init; }
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal FitOptions FitOptions => new()
    {
        Starts = Starts ?? ChinchillaLaw.HoffmannGrid().Where((_, i) => i % Math.Max(1, StartStride) == 0).ToList(),
        MaxDegreeOfParallelism = MaxDegreeOfParallelism,
    };

    internal BootstrapOptions Bootstrap => new() { Samples = BootstrapSamples, Seed = Seed, MaxDegreeOfParallelism = MaxDegreeOfParallelism };
}

/// <summary>
/// A student loss law of one teacher: L(N_S, D_S) = E + A/N_S^alpha + B/D_S^beta (Hoffmann et al. 2022's form, Huber loss
/// on log residuals, multi-start L-BFGS) fitted to every seed's loss of that teacher's students, with a case-resampling
/// bootstrap. <see cref="Predict"/> is the mean curve, <see cref="PredictBand"/> its 95% bootstrap band; which parameters
/// the data identify is in <see cref="Identification"/> (an unidentified one is said in words, never a result).
/// </summary>
public sealed record StudentLossLaw(string Teacher, LawFit Fit, IdentificationReport Identification)
{
    /// <summary>The fitted loss of a student of N non-embedding parameters after D tokens.</summary>
    public double Predict(double studentParameters, double tokens) => Fit.Predict(new LawPoint(studentParameters, tokens));

    /// <summary>The 95% bootstrap percentile band of the mean curve at (N, D); null without a bootstrap.</summary>
    public Interval? PredictBand(double studentParameters, double tokens) => Fit.Bootstrap is { Draws.Length: > 1 } boot
        ? Quantile.Percentile(boot.Draws.Select(d => Fit.Form.Predict(d, new LawPoint(studentParameters, tokens))), boot.Level)
        : null;

    /// <summary>Bootstrap draws kept (0 without a bootstrap).</summary>
    public int DrawCount => Fit.Bootstrap?.Draws.Length ?? 0;

    /// <summary>The loss by the parameters of bootstrap draw <paramref name="draw"/>.</summary>
    public double PredictDraw(int draw, double studentParameters, double tokens) =>
        Fit.Form.Predict(Fit.Bootstrap!.Draws[draw], new LawPoint(studentParameters, tokens));

    /// <summary>Sentences for the parameters the data do not identify (empty when all are).</summary>
    public IReadOnlyList<string> Unidentified => Identification.Statements;
}

/// <summary>A teacher whose students got no law, and why (too few distinct sizes and budgets, no start converged).</summary>
public sealed record StudentLawFailure(string Teacher, string Reason);

/// <summary>Fits the student loss law of each teacher (<see cref="StudentLossLaw"/>).</summary>
public static class StudentLossLaws
{
    public static (IReadOnlyList<StudentLossLaw> Laws, IReadOnlyList<StudentLawFailure> NotFitted) FitAll(IEnumerable<StudentObservation> observations,
        StudentLawOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        options ??= new StudentLawOptions();
        var laws = new List<StudentLossLaw>();
        var failures = new List<StudentLawFailure>();
        foreach (var group in observations.GroupBy(o => o.Teacher).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            try
            {
                laws.Add(Fit(group.Key, group.ToList(), options));
            }
            catch (Exception ex) when (ex is InvalidDataException or FitFailedException)
            {
                failures.Add(new StudentLawFailure(group.Key, ex.Message));
            }
        }
        return (laws, failures);
    }

    /// <summary>The law of one teacher's students; <see cref="InvalidDataException"/> (one line) when the points cannot
    /// determine five parameters, <see cref="FitFailedException"/> when no start converges.</summary>
    public static StudentLossLaw Fit(string teacher, IReadOnlyList<StudentObservation> observations, StudentLawOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        options ??= new StudentLawOptions();
        var sizes = observations.Select(o => o.StudentParameters).Distinct().Count();
        var budgets = observations.Select(o => o.Tokens).Distinct().Count();
        if (sizes < 2 || budgets < 2)
        {
            throw new InvalidDataException($"teacher {teacher}: {sizes} student size(s) and {budgets} budget(s); L(N, D) needs at least 2 of each");
        }
        var data = Dataset(teacher, observations);
        var fitOptions = options.FitOptions;
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, fitOptions);
        if (options.BootstrapSamples > 0) fit = fit.WithBootstrap(data, options.Bootstrap, fitOptions);
        return new StudentLossLaw(teacher, fit, Laws.Identification.Assess(fit));
    }

    internal static ScalingDataset Dataset(string teacher, IReadOnlyList<StudentObservation> observations) => new(
        $"students of teacher {teacher}", [.. observations.Select(o => o.Loss)], [.. observations.Select(o => o.StudentParameters)],
        [.. observations.Select(o => o.Tokens)]);
}
