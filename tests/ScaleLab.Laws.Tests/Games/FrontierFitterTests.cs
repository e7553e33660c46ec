using MathNet.Numerics.LinearAlgebra;
using ScaleLab.Laws.Games;
using Xunit.Abstractions;

namespace ScaleLab.Laws.Tests.Games;

public sealed class FrontierFitterTests(ITestOutputHelper output)
{
    // Jones-like planted frontier: 500 Elo per decade, −430 Elo per board on the incline (perfect-play multiplier
    // 10^(430/500) ≈ 7.2 per board), random play at −300·n Elo (beat-random multiplier 10^(130/500) ≈ 1.8).
    private static readonly ChangePointFrontier Truth = new(500, -430, -2500, -300, 0);
    private const double Noise = 40;

    /// <summary>One frontier point per quarter decade from x = <paramref name="from"/> to 12.5 per board, Elo with N(0, σ²) noise.</summary>
    internal static List<EloPoint> Synthetic(ChangePointFrontier truth, int[] boards, ulong seed, double noise = Noise, double from = 4)
    {
        var rng = SplitMix64.Stream(seed, 0);
        var points = new List<EloPoint>();
        foreach (int n in boards)
        {
            for (double x = from; x <= 12.5; x += 0.25)
            {
                points.Add(new EloPoint(x, n, truth.Predict(x, n) + noise * rng.NextGaussian()));
            }
        }
        return points;
    }

    private static readonly FrontierFitOptions Points = new() { FrontierOnly = false, Bootstrap = 200, Seed = 3 };

    [Fact]
    public void Fit_NoisySyntheticFrontiersBoards3To7_RecoversPlantedParametersInsideIntervals()
    {
        // Given
        var points = Synthetic(Truth, [3, 4, 5, 6, 7], seed: 1);

        // When
        var fit = FrontierFitter.Fit(points, Points);

        // Then: every parameter near its planted value and inside its 95% bootstrap interval; the derived multipliers too.
        var p = fit.Parameters.ToArray();
        var t = Truth.ToArray();
        for (int k = 0; k < 5; k++)
        {
            output.WriteLine($"{ChangePointFrontier.Symbols[k]} = {p[k]:F1} [{fit.Intervals![k].Lo:F1}, {fit.Intervals[k].Hi:F1}] (planted {t[k]})");
            Assert.True(fit.Intervals[k].Contains(t[k]), $"{ChangePointFrontier.Symbols[k]}: {t[k]} outside [{fit.Intervals[k].Lo}, {fit.Intervals[k].Hi}]");
        }
        output.WriteLine($"perfect-play multiplier {fit.PerfectPlayMultiplier}, beat-random {fit.BeatRandomMultiplier}, RMS {fit.ResidualRms:F1}, regimes {fit.PlateauPoints}/{fit.InclinePoints}/{fit.CeilingPoints}");
        Assert.InRange(fit.EloPerDecade.Value, 470, 530);
        Assert.InRange(fit.PerfectPlayMultiplier!.Value, 6.2, 8.4);
        Assert.True(fit.PerfectPlayMultiplier.Covers(Truth.PerfectPlayMultiplier));
        Assert.True(fit.BeatRandomMultiplier!.Covers(Truth.BeatRandomMultiplier));
        Assert.InRange(fit.ResidualRms, 0.8 * Noise, 1.2 * Noise);
        Assert.Equal(0, fit.BootstrapFailed);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Fit_ThirtyPlantedDataSets_BootstrapIntervalsCoverNearNominal()
    {
        // Given: 30 independent noisy data sets from the planted frontier (boards 3–7, 40 Elo noise).
        int[] covered = new int[5];
        int multiplier = 0;
        const int replications = 30;
        for (int rep = 0; rep < replications; rep++)
        {
            // When
            var fit = FrontierFitter.Fit(Synthetic(Truth, [3, 4, 5, 6, 7], seed: 1000 + (ulong)rep), Points with { Bootstrap = 100, Seed = (ulong)rep });

            // Then (accumulated): how often each 95% percentile interval covers the planted value.
            var t = Truth.ToArray();
            for (int k = 0; k < 5; k++)
            {
                covered[k] += fit.Intervals![k].Contains(t[k]) ? 1 : 0;
            }
            multiplier += fit.PerfectPlayMultiplier!.Covers(Truth.PerfectPlayMultiplier) ? 1 : 0;
        }
        output.WriteLine($"coverage of {replications}: {string.Join(", ", Enumerable.Range(0, 5).Select(k => $"{ChangePointFrontier.Symbols[k]} {covered[k]}"))}, perfect-play multiplier {multiplier}");
        // Nominal 28.5 of 30 (sd 1.2); a percentile bootstrap of 100 resamples on 175 points may undercover a little.
        Assert.All(covered, c => Assert.InRange(c, 24, 30));
        Assert.InRange(multiplier, 24, 30);
    }

    [Fact]
    public void Fit_SixMisratedAgents_HuberKeepsTheSlopeWhereLeastSquaresIsPulled()
    {
        // Given: the planted frontier with six incline points of boards 5 and 6 rated 1000 Elo too low (failed evaluations).
        var points = Synthetic(Truth, [3, 4, 5, 6, 7], seed: 8);
        int hit = 0;
        for (int i = 0; i < points.Count && hit < 6; i++)
        {
            var p = points[i];
            if (p.Board is 5 or 6 && p.Log10Compute is >= 8 and <= 9)
            {
                points[i] = p with { Elo = p.Elo - 1000 };
                hit++;
            }
        }

        // When
        var huber = FrontierFitter.Fit(points, Points with { Bootstrap = 0 });
        var squares = FrontierFitter.Fit(points, Points with { Bootstrap = 0, HuberDelta = double.PositiveInfinity });

        // Then: the robust fit stays near the planted parameters; least squares (the negative control) does not.
        double Miss(FrontierFit f) => Math.Max(Math.Abs(f.Parameters.InclineSlope - 500), Math.Abs(f.Parameters.InclineBoard + 430));
        output.WriteLine($"Huber {huber.Parameters}; least squares {squares.Parameters}");
        Assert.True(Miss(huber) < 30, $"Huber misses by {Miss(huber):F1}");
        Assert.True(Miss(squares) > Miss(huber) + 10, $"least squares misses by {Miss(squares):F1}, Huber by {Miss(huber):F1}");
    }

    [Fact]
    public void Fit_WrongModelAPlaneInComputeAndBoard_FailsTheSameRecovery()
    {
        // Given: the same data, fitted by a model without plateau and ceiling, Elo = a·x + b·n + c (least squares).
        var points = Synthetic(Truth, [3, 4, 5, 6, 7], seed: 1);
        var design = Matrix<double>.Build.Dense(points.Count, 3, (i, j) => j == 0 ? points[i].Log10Compute : j == 1 ? points[i].Board : 1);
        var yv = Vector<double>.Build.DenseOfEnumerable(points.Select(p => p.Elo));

        // When
        var beta = design.TransposeThisAndMultiply(design).Solve(design.TransposeThisAndMultiply(yv));
        double rms = Math.Sqrt((yv - design * beta).PointwisePower(2).Average());
        double multiplier = Math.Pow(10, -beta[1] / beta[0]);

        // Then: it misses the slope and the residuals are far above the noise: the change-point form matters.
        output.WriteLine($"plane: {beta[0]:F1} Elo/decade, multiplier {multiplier:F2}, RMS {rms:F1}");
        Assert.False(beta[0] is > 470 and < 530, $"plane slope {beta[0]:F1}");
        Assert.True(rms > 2 * Noise, $"plane RMS {rms:F1}");
    }

    [Fact]
    public void Backtest_FitBoards3To6_ForecastsBoard7InsideItsIntervalAndBeatsTheNoChangeBaseline()
    {
        // Given
        var points = Synthetic(Truth, [3, 4, 5, 6, 7], seed: 2);

        // When
        var bt = FrontierBacktester.Run(points, 6, Points);

        // Then
        output.WriteLine($"board {bt.TargetBoard}: RMSE {bt.Rmse:F1} (baseline {bt.BaselineRmse:F1}), bias {bt.MeanError:F1}, covered {bt.Covered:P0}, x_perfect {bt.Log10ComputeToPerfect} (planted {Truth.Log10ComputeToPerfect(7):F2})");
        Assert.Equal(7, bt.TargetBoard);
        Assert.True(bt.Rmse < 1.5 * Noise, $"RMSE {bt.Rmse:F1}");
        Assert.True(bt.BaselineRmse > 3 * bt.Rmse, $"baseline {bt.BaselineRmse:F1} vs {bt.Rmse:F1}");
        Assert.True(bt.Covered >= 0.85, $"covered {bt.Covered:P0}");
        Assert.True(bt.Log10ComputeToPerfect.Covers(Truth.Log10ComputeToPerfect(7)));
    }

    [Fact]
    public void Fit_PlateauSeenOnOneBoardOnly_BeatRandomMultiplierNotReported()
    {
        // Given: board 3 from x = 4 (plateau reached), board 4 only from x = 6.5 (past its random-play crossing at 6.04).
        var points = Synthetic(Truth, [3], 4).Concat(Synthetic(Truth, [4], 5, from: 6.5)).ToList();

        // When
        var fit = FrontierFitter.Fit(points, Points with { Bootstrap = 0 });

        // Then
        output.WriteLine($"{fit.Parameters} regimes {fit.PlateauPoints}/{fit.InclinePoints}/{fit.CeilingPoints}; {string.Join("; ", fit.Notes)}");
        Assert.Null(fit.BeatRandomMultiplier);
        Assert.Contains(fit.Notes, s => s.Contains("plateau not identified", StringComparison.Ordinal));
        Assert.NotNull(fit.PerfectPlayMultiplier);
    }

    [Fact]
    public void Fit_GroupsOfOnePoint_GiveTheSameDrawsAsThePointBootstrap()
    {
        // Given: groups keyed by each point's own coordinates, so every group is one point, in data order.
        var points = Synthetic(Truth, [3, 4, 5], seed: 9);
        var options = Points with { Bootstrap = 30, Seed = 4 };

        // When
        var plain = FrontierFitter.Fit(points, options);
        var grouped = FrontierFitter.Fit(points, options with { GroupOf = p => $"{p.Board}@{p.Log10Compute}" });

        // Then: identical resamples (the same weights from the same streams), so identical draws.
        Assert.Equal(plain.Draws.Length, grouped.Draws.Length);
        for (int r = 0; r < plain.Draws.Length; r++)
        {
            Assert.Equal(plain.Draws[r], grouped.Draws[r]);
        }
        Assert.Contains(grouped.Notes, s => s.Contains("groups of", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_SnapshotsSharingTheirRunsNoise_RunGroupsWidenTheIntervals()
    {
        // Given: per board, runs of four consecutive snapshots that share a run offset N(0, 60²) plus their own N(0, 10²):
        // the points are not independent, and a point bootstrap reads the 4 snapshots of a run as 4 independent checks.
        var rng = SplitMix64.Stream(21, 0);
        var points = new List<EloPoint>();
        foreach (int n in new[] { 3, 4, 5, 6, 7 })
        {
            int run = 0;
            for (double x = 4; x <= 12.5; x += 1)
            {
                double offset = 60 * rng.NextGaussian();
                for (int k = 0; k < 4; k++)
                {
                    double xs = x + 0.25 * k;
                    points.Add(new EloPoint(xs, n, Truth.Predict(xs, n) + offset + 10 * rng.NextGaussian(), $"{n}/run{run}"));
                }
                run++;
            }
        }

        // When
        var plain = FrontierFitter.Fit(points, Points with { Bootstrap = 100 });
        var runs = FrontierFitter.Fit(points, Points with { Bootstrap = 100, GroupOf = p => p.Agent! });

        // Then: resampling whole runs gives wider intervals for the incline parameters.
        output.WriteLine($"interval widths, points vs runs: m_f {plain.Intervals![0].Width:F1} vs {runs.Intervals![0].Width:F1}, m_n {plain.Intervals[1].Width:F1} vs {runs.Intervals[1].Width:F1}");
        Assert.True(runs.Intervals[0].Width > 1.3 * plain.Intervals[0].Width, "m_f interval did not widen");
        Assert.True(runs.Intervals[1].Width > 1.3 * plain.Intervals[1].Width, "m_n interval did not widen");
    }

    [Fact]
    public void Fit_OneBoard_RefusedWithOneLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => FrontierFitter.Fit(Synthetic(Truth, [5], 1), Points));
        Assert.Contains("two boards", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_NoisyRuns_KeepsTheBestEloAtEachComputePerBoard()
    {
        // Given: board 3 with a run that is beaten by a cheaper one, and board 4 separately.
        EloPoint[] points =
        [
            new(5, 3, -900), new(6, 3, -400), new(7, 3, -500), new(7, 3, -300), new(8, 3, -100),
            new(5, 4, -1200), new(6, 4, -1300), new(6.5, 4, -800),
        ];

        // When
        var frontier = FrontierFitter.Select(points);

        // Then
        Assert.Equal([-900, -400, -300, -100, -1200, -800], frontier.Select(p => p.Elo));
    }

    [Fact]
    public void Objective_Gradient_MatchesCentralDifferencesAwayFromKinks()
    {
        // Given
        var points = Synthetic(Truth, [3, 5], 6);
        var obj = new FrontierObjective(points.Select(p => p.Log10Compute).ToArray(), points.Select(p => (double)p.Board).ToArray(),
            points.Select(p => p.Elo).ToArray(), null, 60);
        double[] theta = [480, -410, -2450, -310, 20];
        var g = new double[5];

        // When
        obj.Evaluate(theta, g);

        // Then
        for (int k = 0; k < 5; k++)
        {
            var up = (double[])theta.Clone();
            var down = (double[])theta.Clone();
            up[k] += 1e-4;
            down[k] -= 1e-4;
            double fd = (obj.Evaluate(up, new double[5]) - obj.Evaluate(down, new double[5])) / 2e-4;
            Assert.True(Math.Abs(fd - g[k]) < 1e-4 * Math.Max(1, Math.Abs(g[k])), $"{k}: {g[k]} vs {fd}");
        }
    }
}
