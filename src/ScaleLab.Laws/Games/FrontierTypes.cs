namespace ScaleLab.Laws.Games;

/// <summary>
/// One agent's strength at one training compute: x = log10 compute (Jones's convention: multiply-adds, or training FLOP;
/// one convention per study), the board size n, and its Elo relative to perfect play (≤ 0 up to noise). The optional
/// agent name is carried through for reports.
/// </summary>
public sealed record EloPoint(double Log10Compute, int Board, double Elo, string? Agent = null);

/// <summary>
/// The change-point frontier of Jones (2021, §4 and Fig. 4): a random-play plateau, a linear incline in log compute and
/// the perfect-play ceiling at 0,
/// <code>
///   Elo(x, n) = min(0, max(m_f·x + m_n·n + c_i,  m_p·n + c_p)),   x = log10 compute
/// </code>
/// with <paramref name="InclineSlope"/> m_f (Elo per decade of compute), <paramref name="InclineBoard"/> m_n (Elo lost
/// per +1 board at fixed compute on the incline), <paramref name="InclineIntercept"/> c_i, <paramref name="PlateauBoard"/>
/// m_p and <paramref name="PlateauIntercept"/> c_p (the Elo of random play on board n is m_p·n + c_p).
/// </summary>
public sealed record ChangePointFrontier(double InclineSlope, double InclineBoard, double InclineIntercept, double PlateauBoard, double PlateauIntercept)
{
    /// <summary>Parameter names in the order of <see cref="ToArray"/>.</summary>
    public static readonly IReadOnlyList<string> Symbols = ["m_f", "m_n", "c_i", "m_p", "c_p"];

    public double[] ToArray() => [InclineSlope, InclineBoard, InclineIntercept, PlateauBoard, PlateauIntercept];

    public static ChangePointFrontier FromArray(ReadOnlySpan<double> theta) => new(theta[0], theta[1], theta[2], theta[3], theta[4]);

    /// <summary>Elo(x, n) of the model.</summary>
    public double Predict(double log10Compute, double board) =>
        Math.Min(0, Math.Max(InclineSlope * log10Compute + InclineBoard * board + InclineIntercept, PlateauBoard * board + PlateauIntercept));

    /// <summary>log10 compute at which the incline reaches perfect play (0 Elo) on board n: −(m_n·n + c_i)/m_f.</summary>
    public double Log10ComputeToPerfect(double board) => -(InclineBoard * board + InclineIntercept) / InclineSlope;

    /// <summary>log10 compute at which the incline leaves the random-play plateau on board n: (m_p·n + c_p − m_n·n − c_i)/m_f.</summary>
    public double Log10ComputeToBeatRandom(double board) =>
        (PlateauBoard * board + PlateauIntercept - InclineBoard * board - InclineIntercept) / InclineSlope;

    /// <summary>Compute multiplier per +1 board to reach perfect play: 10^(−m_n/m_f) (Jones: about 7×).</summary>
    public double PerfectPlayMultiplier => Math.Pow(10, -InclineBoard / InclineSlope);

    /// <summary>Compute multiplier per +1 board to leave the random-play plateau: 10^((m_p − m_n)/m_f).</summary>
    public double BeatRandomMultiplier => Math.Pow(10, (PlateauBoard - InclineBoard) / InclineSlope);
}

/// <summary>Options of <see cref="FrontierFitter.Fit"/>.</summary>
public sealed record FrontierFitOptions
{
    /// <summary>
    /// Huber threshold δ in Elo: residuals beyond it count linearly, so a mis-rated agent does not drag the fit
    /// (Huber 1964). Infinity gives least squares.
    /// </summary>
    public double HuberDelta { get; init; } = 100;

    /// <summary>Bootstrap resamples of the frontier points (0: no intervals).</summary>
    public int Bootstrap { get; init; } = 200;

    public ulong Seed { get; init; }

    public double Level { get; init; } = 0.95;

    /// <summary>Fit only the frontier (the best Elo at each compute per board) rather than every point given.</summary>
    public bool FrontierOnly { get; init; } = true;

    /// <summary>
    /// The bootstrap's resampling unit: null resamples single points; a key (say, the training run of a snapshot) resamples
    /// whole groups, so the snapshots of one run, which share its noise, are drawn or left out together (the cluster
    /// bootstrap, Davison &amp; Hinkley 1997 §3.8).
    /// </summary>
    public Func<EloPoint, string>? GroupOf { get; init; }

    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// A change-point frontier fit. <see cref="Parameters"/> are the point estimates; <see cref="Intervals"/> their bootstrap
/// percentile intervals (in <see cref="ChangePointFrontier.Symbols"/> order; null without a bootstrap). The derived
/// quantities carry intervals too and are null when the data do not identify them (<see cref="Notes"/> say why).
/// </summary>
public sealed record FrontierFit(
    ChangePointFrontier Parameters,
    Interval[]? Intervals,
    Estimate EloPerDecade,
    Estimate? PerfectPlayMultiplier,
    Estimate? BeatRandomMultiplier,
    double ResidualRms,
    double Objective,
    IReadOnlyList<EloPoint> Points,
    int PlateauPoints,
    int InclinePoints,
    int CeilingPoints,
    int BootstrapFailed,
    IReadOnlyList<string> Notes)
{
    /// <summary>The parameters of every bootstrap resample that converged (rows in <see cref="ChangePointFrontier.Symbols"/> order; empty without a bootstrap).</summary>
    public double[][] Draws { get; init; } = [];

    /// <summary>Level of <see cref="Intervals"/>.</summary>
    public double Level { get; init; } = 0.95;

    /// <summary>Percentile interval of a quantity computed from each resample's parameters (both ends NaN without a bootstrap).</summary>
    public Interval IntervalOf(Func<ChangePointFrontier, double> quantity) =>
        Quantile.Percentile(Draws.Select(d => quantity(ChangePointFrontier.FromArray(d))), Level);

    /// <summary>Boards the fit saw, ascending.</summary>
    public IReadOnlyList<int> Boards => Points.Select(p => p.Board).Distinct().Order().ToArray();
}
