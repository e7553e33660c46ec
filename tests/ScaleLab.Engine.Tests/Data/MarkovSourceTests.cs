using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Tests.Data;

public sealed class MarkovSourceTests
{
    private static readonly MarkovSource Default = SyntheticCorpus.Default.Source;

    [Fact]
    public void EntropyRate_DefaultSource_LiesBetweenZeroAndLogAlphabet()
    {
        // Given the default source (A = 16)
        var source = Default;

        // When
        var h = source.EntropyRate;

        // Then: strictly inside (0, ln A), and well away from both ends so models have something to learn
        Assert.InRange(h, 0.5, Math.Log(source.AlphabetSize) - 0.5);
    }

    [Fact]
    public void ConditionalEntropy_ByOrder_FallsToTheEntropyRate()
    {
        // Given
        var source = Default;

        // When
        var ladder = Enumerable.Range(0, source.MaxOrder + 1).Select(source.ConditionalEntropy).ToArray();

        // Then: H_0 ≥ H_1 ≥ … ≥ H_K (conditioning reduces entropy), every order adds information,
        // and H_K computed from marginalized π equals Σ π(s) H(P(·|s)).
        for (var k = 1; k < ladder.Length; k++)
        {
            Assert.True(ladder[k] < ladder[k - 1] - 0.02, $"H_{k} = {ladder[k]} is not clearly below H_{k - 1} = {ladder[k - 1]}");
        }
        Assert.Equal(source.EntropyRate, ladder[^1], 1e-9);
        Assert.True(ladder[0] <= Math.Log(source.AlphabetSize) + 1e-12);
    }

    [Fact]
    public void Stationary_AfterOneTransition_IsUnchanged()
    {
        // Given π from power iteration
        var source = Default;
        var pi = source.Stationary;
        var next = new double[pi.Length];

        // When: one step of the chain, s → (s·A + x) mod A^K with probability P(x|s)
        for (var s = 0; s < pi.Length; s++)
        {
            var p = source.NextDistribution(s);
            for (var x = 0; x < p.Length; x++)
            {
                next[(int)((long)s * source.AlphabetSize % pi.Length) + x] += pi[s] * p[x];
            }
        }

        // Then
        Assert.Equal(1.0, pi.Sum(), 1e-12);
        Assert.True(pi.Zip(next).Sum(t => Math.Abs(t.First - t.Second)) < 1e-12);
    }

    [Fact]
    public void LogLoss_TrueSourceOnLongSample_ConvergesToEntropyRate_UniformWeightsDoNot()
    {
        // Given 2M symbols from the true source; the standard error comes from 100 batch means, which
        // absorbs the serial correlation of the per-symbol losses.
        var source = Default;
        var tokens = new int[2_000_000];
        source.Generate(new Rng(11), tokens);
        var perSymbol = new double[tokens.Length - source.MaxOrder];

        // When
        var empirical = source.LogLoss(tokens, perSymbol);

        // Then: within 4 standard errors of H; the negative control (the same formula weighted by the
        // uniform distribution over full states instead of π) is many standard errors away.
        var se = BatchMeansStandardError(perSymbol, 100);
        var wrong = source.WeightedEntropy(Enumerable.Repeat(1.0 / source.StateCount, source.StateCount).ToArray());
        Assert.True(Math.Abs(empirical - source.EntropyRate) < 4 * se, $"empirical {empirical:F5} vs H {source.EntropyRate:F5}, se {se:F5}");
        Assert.True(Math.Abs(empirical - wrong) > 8 * se, $"empirical {empirical:F5} vs uniform-weighted {wrong:F5}, se {se:F5}");
    }

    [Fact]
    public void OracleLogLoss_ManyShortWindows_AveragesToTheWindowFloor_NotTheEntropyRate()
    {
        // Given 20 000 windows of 6 tokens (5 predictions each; the first K = 4 lack full context)
        var source = Default;
        var window = new int[6];
        var rng = new Rng(21);
        var losses = new double[20_000];

        // When
        for (var i = 0; i < losses.Length; i++)
        {
            source.Generate(rng, window);
            losses[i] = source.OracleLogLoss(window);
        }

        // Then: the mean matches (H_1 + H_2 + H_3 + H_4 + H)/5 within 4 standard errors (windows are
        // independent), and the entropy rate alone (the negative control: ignoring the missing history) does not.
        var mean = losses.Average();
        var se = Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Length - 1) / losses.Length);
        Assert.True(Math.Abs(mean - source.WindowLossFloor(5)) < 4 * se, $"mean {mean:F4}, floor {source.WindowLossFloor(5):F4}, se {se:F4}");
        Assert.True(Math.Abs(mean - source.EntropyRate) > 8 * se, $"mean {mean:F4}, H {source.EntropyRate:F4}, se {se:F4}");
    }

    [Fact]
    public void WindowLossFloor_ShortAndLongWindows_AveragesTheLadder()
    {
        // Given
        var source = Default;

        // When
        var one = source.WindowLossFloor(1);
        var two = source.WindowLossFloor(2);
        var long_ = source.WindowLossFloor(100_000);

        // Then: the first target sees one symbol (H_1), the second two (H_2); long windows tend to H
        Assert.Equal(source.ConditionalEntropy(1), one, 1e-12);
        Assert.Equal((source.ConditionalEntropy(1) + source.ConditionalEntropy(2)) / 2, two, 1e-12);
        Assert.Equal(source.EntropyRate, long_, 1e-4);
    }

    [Fact]
    public void Constructor_SameSeed_SameSource_DifferentSeed_DifferentSource()
    {
        // Given
        var options = new MarkovSourceOptions { AlphabetSize = 6, MaxOrder = 3, SplitProbabilities = [1, 0.5, 0.5] };

        // When
        var a = new MarkovSource(options);
        var b = new MarkovSource(options);
        var c = new MarkovSource(options with { Seed = 2 });

        // Then
        Assert.Equal(a.EntropyRate, b.EntropyRate);
        Assert.Equal(a.Stationary, b.Stationary);
        Assert.NotEqual(a.EntropyRate, c.EntropyRate);
    }

    [Fact]
    public void Generate_Tokens_AreAlphabetBytes()
    {
        // Given
        var source = Default;
        var tokens = new int[10_000];

        // When
        source.Generate(new Rng(3), tokens);

        // Then: only the A letters 'a'..'p' occur, and all of them do
        Assert.All(tokens, t => Assert.InRange(t, 'a', 'p'));
        Assert.Equal(16, tokens.Distinct().Count());
    }

    [Fact]
    public void Options_Invalid_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new MarkovSource(new MarkovSourceOptions { AlphabetSize = 1 }));
        Assert.Throws<ArgumentException>(() => new MarkovSource(new MarkovSourceOptions { SplitProbabilities = [1, 0.5] }));
        Assert.Throws<ArgumentException>(() => new MarkovSource(new MarkovSourceOptions { Smoothing = 0 }));
    }

    private static double BatchMeansStandardError(double[] values, int batches)
    {
        var size = values.Length / batches;
        var means = Enumerable.Range(0, batches).Select(b => values.AsSpan(b * size, size).ToArray().Average()).ToArray();
        var mean = means.Average();
        var variance = means.Sum(m => (m - mean) * (m - mean)) / (batches - 1);
        return Math.Sqrt(variance / batches);
    }
}
