namespace ScaleLab.Laws.Games;

/// <summary>
/// A frontier model Elo(x, n; θ) with x = log10 compute and n the board size: piecewise linear in x, each piece linear in
/// θ, so <see cref="Evaluate"/> returns the value and the gradient of the active piece (0 on the perfect-play ceiling).
/// Three are compared (<see cref="FrontierComparison"/>): Jones's change-point model (one incline), the same with an
/// incline slope that changes with the board, and a two-segment incline (a steep early slope, then a shallower one).
/// </summary>
public abstract class FrontierModel
{
    public abstract string Name { get; }

    /// <summary>What the model says, in words, for reports.</summary>
    public abstract string Formula { get; }

    public abstract IReadOnlyList<string> Symbols { get; }

    public int Dimension => Symbols.Count;

    /// <summary>Elo(x, n; θ), writing ∂Elo/∂θ of the active piece into <paramref name="gradient"/>.</summary>
    public abstract double Evaluate(ReadOnlySpan<double> theta, double x, double n, Span<double> gradient);

    public double Predict(ReadOnlySpan<double> theta, double x, double n)
    {
        Span<double> g = stackalloc double[Dimension];
        return Evaluate(theta, x, n, g);
    }

    /// <summary>log10 compute at which the incline reaches perfect play (0 Elo) on board n (NaN where it never does).</summary>
    public abstract double Log10ComputeToPerfect(ReadOnlySpan<double> theta, double n);

    /// <summary>Incline slopes in Elo per decade the model reports: (name, value) pairs.</summary>
    public abstract IEnumerable<(string Name, double Value)> Slopes(ReadOnlySpan<double> theta, IReadOnlyList<int> boards);

    /// <summary>Whether a fitted θ is a rising incline (every slope &gt; 0 on <paramref name="boards"/>, segments ordered).</summary>
    public abstract bool Valid(ReadOnlySpan<double> theta, IReadOnlyList<int> boards);

    /// <summary>Multi-start points for the fit (the grid of <see cref="FrontierFitter.Starts"/> mapped to this model).</summary>
    public abstract List<double[]> Starts(double[] x, double[] n, double[] y);

    public static readonly FrontierModel ChangePoint = new ChangePointModel();

    public static readonly FrontierModel BoardSlopes = new BoardSlopesModel();

    public static readonly FrontierModel TwoSegment = new TwoSegmentModel();

    public static IReadOnlyList<FrontierModel> All => [ChangePoint, BoardSlopes, TwoSegment];

    /// <summary>min(0, max(incline, plateau)) with the gradient of the active piece.</summary>
    protected static double Clip(double incline, double plateau, Span<double> gradient, ReadOnlySpan<double> inclineGrad, ReadOnlySpan<double> plateauGrad)
    {
        gradient.Clear();
        var top = Math.Max(incline, plateau);
        if (top >= 0) return 0;
        (incline >= plateau ? inclineGrad : plateauGrad).CopyTo(gradient);
        return top;
    }
}

/// <summary>Jones (2021): Elo = min(0, max(m_f·x + m_n·n + c_i, m_p·n + c_p)); the same model as <see cref="ChangePointFrontier"/>.</summary>
internal sealed class ChangePointModel : FrontierModel
{
    public override string Name => "change-point";

    public override string Formula => "min(0, max(m_f x + m_n n + c_i, m_p n + c_p)): one incline slope (Jones 2021)";

    public override IReadOnlyList<string> Symbols => ChangePointFrontier.Symbols;

    public override double Evaluate(ReadOnlySpan<double> t, double x, double n, Span<double> g) =>
        Clip(t[0] * x + t[1] * n + t[2], t[3] * n + t[4], g, [x, n, 1, 0, 0], [0, 0, 0, n, 1]);

    public override double Log10ComputeToPerfect(ReadOnlySpan<double> t, double n) => -(t[1] * n + t[2]) / t[0];

    public override IEnumerable<(string, double)> Slopes(ReadOnlySpan<double> t, IReadOnlyList<int> boards) => [("m_f", t[0])];

    public override bool Valid(ReadOnlySpan<double> t, IReadOnlyList<int> boards) => t[0] > 0;

    public override List<double[]> Starts(double[] x, double[] n, double[] y) => FrontierFitter.Starts(x, n, y);
}

/// <summary>
/// The change-point model with an incline slope linear in the board size:
/// Elo = min(0, max((m_f + m_fn·(n − 3))·x + m_n·n + c_i, m_p·n + c_p)); m_f is the slope on 3×3.
/// </summary>
internal sealed class BoardSlopesModel : FrontierModel
{
    public override string Name => "board-slopes";

    public override string Formula => "min(0, max((m_f + m_fn (n - 3)) x + m_n n + c_i, m_p n + c_p)): an incline slope per board, linear in n";

    public override IReadOnlyList<string> Symbols => ["m_f", "m_fn", "m_n", "c_i", "m_p", "c_p"];

    public override double Evaluate(ReadOnlySpan<double> t, double x, double n, Span<double> g) =>
        Clip((t[0] + t[1] * (n - 3)) * x + t[2] * n + t[3], t[4] * n + t[5], g, [x, (n - 3) * x, n, 1, 0, 0], [0, 0, 0, 0, n, 1]);

    public override double Log10ComputeToPerfect(ReadOnlySpan<double> t, double n) => -(t[2] * n + t[3]) / (t[0] + t[1] * (n - 3));

    public override IEnumerable<(string, double)> Slopes(ReadOnlySpan<double> t, IReadOnlyList<int> boards)
    {
        var (a, b) = (t[0], t[1]);
        return boards.Select(n => ($"slope {n}x{n}", a + b * (n - 3))).ToList();
    }

    public override bool Valid(ReadOnlySpan<double> t, IReadOnlyList<int> boards)
    {
        var (a, b) = (t[0], t[1]);
        return boards.All(n => a + b * (n - 3) > 0);
    }

    public override List<double[]> Starts(double[] x, double[] n, double[] y) =>
        FrontierFitter.Starts(x, n, y).Select(s => new[] { s[0], 0, s[1], s[2], s[3], s[4] }).ToList();
}

/// <summary>
/// A two-segment incline shifted in log compute by d decades per board: with u = x − d·n,
/// Elo = min(0, max(min(s_1·u + c_1, s_2·u + c_2), m_p·n + c_p)), s_1 &gt; s_2 &gt; 0 (the min of the two lines is
/// the steep one below their crossing, the shallow one above: a concave bend). With one segment it is Jones's model
/// (m_f = s, m_n = −s·d); the perfect-play compute multiplier per board is 10^d on either segment.
/// </summary>
internal sealed class TwoSegmentModel : FrontierModel
{
    public override string Name => "two-segment";

    public override string Formula => "min(0, max(min(s_1 u + c_1, s_2 u + c_2), m_p n + c_p)), u = x - d n: a steep then a shallower incline, shifted d decades per board";

    public override IReadOnlyList<string> Symbols => ["s_1", "s_2", "d", "c_1", "c_2", "m_p", "c_p"];

    public override double Evaluate(ReadOnlySpan<double> t, double x, double n, Span<double> g)
    {
        var u = x - t[2] * n;
        double a = t[0] * u + t[3], b = t[1] * u + t[4];
        return a <= b
            ? Clip(a, t[5] * n + t[6], g, [u, 0, -t[0] * n, 1, 0, 0, 0], [0, 0, 0, 0, 0, n, 1])
            : Clip(b, t[5] * n + t[6], g, [0, u, -t[1] * n, 0, 1, 0, 0], [0, 0, 0, 0, 0, n, 1]);
    }

    public override double Log10ComputeToPerfect(ReadOnlySpan<double> t, double n)
    {
        // The incline min(s_1 u + c_1, s_2 u + c_2) is increasing; it crosses 0 on the segment that is lower there.
        double u1 = -t[3] / t[0], u2 = -t[4] / t[1];
        return t[2] * n + Math.Max(u1, u2);
    }

    public override IEnumerable<(string, double)> Slopes(ReadOnlySpan<double> t, IReadOnlyList<int> boards) => [("s_1 (early)", t[0]), ("s_2 (late)", t[1])];

    public override bool Valid(ReadOnlySpan<double> t, IReadOnlyList<int> boards) => t[1] > 0 && t[0] > t[1];

    /// <summary>Starts: each change-point start (m_f, m_n, c_i) with s_1 = 2·m_f, s_2 = m_f/2 crossing at the start's
    /// incline point at the median compute (so the bend starts in the middle of the data), d = −m_n/m_f.</summary>
    public override List<double[]> Starts(double[] x, double[] n, double[] y)
    {
        double mx = Quantile.Of(x, 0.5), mn = Quantile.Of(n, 0.5);
        var starts = new List<double[]>();
        foreach (var s in FrontierFitter.Starts(x, n, y))
        {
            double mf = s[0], d = -s[1] / s[0];
            double um = mx - d * mn, em = mf * mx + s[1] * mn + s[2]; // the start's incline at the median point
            starts.Add([2 * mf, mf / 2, d, em - 2 * mf * um, em - mf / 2 * um, s[3], s[4]]);
        }
        return starts;
    }
}
