using MathNet.Numerics.LinearAlgebra;
using ScaleLab.Laws.Games;
using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests.Games;

public sealed class RlScalingTests(ITestOutputHelper output)
{
    // Planted law: α_N = 0.8, α_E = 0.5 (β = 0.4/1.3 ≈ 0.308, N_opt ∝ C^(0.5/1.3) ≈ C^0.385), N_c = 3e3, E_c = 1e5.
    private const double A = 0.8, B = 0.5, Nc = 3e3, Ec = 1e5;
    private static readonly double[] Truth = [Math.Log(Nc), Math.Log(Ec), Math.Log(A), Math.Log(B)];
    private static double TrueExponent => B / (A + B);

    private static double LnI(double n, double e) => RlScaling.LogIntrinsic(Truth, Math.Log(n), Math.Log(e), []);

    private static IEnumerable<double> LogSpace(double lo, double hi, int count) =>
        Enumerable.Range(0, count).Select(i => lo * Math.Pow(hi / lo, (double)i / (count - 1)));

    /// <summary>Runs of <paramref name="sizes"/> model sizes from 1e3 to 1e6, each a learning curve of 25 sample counts 1e4..1e9.</summary>
    private static List<IntrinsicPoint> Planted(int sizes, double noise, ulong seed)
    {
        var rng = SplitMix64.Stream(seed, 0);
        return [.. LogSpace(1e3, 1e6, sizes).SelectMany(n => LogSpace(1e4, 1e9, 25).Select(e =>
            new IntrinsicPoint($"N={n:G4}", n, e, n * e, double.NaN, Math.Exp(LnI(n, e) + noise * rng.NextGaussian()))))];
    }

    [Fact]
    public void Fit_PlantedLawWithNoise_RecoversExponentsAndTheOptimalSizeExponentInsideIntervals()
    {
        // Given: 8 runs × 25 points, 5% noise on I.
        var data = Planted(8, 0.05, 1);

        // When
        var fit = RlScaling.Fit(data, new RlScalingOptions { Bootstrap = 200, Seed = 2 });

        // Then
        output.WriteLine($"α_N {fit.AlphaN}, α_E {fit.AlphaE}, β {fit.Beta}, N_opt exponent {fit.OptimalSizeExponent} (planted {TrueExponent:F4}), log10 N_c {fit.Log10Nc}, log10 E_c {fit.Log10Ec}, RMS {fit.ResidualRmsLog10:F4}");
        Assert.InRange(fit.AlphaN.Value, 0.9 * A, 1.1 * A);
        Assert.InRange(fit.AlphaE.Value, 0.9 * B, 1.1 * B);
        Assert.InRange(fit.OptimalSizeExponent.Value, TrueExponent - 0.03, TrueExponent + 0.03);
        Assert.True(fit.OptimalSizeExponent.Covers(TrueExponent));
        Assert.True(fit.AlphaN.Covers(A) && fit.AlphaE.Covers(B));
        Assert.Equal(8, fit.Runs);
        Assert.True(fit.Identified);
    }

    [Fact]
    public void Fit_WrongModelLogLinearInNAndE_LeavesResidualsFarAboveTheNoise()
    {
        // Given: the same data fitted by ln I = c + p·ln N + q·ln E (no bottleneck, so no interior optimal size).
        var data = Planted(8, 0.05, 1);
        var x = Matrix<double>.Build.Dense(data.Count, 3, (i, j) => j == 0 ? 1 : j == 1 ? Math.Log(data[i].Parameters) : Math.Log(data[i].Samples));
        var y = Vector<double>.Build.DenseOfEnumerable(data.Select(p => Math.Log(p.Intrinsic)));

        // When
        var beta = x.TransposeThisAndMultiply(x).Solve(x.TransposeThisAndMultiply(y));
        double rms = Math.Sqrt((y - x * beta).PointwisePower(2).Average());
        var law = RlScaling.Fit(data, new RlScalingOptions { Bootstrap = 0 });

        // Then
        output.WriteLine($"log-linear RMS {rms:F3} (ln), law RMS {law.ResidualRmsLog10 * Math.Log(10):F3}, noise 0.05");
        Assert.True(rms > 3 * 0.05, $"log-linear RMS {rms:F3}");
        Assert.InRange(law.ResidualRmsLog10 * Math.Log(10), 0.04, 0.06);
    }

    [Fact]
    public void FitElo_EloFromAConsistentLawOn16Sizes_RecoversTheOptimalSizeExponent()
    {
        // Given: C = κ·N·E with κ chosen so that the law's own frontier is I = C, and Elo a monotone map of the true I
        // (Elo = 250·log10 I − 3000). Intrinsic performance must then be recovered from Elo through the empirical frontier.
        double g = 1 / A + 1 / B;
        double kappa = Math.Pow((A + B) / B * Math.Pow(A / B, -A / (A + B)), -g) / (Nc * Ec);
        var points = LogSpace(1e3, 1e6, 16).SelectMany(n => LogSpace(1e4, 1e9, 40).Select(e =>
            new RlPoint($"N={n:G4}", n, e, kappa * n * e, 250 * LnI(n, e) / Math.Log(10) - 3000))).ToList();

        // When
        var fit = RlScaling.FitElo(points, new RlScalingOptions { Bootstrap = 0 });

        // Then: the frontier points have I = C, and the exponents come back (the frontier of 16 discrete sizes lies a
        // little under the law's continuous one, so the tolerance is wider than for known I).
        output.WriteLine($"α_N {fit.AlphaN}, α_E {fit.AlphaE}, N_opt exponent {fit.OptimalSizeExponent} (planted {TrueExponent:F4}), {fit.Points} points; {string.Join("; ", fit.Notes)}");
        Assert.Contains(fit.Data, p => p.Intrinsic == p.Compute);
        Assert.All(fit.Data, p => Assert.True(p.Intrinsic <= p.Compute * (1 + 1e-9)));
        Assert.InRange(fit.OptimalSizeExponent.Value, TrueExponent - 0.05, TrueExponent + 0.05);
        Assert.InRange(fit.AlphaN.Value, 0.8 * A, 1.2 * A);
        Assert.InRange(fit.AlphaE.Value, 0.8 * B, 1.2 * B);
    }

    [Fact]
    public void Fit_ComputeTakenAsIntrinsicPerformance_MissesTheLaw()
    {
        // Given (negative control): the consistent data of the test above, but every point's I set to its own compute,
        // as if every run were on the frontier (no intrinsic-performance step).
        double g = 1 / A + 1 / B;
        double kappa = Math.Pow((A + B) / B * Math.Pow(A / B, -A / (A + B)), -g) / (Nc * Ec);
        var data = LogSpace(1e3, 1e6, 6).SelectMany(n => LogSpace(1e4, 1e9, 12).Select(e =>
            new IntrinsicPoint($"N={n:G4}", n, e, kappa * n * e, double.NaN, kappa * n * e))).ToList();

        // When
        var fit = RlScaling.Fit(data, new RlScalingOptions { Bootstrap = 0 });

        // Then: the exponents are not recovered, and the fit says it sits at the law's degenerate limit.
        output.WriteLine($"I := C: α_N {fit.AlphaN}, α_E {fit.AlphaE}, N_opt exponent {fit.OptimalSizeExponent}, RMS {fit.ResidualRmsLog10:F3}");
        Assert.False(Math.Abs(fit.AlphaN.Value - A) < 0.2 * A && Math.Abs(fit.AlphaE.Value - B) < 0.2 * B,
            $"α_N {fit.AlphaN.Value:F3}, α_E {fit.AlphaE.Value:F3}");
        Assert.Contains(fit.Notes, n => n.Contains("not identified", StringComparison.Ordinal));
        Assert.False(fit.Identified);
    }

    [Fact]
    public void Fit_HardBottleneckData_ExponentsNotIdentified()
    {
        // Given: I set by the smaller of the two terms alone (α_N = α_E = 200: a kink, no smooth crossover), 1% noise.
        double[] kink = [Math.Log(Nc), Math.Log(Ec), Math.Log(200), Math.Log(200)];
        var rng = SplitMix64.Stream(7, 0);
        var data = LogSpace(1e3, 1e6, 8).SelectMany(n => LogSpace(1e4, 1e9, 25).Select(e => new IntrinsicPoint(
            $"N={n:G4}", n, e, n * e, double.NaN, Math.Exp(RlScaling.LogIntrinsic(kink, Math.Log(n), Math.Log(e), []) + 0.01 * rng.NextGaussian())))).ToList();

        // When
        var fit = RlScaling.Fit(data, new RlScalingOptions { Bootstrap = 50, Seed = 3 });

        // Then: whatever large values the exponents took, they are not a result.
        output.WriteLine($"kink: α_N {fit.AlphaN}, α_E {fit.AlphaE}; {string.Join("; ", fit.Notes)}");
        Assert.False(fit.Identified);
        Assert.Contains(fit.Notes, n => n.Contains("not identified", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.8, 0.5, 0.1, 0, null)] // tight draws: identified
    [InlineData(0.8, 0.5, 3.0, 0, "decades")] // α_N's draws over 6 decades (log-normal, sd 3 in ln): not identified
    [InlineData(0.8, 0.5, 0.1, 30, "failed")] // 30 of 100 resamples failed
    [InlineData(0.01, 0.5, 0.1, 0, "α → 0")]
    [InlineData(50.0, 0.5, 0.1, 0, "α → ∞")]
    public void Unidentified_ThePointEstimateTheFailuresAndTheIntervalWidthEachDecide(double alphaN, double alphaE, double spread, int failed, string? reason)
    {
        // Given: 100 - failed bootstrap draws around the point estimate, α_N's spread in ln units as given, α_E's 0.1.
        var rng = SplitMix64.Stream(9, 0);
        var draws = Enumerable.Range(0, 100 - failed).Select(_ => new[]
        {
            0.0, 0.0, Math.Log(alphaN) + spread * rng.NextGaussian(), Math.Log(alphaE) + 0.1 * rng.NextGaussian(),
        }).ToList();

        // When
        var why = RlScaling.Unidentified(alphaN, alphaE, draws, failed, 100, 0.95);

        // Then
        output.WriteLine(why ?? "identified");
        if (reason is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.NotNull(why);
            Assert.Contains(reason, why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LogIntrinsic_Gradient_MatchesCentralDifferences()
    {
        double[] theta = [8.1, 11.2, -0.3, -0.6];
        var g = new double[4];
        RlScaling.LogIntrinsic(theta, 9.0, 12.5, g);
        for (int k = 0; k < 4; k++)
        {
            var up = (double[])theta.Clone();
            var down = (double[])theta.Clone();
            up[k] += 1e-6;
            down[k] -= 1e-6;
            double fd = (RlScaling.LogIntrinsic(up, 9.0, 12.5, []) - RlScaling.LogIntrinsic(down, 9.0, 12.5, [])) / 2e-6;
            Assert.True(Math.Abs(fd - g[k]) < 1e-6 * Math.Max(1, Math.Abs(g[k])), $"{k}: {g[k]} vs {fd}");
        }
    }

    [Fact]
    public void Fit_TwoModelSizes_RefusedWithOneLine()
    {
        var data = Planted(2, 0.05, 1);
        var e = Assert.Throws<InvalidDataException>(() => RlScaling.Fit(data));
        Assert.Contains("2 model sizes", e.Message, StringComparison.Ordinal);
    }
}
