using ScaleLab.Laws.Trend;

namespace ScaleLab.Laws.Tests.Trend;

public sealed class TrendAnalysisTests
{
    private static readonly TrendDataset Epoch = TrendData.Load(TrendTestData.EpochCsv);

    [Fact]
    public void Fit_Epoch1950To2010_ReproducesSubsetFigureAndSevillaPreDeepLearningEra()
    {
        // Given the pre-deep-learning era (provenance: 59 models, OLS 20.9 months; Sevilla et al. 2022: 21.3)
        var options = new TrendOptions { From = 1950, To = 2010, Bootstrap = 500, Seed = 1 };

        // When
        var result = TrendAnalysis.Fit(Epoch.Points, options);

        // Then
        Assert.Equal(59, result.Overall.N);
        Assert.InRange(result.Overall.DoublingMonths.Value, 20.8, 21.0);
        Assert.InRange(result.Overall.DoublingMonths.Value, 18, 24);
        Assert.True(result.Overall.DoublingMonths.Lo < 20.9 && result.Overall.DoublingMonths.Hi > 20.9);
    }

    [Fact]
    public void Fit_Epoch2010To2022_ReproducesSubsetFigureAndSevillaDeepLearningEra()
    {
        // Given the deep-learning era up to Sevilla et al.'s cut-off: To = 2022.2 (mid-March 2022) keeps the
        // provenance file's 360 models (OLS 6.6 months; Sevilla et al. 2022: 5.7)
        var options = new TrendOptions { From = 2010, To = 2022.2, Bootstrap = 500, Seed = 1 };

        // When
        var result = TrendAnalysis.Fit(Epoch.Points, options);

        // Then
        Assert.Equal(360, result.Overall.N);
        Assert.InRange(result.Overall.DoublingMonths.Value, 6.5, 6.7);
        Assert.InRange(result.Overall.DoublingMonths.Value, 4.5, 7.5);
        Assert.InRange(result.Overall.DoublingMonths.Hi - result.Overall.DoublingMonths.Lo, 0.2, 3.0);
    }

    [Fact]
    public void Fit_EpochRecentWindows_MatchProvenanceTable()
    {
        // Given the provenance table's two later windows (929 models 6.3 months; 841 models 5.6 months)
        // When
        var all = TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 2010, To = 2025.5, Bootstrap = 0 });
        var recent = TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 2018, To = 2025.5, Bootstrap = 0 });

        // Then
        Assert.Equal(929, all.Overall.N);
        Assert.InRange(all.Overall.DoublingMonths.Value, 6.25, 6.45);
        Assert.Equal(841, recent.Overall.N);
        Assert.InRange(recent.Overall.DoublingMonths.Value, 5.5, 5.65);
    }

    [Fact]
    public void Fit_WithBreaks_EachEraEqualsAFitOfItsOwnWindow()
    {
        // Given one window split at 2010
        var split = new TrendOptions { From = 1950, To = 2022.2, Breaks = [2010], Bootstrap = 0 };

        // When
        var result = TrendAnalysis.Fit(Epoch.Points, split);
        var early = TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 1950, To = 2010, Bootstrap = 0 });
        var late = TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 2010, To = 2022.2, Bootstrap = 0 });

        // Then
        Assert.Equal(2, result.Eras.Count);
        Assert.Equal(early.Overall.Fit.Slope, result.Eras[0].Fit.Slope, 12);
        Assert.Equal(late.Overall.Fit.Slope, result.Eras[1].Fit.Slope, 12);
        Assert.Equal(59 + 360, result.Overall.N);
    }

    [Fact]
    public void Fit_SyntheticKnownDoubling_RecoversIt()
    {
        // Given 200 models doubling every 6 months (b = 12·log10(2)/6 ≈ 0.602 OOM/yr), σ = 0.3 decades
        var slope = 12 * Math.Log10(2) / 6.0;
        var points = TrendTestData.Synthetic(200, 2012, 2024, -1200, slope, 0.3, seed: 7);

        // When
        var result = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 1000, Seed = 3 });

        // Then the estimate is within 3% and 3 standard errors, and the bootstrap interval's width matches
        // the normal-theory width 2·1.96·se(b) to within 25% (homoscedastic errors, where both are valid)
        var fit = result.Overall.Fit;
        Assert.InRange(result.Overall.DoublingMonths.Value, 6 * 0.97, 6 * 1.03);
        Assert.InRange(Math.Abs(fit.Slope - slope), 0, 3 * fit.SlopeStdError);
        var width = result.Overall.Slope.Hi - result.Overall.Slope.Lo;
        Assert.InRange(width / (2 * 1.96 * fit.SlopeStdError), 0.75, 1.25);
        Assert.True(result.Overall.DoublingMonths.Lo < result.Overall.DoublingMonths.Value);
        Assert.True(result.Overall.DoublingMonths.Hi > result.Overall.DoublingMonths.Value);
    }

    [Fact]
    public void Fit_SameSeed_IsDeterministic_DifferentSeedDiffers()
    {
        // Given
        var points = TrendTestData.Synthetic(80, 2000, 2020, -600, 0.3, 0.5, seed: 11);

        // When
        var a = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 400, Seed = 5 });
        var b = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 400, Seed = 5 });
        var c = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 400, Seed = 6 });

        // Then
        Assert.Equal(a.Overall.Slope, b.Overall.Slope);
        Assert.NotEqual(a.Overall.Slope.Lo, c.Overall.Slope.Lo);
    }

    [Fact]
    public void BootstrapSlopes_Parallel_EqualsSequentialReplay()
    {
        // Given data and the documented stream layout: replicate r draws from SplitMix64.Stream(seed, stream·2^32 + r)
        var points = TrendTestData.Synthetic(50, 2000, 2020, -600, 0.3, 0.5, seed: 2);
        var x = points.Select(p => p.Year).ToArray();
        var y = points.Select(p => Math.Log10(p.Value)).ToArray();

        // When the parallel bootstrap runs, and each replicate is replayed on this thread
        var parallel = TrendAnalysis.BootstrapSlopes(x, y, 64, seed: 9, stream: 3);
        var sequential = new double[64];
        for (var r = 0; r < 64; r++)
        {
            var rng = SplitMix64.Stream(9, (3UL << 32) + (ulong)r);
            var bx = new double[x.Length];
            var by = new double[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                var j = rng.NextInt(x.Length);
                bx[i] = x[j];
                by[i] = y[j];
            }
            sequential[r] = LinearFit.Ols(bx, by).Slope;
        }

        // Then they agree bit for bit (the result does not depend on threads or scheduling)
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void BootstrapInterval_SyntheticCoverage_IsNearNominal_AndOneSigmaControlFails()
    {
        // Given 300 synthetic data sets (n = 40, σ = 0.4) with the true slope 0.25 OOM/yr
        const int datasets = 300;
        const double truth = 0.25;
        int bootstrapCovers = 0, tCovers = 0, oneSigmaCovers = 0;

        // When each gets a 95% pairs-bootstrap percentile interval, the 95% OLS t interval, and a
        // deliberately wrong "95%" interval of ±1 standard error (the negative control)
        for (var s = 0; s < datasets; s++)
        {
            var points = TrendTestData.Synthetic(40, 2000, 2010, -500, truth, 0.4, seed: 1000 + s);
            var fit = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 400, Seed = (ulong)s });
            bootstrapCovers += fit.Overall.Slope.Covers(truth) ? 1 : 0;
            tCovers += fit.Overall.Fit.SlopeInterval(0.95).Covers(truth) ? 1 : 0;
            var se = fit.Overall.Fit.SlopeStdError;
            oneSigmaCovers += Math.Abs(fit.Overall.Fit.Slope - truth) <= se ? 1 : 0;
        }

        // Then the bootstrap and t intervals cover near 95% (binomial sd at 300 draws ≈ 1.3%); the control near 68% fails
        Assert.InRange(bootstrapCovers / (double)datasets, 0.90, 0.99);
        Assert.InRange(tCovers / (double)datasets, 0.90, 0.99);
        Assert.False(oneSigmaCovers / (double)datasets >= 0.90, $"control covered {oneSigmaCovers}/{datasets}");
    }

    [Fact]
    public void Fit_PlantedEraBreakWithHalving_EraIntervalsCoverNearNominal_AndIgnoringTheBreakFails()
    {
        // Given 200 synthetic data sets with a planted (continuous) break at 2010: a quantity halving before it
        // (b1 = −0.2 OOM/yr, a halving every 18.1 months) and growing after it (b2 = 0.5 OOM/yr, doubling every 7.2)
        const int datasets = 200;
        const double b1 = -0.2, b2 = 0.5;
        int covers1 = 0, covers2 = 0, doublingCovers1 = 0, growthCovers2 = 0, unbrokenCovers2 = 0;

        // When each is fitted with the break (eras) and, as the negative control, without it (one trend)
        for (var s = 0; s < datasets; s++)
        {
            var points = TrendTestData.Synthetic(30, 2000, 2010, 400, b1, 0.3, seed: 5000 + s);
            points.AddRange(TrendTestData.Synthetic(30, 2010, 2020, -1007, b2, 0.3, seed: 9000 + s));
            var eras = TrendAnalysis.Fit(points, new TrendOptions { Breaks = [2010], Bootstrap = 300, Seed = (ulong)s, From = 2000, To = 2020 });
            var unbroken = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 300, Seed = (ulong)s, From = 2000, To = 2020 });
            covers1 += eras.Eras[0].Slope.Covers(b1) ? 1 : 0;
            covers2 += eras.Eras[1].Slope.Covers(b2) ? 1 : 0;
            doublingCovers1 += eras.Eras[0].DoublingMonths.Covers(TrendAnalysis.DoublingMonths(b1)) ? 1 : 0;
            growthCovers2 += eras.Eras[1].Growth.Covers(Math.Pow(10, b2)) ? 1 : 0;
            unbrokenCovers2 += unbroken.Overall.Slope.Covers(b2) ? 1 : 0;
        }

        // Then each era's 95% interval covers its planted rate near 95% (binomial sd at 200 draws ≈ 1.5%), the halving
        // era's doubling time is negative and its interval covers −18.1 months, and the one-trend fit misses era 2
        Assert.InRange(covers1 / (double)datasets, 0.90, 0.99);
        Assert.InRange(covers2 / (double)datasets, 0.90, 0.99);
        Assert.Equal(covers1, doublingCovers1);
        Assert.Equal(covers2, growthCovers2);
        Assert.True(unbrokenCovers2 / (double)datasets < 0.5, $"control covered {unbrokenCovers2}/{datasets}");
    }

    [Fact]
    public void Fit_FindBreak_RecoversPlantedBreakWithCoveringInterval_AndAWrongBreakIsNotCovered()
    {
        // Given 200 data sets with the planted continuous break at 2010 of the test above (−0.2 then 0.5 OOM/yr)
        const int datasets = 200;
        int near = 0, covers = 0, coversWrong = 0, slopeCovers = 0;

        // When the break is searched for (least squares, 5% trimming) with a 300-replicate bootstrap interval
        for (var s = 0; s < datasets; s++)
        {
            var points = TrendTestData.Synthetic(30, 2000, 2010, 400, -0.2, 0.3, seed: 5000 + s);
            points.AddRange(TrendTestData.Synthetic(30, 2010, 2020, -1007, 0.5, 0.3, seed: 9000 + s));
            var result = TrendAnalysis.Fit(points, new TrendOptions { FindBreak = true, Bootstrap = 300, Seed = (ulong)s });
            var found = result.Break!;
            near += Math.Abs(found.Year.Value - 2010) < 1 ? 1 : 0;
            covers += found.Year.Covers(2010) ? 1 : 0;
            coversWrong += found.Year.Covers(2007) ? 1 : 0;
            slopeCovers += result.Eras[1].Slope.Covers(0.5) ? 1 : 0;
        }

        // Then the estimate lands within a year of 2010 in most data sets (86% when measured), the interval covers it at
        // least near nominally (measured 98%: the percentile bootstrap of a kink's date is conservative), and the
        // negative control: the same intervals cover a wrong break, 2007, rarely, so they are not covering by width alone.
        // Era 2's slope, fitted after the search, still covers near nominally (measured 91%).
        Assert.True(near / (double)datasets >= 0.8, $"near {near}/{datasets}");
        Assert.InRange(covers / (double)datasets, 0.90, 1.0);
        Assert.True(coversWrong / (double)datasets < 0.2, $"wrong break covered {coversWrong}/{datasets}");
        Assert.InRange(slopeCovers / (double)datasets, 0.87, 0.99);
    }

    [Fact]
    public void FindBreak_BreakAndBreaksTogether_IsRefused_TooFewModelsIsAnError()
    {
        // Given
        var points = TrendTestData.Synthetic(40, 2000, 2010, -500, 0.3, 0.2, seed: 3);

        // When / Then
        Assert.Throws<ArgumentException>(() => TrendAnalysis.Fit(points, new TrendOptions { FindBreak = true, Breaks = [2005] }));
        var five = TrendTestData.Synthetic(5, 2000, 2010, -500, 0.3, 0.2, seed: 3);
        var ex = Assert.Throws<InvalidDataException>(() => TrendAnalysis.Fit(five, new TrendOptions { FindBreak = true }));
        Assert.Contains("cannot be split into two eras of at least 3", ex.Message);
    }

    [Fact]
    public void FindBreak_EqualsBruteForceSearchOverSplits()
    {
        // Given one data set, and a naive search: every allowed split, two OLS fits each
        var points = TrendTestData.Synthetic(50, 2000, 2020, -500, 0.3, 0.4, seed: 21).OrderBy(p => p.Year).ToList();
        var minimum = TrendBreak.MinimumPerEra(points.Count);
        double best = double.PositiveInfinity, year = double.NaN;
        for (var k = minimum; k <= points.Count - minimum; k++)
        {
            double Ssr(IEnumerable<TrendPoint> part)
            {
                var list = part.ToList();
                var fit = LinearFit.Ols(list.Select(p => p.Year).ToArray(), list.Select(p => Math.Log10(p.Value)).ToArray());
                return list.Sum(p => Math.Pow(Math.Log10(p.Value) - fit.Predict(p.Year), 2));
            }
            var ssr = Ssr(points.Take(k)) + Ssr(points.Skip(k));
            if (ssr < best)
            {
                (best, year) = (ssr, (points[k - 1].Year + points[k].Year) / 2);
            }
        }

        // When
        var found = TrendBreak.Find(points, 0, 0, 0.95);

        // Then the prefix-sum search finds the same split and SSR
        Assert.Equal(year, found.Year.Value, 12);
        Assert.Equal(best, found.SsrTwoLines, 9);
    }

    [Fact]
    public void Fit_DecliningTrend_ReportsNegativeDoublingWithInterval()
    {
        // Given a price falling 0.2 OOM/yr (halving every 12·log10(2)/0.2 ≈ 18.1 months)
        var points = TrendTestData.Synthetic(80, 2000, 2015, 400, -0.2, 0.2, seed: 4);

        // When
        var result = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 500, Seed = 1 });

        // Then the doubling time is negative, inside its interval, and growth per year is below 1
        var doubling = result.Overall.DoublingMonths;
        Assert.InRange(doubling.Value, -21, -15);
        Assert.True(doubling.Lo < doubling.Value && doubling.Value < doubling.Hi && doubling.Hi < 0);
        Assert.InRange(result.Overall.Growth.Hi, 0, 1);
        Assert.False(result.Overall.DirectionUnresolved);
        Assert.Empty(result.Notes);
    }

    [Fact]
    public void Fit_FlatTrend_SaysTheDirectionIsUnresolved()
    {
        // Given no trend at all
        var points = TrendTestData.Synthetic(40, 2000, 2010, 5, 0.0, 0.5, seed: 8);

        // When
        var result = TrendAnalysis.Fit(points, new TrendOptions { Bootstrap = 400, Seed = 2 });

        // Then growth's interval holds 1 and an end of the doubling interval is infinite, with a note
        Assert.True(result.Overall.Growth.Covers(1.0));
        Assert.True(result.Overall.DirectionUnresolved);
        Assert.True(double.IsInfinity(result.Overall.DoublingMonths.Lo) || double.IsInfinity(result.Overall.DoublingMonths.Hi));
        Assert.Contains(result.Notes, n => n.Contains("neither a doubling nor a halving", StringComparison.Ordinal));
    }

    [Fact]
    public void Frontier_TopNPerCalendarYear_KeepsLargestModels()
    {
        // Given three models in 2020 and one in 2021
        var points = new List<TrendPoint>
        {
            new("a", new DateOnly(2020, 1, 5), 2020.01, 1e20, 2),
            new("b", new DateOnly(2020, 6, 5), 2020.5, 5e21, 3),
            new("c", new DateOnly(2020, 9, 5), 2020.7, 3e21, 4),
            new("d", new DateOnly(2021, 2, 5), 2021.1, 1e19, 5),
        };

        // When
        var kept = TrendAnalysis.Frontier(points, 2);

        // Then
        Assert.Equal(["b", "c", "d"], kept.Select(p => p.Model));
    }

    [Fact]
    public void Fit_FrontierOnEpoch_IsSteeperThanOrEqualCountAndNotes()
    {
        // Given
        var options = new TrendOptions { From = 2010, To = 2022.2, FrontierTop = 10, Bootstrap = 0 };

        // When
        var result = TrendAnalysis.Fit(Epoch.Points, options);

        // Then 13 calendar years (2010…2022) hold at most 10 models each (ties aside)
        Assert.InRange(result.Overall.N, 100, 135);
        Assert.True(result.ExcludedByFrontier > 0);
        Assert.Single(result.Notes);
        Assert.InRange(result.Overall.DoublingMonths.Value, 3, 12);
    }

    [Fact]
    public void Fit_TooFewModels_ThrowsInvalidData()
    {
        // Given a window with two models
        var points = TrendTestData.Synthetic(2, 2000, 2001, -500, 0.3, 0.1, seed: 1);

        // When / Then
        var ex = Assert.Throws<InvalidDataException>(() => TrendAnalysis.Fit(points, new TrendOptions()));
        Assert.Contains("need at least 3", ex.Message);
    }

    [Fact]
    public void Fit_BreakOutsideWindow_ThrowsArgument()
    {
        // When / Then
        Assert.Throws<ArgumentException>(() => TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 2010, To = 2020, Breaks = [2021] }));
        Assert.Throws<ArgumentException>(() => TrendAnalysis.Fit(Epoch.Points, new TrendOptions { From = 2020, To = 2010 }));
    }

    [Fact]
    public void DoublingMonths_ClosedForm()
    {
        // Given one order of magnitude per year: doubling = 12·log10(2) ≈ 3.612 months; a decline of 0.1 OOM/yr
        // halves every 36.12 months, written as a negative doubling time (issue 17); a flat trend never doubles
        Assert.Equal(12 * Math.Log10(2), TrendAnalysis.DoublingMonths(1.0), 12);
        Assert.Equal(-120 * Math.Log10(2), TrendAnalysis.DoublingMonths(-0.1), 12);
        Assert.Equal(double.PositiveInfinity, TrendAnalysis.DoublingMonths(0));
    }
}
