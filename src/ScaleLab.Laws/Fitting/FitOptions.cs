namespace ScaleLab.Laws;

/// <summary>
/// Options of a law fit. <see cref="Loss"/> null uses the law's default (Huber for power-law families, MSE for
/// the exponential trend). <see cref="Starts"/> null uses the law's start grid (Hoffmann et al.'s 4,500 for
/// chinchilla). Tolerances are those of Math.NET's L-BFGS (relative gradient, relative step, function change).
/// </summary>
public sealed record FitOptions
{
    public LossKind? Loss { get; init; }
    public double Delta { get; init; } = 1e-3;
    public IReadOnlyList<double[]>? Starts { get; init; }
    /// <summary>Threads for the starts; -1 = all cores. Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
    public double GradientTolerance { get; init; } = 1e-9;
    public double ParameterTolerance { get; init; } = 1e-12;
    public int MaxIterations { get; init; } = 1000;
    /// <summary>Fixed and tied parameters (the remedies for an unidentified parameter); null or empty fits every parameter.</summary>
    public FitConstraints? Constraints { get; init; }
}
