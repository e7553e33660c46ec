using MathNet.Numerics.Distributions;

namespace ScaleLab.Laws;

/// <summary>
/// Ordinary least squares y = a + b·x with the classical standard errors and Student-t intervals (Seber &amp; Lee 2003,
/// "Linear Regression Analysis", §4.1 and §5.1; Draper &amp; Smith 1998 ch. 1):
/// <code>
///   x̄, ȳ the means,  Sxx = Σ(x − x̄)²,  b = Σ(x − x̄)(y − ȳ)/Sxx,  a = ȳ − b·x̄
///   s² = Σ(y − a − b·x)²/(n − 2),  se(b) = s/√Sxx,  se(a) = s·√(1/n + x̄²/Sxx),  R² = 1 − SSres/SStot
///   interval at level c:  θ ± t(n − 2, (1 + c)/2)·se(θ)   (exact under normal errors)
///   mean response at x₀:  a + b·x₀ ± t·s·√(1/n + (x₀ − x̄)²/Sxx)
/// </code>
/// The one OLS of ScaleLab: compute trends, isoFLOP frontiers, B_crit(L). Sums are accumulated in index order.
/// </summary>
public sealed record LinearFit(double Intercept, double Slope, double InterceptStdError, double SlopeStdError, double R2, int N, double ResidualStdError)
{
    /// <summary>Mean of the x values, x̄.</summary>
    public double XMean { get; init; }

    /// <summary>Sxx = Σ(x − x̄)².</summary>
    public double Sxx { get; init; }

    /// <summary>Degrees of freedom of s², n − 2.</summary>
    public int DegreesOfFreedom => N - 2;

    /// <summary>Fits y on x. Needs n ≥ 3 and at least two distinct x values (else a one-line <see cref="InvalidDataException"/>).</summary>
    public static LinearFit Ols(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("x and y differ in length");
        }
        var n = x.Length;
        if (n < 3)
        {
            throw new InvalidDataException($"linear fit needs at least 3 points, got {n}");
        }
        var (a, b, sxx) = Solve(x, y);
        if (double.IsNaN(b))
        {
            throw new InvalidDataException("linear fit: all x values are equal");
        }
        var (xMean, yMean) = Means(x, y);
        double ssRes = 0, ssTot = 0;
        for (var i = 0; i < n; i++)
        {
            var r = y[i] - a - b * x[i];
            ssRes += r * r;
            ssTot += (y[i] - yMean) * (y[i] - yMean);
        }
        var s = Math.Sqrt(ssRes / (n - 2));
        var r2 = ssTot > 0 ? 1.0 - ssRes / ssTot : 1.0;
        return new LinearFit(a, b, s * Math.Sqrt(1.0 / n + xMean * xMean / sxx), s / Math.Sqrt(sxx), r2, n, s)
        {
            XMean = xMean,
            Sxx = sxx,
        };
    }

    public double Predict(double x) => Intercept + Slope * x;

    /// <summary>The Student-t quantile t(n − 2, (1 + level)/2) of a two-sided interval at <paramref name="level"/>.</summary>
    public double TQuantile(double level) => StudentT.InvCDF(0.0, 1.0, N - 2, 0.5 + level / 2.0);

    /// <summary>Two-sided Student-t interval for the slope, b ± t(n−2, (1+level)/2)·se(b).</summary>
    public Estimate SlopeInterval(double level) => TInterval(Slope, SlopeStdError, level);

    /// <summary>Two-sided Student-t interval for the intercept, a ± t(n−2, (1+level)/2)·se(a).</summary>
    public Estimate InterceptInterval(double level) => TInterval(Intercept, InterceptStdError, level);

    /// <summary>
    /// The line's estimate of the mean response at <paramref name="x0"/> with its Student-t interval,
    /// a + b·x₀ ± t·s·√(1/n + (x₀ − x̄)²/Sxx).
    /// </summary>
    public Estimate MeanInterval(double x0, double level)
    {
        var y0 = Predict(x0);
        var se = ResidualStdError * Math.Sqrt((1.0 / N) + ((x0 - XMean) * (x0 - XMean) / Sxx));
        return TInterval(y0, se, level);
    }

    /// <summary>value ± t(n−2, (1+level)/2)·se.</summary>
    private Estimate TInterval(double value, double se, double level)
    {
        var t = TQuantile(level);
        return new Estimate(value, value - t * se, value + t * se);
    }

    /// <summary>The means of x and y, summed in index order (the fit and <see cref="Solve"/> share them to the last bit).</summary>
    private static (double X, double Y) Means(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double xSum = 0, ySum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            xSum += x[i];
            ySum += y[i];
        }
        return (xSum / x.Length, ySum / x.Length);
    }

    /// <summary>Slope and intercept only (centred sums for accuracy); slope NaN when Sxx = 0. Used per bootstrap replicate.</summary>
    public static (double Intercept, double Slope, double Sxx) Solve(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var (xMean, yMean) = Means(x, y);
        double sxx = 0, sxy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var dx = x[i] - xMean;
            sxx += dx * dx;
            sxy += dx * (y[i] - yMean);
        }
        if (sxx <= 0)
        {
            return (double.NaN, double.NaN, 0);
        }
        var b = sxy / sxx;
        return (yMean - b * xMean, b, sxx);
    }
}
