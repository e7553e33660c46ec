using MathNet.Numerics.Distributions;

namespace ScaleLab.Laws.Trend;

/// <summary>
/// Ordinary least squares y = a + b·x with classical standard errors:
/// b = Sxy/Sxx, a = ȳ − b·x̄, s² = Σ(y − a − b·x)²/(n − 2), se(b) = s/√Sxx, se(a) = s·√(1/n + x̄²/Sxx),
/// R² = 1 − SSres/SStot.
/// </summary>
public sealed record LinearFit(double Intercept, double Slope, double InterceptStdError, double SlopeStdError, double R2, int N, double ResidualStdError)
{
    /// <summary>Fits y on x. Needs n ≥ 3 and at least two distinct x values.</summary>
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
        double yMean = 0, xMean = 0;
        for (var i = 0; i < n; i++)
        {
            yMean += y[i];
            xMean += x[i];
        }
        yMean /= n;
        xMean /= n;
        double ssRes = 0, ssTot = 0;
        for (var i = 0; i < n; i++)
        {
            var r = y[i] - a - b * x[i];
            ssRes += r * r;
            ssTot += (y[i] - yMean) * (y[i] - yMean);
        }
        var s = Math.Sqrt(ssRes / (n - 2));
        var r2 = ssTot > 0 ? 1.0 - ssRes / ssTot : 1.0;
        return new LinearFit(a, b, s * Math.Sqrt(1.0 / n + xMean * xMean / sxx), s / Math.Sqrt(sxx), r2, n, s);
    }

    public double Predict(double x) => Intercept + Slope * x;

    /// <summary>Two-sided Student-t interval for the slope, b ± t(n−2, (1+level)/2)·se(b).</summary>
    public Estimate SlopeInterval(double level)
    {
        var t = StudentT.InvCDF(0.0, 1.0, N - 2, 0.5 + level / 2.0);
        return new Estimate(Slope, Slope - t * SlopeStdError, Slope + t * SlopeStdError);
    }

    /// <summary>Slope and intercept only (centred sums for accuracy); slope NaN when Sxx = 0. Used per bootstrap replicate.</summary>
    internal static (double Intercept, double Slope, double Sxx) Solve(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var n = x.Length;
        double xMean = 0, yMean = 0;
        for (var i = 0; i < n; i++)
        {
            xMean += x[i];
            yMean += y[i];
        }
        xMean /= n;
        yMean /= n;
        double sxx = 0, sxy = 0;
        for (var i = 0; i < n; i++)
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
