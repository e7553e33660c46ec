using ScaleLab.Engine.Sampling;

namespace ScaleLab.Engine.Tests.Sampling;

/// <summary>
/// <see cref="SpeculativeSampler"/> on real GPTs through the KV cache (<see cref="GptNextTokenModel"/>). The models are
/// small and random-initialised, not trained (exactness needs two distributions, not good ones): the target is a
/// 2-layer, width-32 GPT with its weights scaled up so its distributions are far from uniform; the drafts are (a) the
/// target with Gaussian noise added to every weight, which agrees with it often but not always, and (b) an
/// unrelated 1-layer, width-16 GPT, which rarely agrees — so both the accept and the residual paths run.
/// </summary>
public sealed class SpeculativeGptTests : IDisposable
{
    private const int Vocab = 48;
    private const int Context = 64;
    private readonly Gpt _target;
    private readonly Gpt _nearDraft;
    private readonly Gpt _farDraft;

    public SpeculativeGptTests()
    {
        _target = new Gpt(new GptConfig(2, 32, 4, Context, Vocab), maxBatch: 1);
        _target.InitWeights(new Rng(11));
        for (var i = 0; i < _target.Parameters.Length; i++) _target.Parameters[i] *= 4;
        _nearDraft = new Gpt(_target.Config, maxBatch: 1);
        var noise = new Rng(12);
        for (var i = 0; i < _target.Parameters.Length; i++)
        {
            _nearDraft.Parameters[i] = _target.Parameters[i] + 0.05f * (float)noise.NextGaussian();
        }
        _farDraft = new Gpt(new GptConfig(1, 16, 2, Context, Vocab), maxBatch: 1);
        _farDraft.InitWeights(new Rng(13));
        for (var i = 0; i < _farDraft.Parameters.Length; i++) _farDraft.Parameters[i] *= 4;
    }

    public void Dispose()
    {
        _target.Dispose();
        _nearDraft.Dispose();
        _farDraft.Dispose();
    }

    private Gpt Draft(bool near) => near ? _nearDraft : _farDraft;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Generate_Greedy_IdenticalToTargetGreedyOverAThousandPrompts(bool near)
    {
        // Given 1,000 random prompts of 1..8 tokens, γ cycling through 1..5, 20 tokens each (inside the context)
        var greedy = new SamplingOptions(Temperature: 0);
        var plain = new TextGenerator(_target);
        var samplers = Enumerable.Range(1, 5).Select(g => new SpeculativeSampler(new GptNextTokenModel(_target, greedy), new GptNextTokenModel(Draft(near), greedy), g)).ToArray();
        var rng = new Rng(21);
        var mismatches = new List<string>();

        // When
        for (var n = 0; n < 1000; n++)
        {
            var prompt = Enumerable.Range(0, 1 + rng.NextInt(8)).Select(_ => rng.NextInt(Vocab)).ToArray();
            var expected = plain.Generate(prompt, 20, greedy, new Rng(1));
            var actual = samplers[n % 5].Generate(prompt, 20, new Rng((ulong)n));
            if (!expected.SequenceEqual(actual)) mismatches.Add($"prompt {n} [{string.Join(' ', prompt)}]: {string.Join(' ', expected)} vs {string.Join(' ', actual)}");
        }

        // Then every output is the target's, token for token; and drafts were both kept and rejected
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of 1000 differ; first: {mismatches.FirstOrDefault()}");
        var trials = samplers.Sum(s => s.Statistics.Trials);
        var alpha = (double)samplers.Sum(s => s.Statistics.Accepted) / trials;
        Assert.InRange(alpha, 0.02, 0.98);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void Generate_GreedyPastTheContext_IdenticalToTargetGreedyWithItsSlidingWindow(int gamma)
    {
        // Given a 12-position target and a perturbed copy as draft, prompts longer and shorter than the context, and
        // outputs of 60 tokens: TextGenerator re-windows every 6 tokens, and so must the speculative sampler
        var config = new GptConfig(2, 24, 3, 12, Vocab);
        using var target = new Gpt(config, maxBatch: 1);
        target.InitWeights(new Rng(41));
        for (var i = 0; i < target.Parameters.Length; i++) target.Parameters[i] *= 4;
        using var draft = new Gpt(config, maxBatch: 1);
        var noise = new Rng(42);
        for (var i = 0; i < draft.Parameters.Length; i++) draft.Parameters[i] = target.Parameters[i] + 0.05f * (float)noise.NextGaussian();
        var greedy = new SamplingOptions(Temperature: 0);
        var sampler = new SpeculativeSampler(new GptNextTokenModel(target, greedy), new GptNextTokenModel(draft, greedy), gamma);
        var plain = new TextGenerator(target);
        var rng = new Rng(43);

        for (var n = 0; n < 100; n++)
        {
            var prompt = Enumerable.Range(0, 1 + rng.NextInt(20)).Select(_ => rng.NextInt(Vocab)).ToArray();

            // When
            var expected = plain.Generate(prompt, 60, greedy, new Rng(1));
            var actual = sampler.Generate(prompt, 60, new Rng((ulong)n));

            // Then
            Assert.True(expected.SequenceEqual(actual), $"prompt {n} of length {prompt.Length}: {string.Join(' ', expected)} vs {string.Join(' ', actual)}");
        }
        Assert.InRange(sampler.Statistics.AcceptanceRate, 0.02, 0.98);
    }

    /// <summary>p(a)·p(b | a) after <paramref name="prompt"/> under the target's tempered, truncated distribution,
    /// from one KV-cache step per candidate a.</summary>
    private double[] ExactFirstPair(int[] prompt, SamplingOptions options)
    {
        var model = new GptNextTokenModel(_target, options);
        var first = new double[Vocab];
        model.Feed(prompt.AsSpan(0, prompt.Length - 1), []);
        model.Feed(prompt.AsSpan(prompt.Length - 1), first);
        var joint = new double[Vocab * Vocab];
        var second = new double[Vocab];
        for (var a = 0; a < Vocab; a++)
        {
            if (first[a] == 0) continue;
            model.Rollback(prompt.Length);
            model.Feed([a], second);
            for (var b = 0; b < Vocab; b++) joint[a * Vocab + b] = first[a] * second[b];
        }
        return joint;
    }

    private long[] SampledFirstPairs(int[] prompt, SamplingOptions options, bool near, int gamma, SpeculativeVariant variant, int samples, out double alpha)
    {
        var sampler = new SpeculativeSampler(new GptNextTokenModel(_target, options), new GptNextTokenModel(Draft(near), options), gamma, variant);
        var rng = new Rng(31);
        var counts = new long[Vocab * Vocab];
        for (var s = 0; s < samples; s++)
        {
            var t = sampler.Generate(prompt, 2, rng);
            counts[t[0] * Vocab + t[1]]++;
        }
        alpha = sampler.Statistics.AcceptanceRate;
        return counts;
    }

    [Theory]
    [InlineData(true, 1.0, 0, 3)]
    [InlineData(true, 0.7, 10, 2)]
    [InlineData(false, 1.3, 0, 4)]
    public void Generate_Sampling_FirstTwoTokensDistributedAsPlainTargetSampling(bool near, double temperature, int topK, int gamma)
    {
        // Given a fixed prompt and the exact joint distribution of the first two tokens under the target alone
        int[] prompt = [5, 17, 3, 40];
        var options = new SamplingOptions(temperature, topK);
        var exact = ExactFirstPair(prompt, options);

        // When 20,000 pairs are drawn speculatively
        var counts = SampledFirstPairs(prompt, options, near, gamma, SpeculativeVariant.Exact, 20_000, out var alpha);

        // Then the χ² test of the joint does not reject (a fixed seed: p > 10^-3), and the pair exercised rejections
        var p = GoodnessOfFit.ChiSquarePValue(counts, exact);
        Assert.True(p > 1e-3, $"χ² p = {p:G3} (α̂ = {alpha:F3})");
        Assert.InRange(alpha, 0.05, 0.95);
    }

    [Theory]
    [InlineData(WrongSampler.AlwaysAccept)]
    [InlineData(WrongSampler.ResampleFromTarget)]
    public void Generate_WrongSamplerOnGpts_RejectedByTheSameTest(WrongSampler wrong)
    {
        // Given the near draft (often but not always accepted), where both wrong samplers are far from exact
        int[] prompt = [5, 17, 3, 40];
        var options = new SamplingOptions(1.0, 0);
        var exact = ExactFirstPair(prompt, options);
        var variant = wrong == WrongSampler.AlwaysAccept ? SpeculativeVariant.AlwaysAccept : SpeculativeVariant.ResampleFromTarget;

        // When
        var counts = SampledFirstPairs(prompt, options, near: true, gamma: 3, variant, 20_000, out _);

        // Then
        var p = GoodnessOfFit.ChiSquarePValue(counts, exact);
        Assert.True(p < 1e-6, $"{wrong}: χ² p = {p:G3}");
    }
}
