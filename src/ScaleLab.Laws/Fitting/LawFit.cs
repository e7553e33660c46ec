namespace ScaleLab.Laws;

/// <summary>
/// The result of a multi-start law fit (immutable). <see cref="Values"/> are the reported parameters in the
/// order of <see cref="Symbols"/>; <see cref="Theta"/> the optimisation coordinates of the best start.
/// <see cref="StartsAtBest"/> counts the converged starts whose objective is within 1e-6 relative of the best
/// (<see cref="StartsAtBestCriterion"/>).
/// </summary>
public sealed record LawFit(
    IScalingLaw Form,
    IReadOnlyList<string> Symbols,
    double[] Values,
    double[] Theta,
    IReadOnlyList<string> DerivedNames,
    double[] DerivedValues,
    double Objective,
    int StartsTotal,
    int StartsFailed,
    int StartsAtBest,
    string StartsAtBestCriterion,
    int Iterations,
    string ExitReason,
    int PointsUsed,
    LossKind Loss,
    double Delta,
    IReadOnlyList<string> Notes)
{
    /// <summary>Bootstrap of this fit, when one was run.</summary>
    public BootstrapResult? Bootstrap { get; init; }

    /// <summary>Why the best start's minimiser stopped (<see cref="ExitReason"/> in words).</summary>
    public StopReason Stop { get; init; } = StopReasons.Parse(ExitReason);

    /// <summary>
    /// The failed starts by why they failed (<see cref="StopReason.IterationLimit"/>, <see cref="StopReason.LineSearchFailure"/>,
    /// <see cref="StopReason.NonFinite"/>); the counts sum to <see cref="StartsFailed"/>. Empty when every start ended at a point.
    /// </summary>
    public IReadOnlyDictionary<StopReason, int> FailedStarts { get; init; } = new Dictionary<StopReason, int>();

    /// <summary>
    /// Asymptotic standard errors of the reported parameters (<see cref="Symbols"/> order) from the Gauss–Newton Hessian,
    /// beside the bootstrap's intervals (<see cref="FitDiagnostics.SymbolStandardErrors"/>; NaN where the Hessian does not
    /// determine one; null for bootstrap refits, which carry no diagnostics).
    /// </summary>
    public double[]? StandardErrors => Diagnostics?.SymbolStandardErrors;

    /// <summary>
    /// Asymptotic covariance s²(JᵀJ)⁻¹ of the free optimisation coordinates (<see cref="FitDiagnostics.Coordinates"/>:
    /// log-scale for scale parameters), the matrix the standard errors come from; null without diagnostics.
    /// </summary>
    public double[][]? Covariance => Diagnostics?.Covariance;

    /// <summary>
    /// Standard errors, covariance and correlation from the Gauss–Newton Hessian, information criteria, the data's
    /// span and warnings about degenerate data (set by <see cref="LawFitter.Fit"/>; null for bootstrap refits).
    /// </summary>
    public FitDiagnostics? Diagnostics { get; init; }

    /// <summary>Fixed and tied parameters (empty when the law was fitted unconstrained).</summary>
    public FitConstraints Constraints => Form is ConstrainedLaw c ? c.Constraints : new FitConstraints();

    /// <summary>Whether each parameter is identified by the data (<see cref="Laws.Identification.Assess"/>; default criteria when null).</summary>
    public IdentificationReport Identification(IdentificationCriteria? criteria = null) => Laws.Identification.Assess(this, criteria);

    public string Law => Form.Name;

    /// <summary>Parameter value by symbol (E, A, B, alpha, beta, ...).</summary>
    public double this[string symbol]
    {
        get
        {
            int k = Symbols.ToList().IndexOf(symbol);
            if (k >= 0)
            {
                return Values[k];
            }
            k = DerivedNames.ToList().IndexOf(symbol);
            return k >= 0 ? DerivedValues[k] : throw new KeyNotFoundException($"{Law} has no parameter '{symbol}'");
        }
    }

    /// <summary>Parameters by symbol, in the law's order.</summary>
    public IReadOnlyDictionary<string, double> Parameters => Symbols.Zip(Values).ToDictionary(x => x.First, x => x.Second);

    /// <summary>The fitted law's prediction L̂ at a point.</summary>
    public double Predict(in LawPoint point) => Form.Predict(Values, point);
}

/// <summary>No start of a multi-start fit converged to a finite point (CLI exit code 1).</summary>
public sealed class FitFailedException : Exception
{
    public FitFailedException(string message) : base(message) { }
    public FitFailedException(string message, Exception inner) : base(message, inner) { }
    public FitFailedException() { }
}
