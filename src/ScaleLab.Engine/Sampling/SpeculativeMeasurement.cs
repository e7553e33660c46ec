namespace ScaleLab.Engine.Sampling;

/// <summary>What to measure: <paramref name="Tokens"/> generated after <paramref name="Prompt"/> by the target alone,
/// by the draft alone (for the cost ratio c) and speculatively with <paramref name="Gamma"/> draft tokens per round
/// (null: γ chosen by <see cref="SpeculativeStatistics.OptimalGamma"/> from a pilot run's α̂ and the measured c), each
/// timed <paramref name="Repeats"/> times with the three interleaved; the fastest of each is kept.</summary>
public sealed record SpeculativeMeasurementOptions(int[] Prompt, int Tokens, int? Gamma, SamplingOptions Sampling, ulong Seed, int Repeats = 3)
{
    /// <summary>Largest γ <c>--gamma auto</c> considers.</summary>
    public const int MaxAutoGamma = 16;

    /// <summary>Tokens of the pilot run that measures α̂ for <c>--gamma auto</c>, and the γ it drafts with.</summary>
    public const int PilotTokens = 256;
    public const int PilotGamma = 4;
}

/// <summary>
/// One measurement of speculative against plain target sampling, same process, same prompt and token count.
/// Times are the fastest of the repeats (the least disturbed by other load on the machine); the speedup's range is
/// over the repeats paired in order. α̂ and tokens per pass come from the speculative run (one repeat's counts: every
/// repeat draws the same tokens). <see cref="TheoreticalSpeedup"/> is Leviathan et al.'s Theorem 3.8 at α̂ and c, with its range at
/// α̂ ± 1 standard error (the uncertainty of c, a ratio of two fastest-of-n times, is not propagated: say so).
/// <see cref="VerifyPassCost"/> is the target pass's measured cost in target steps, which the theory takes as 1 and
/// a CPU does not (a block of γ+1 tokens does more arithmetic than one): the usual reason measured falls short.
/// </summary>
public sealed record SpeculativeMeasurement(
    int Gamma,
    bool GammaAuto,
    int Tokens,
    int[] Output,
    double TargetSecondsPerToken,
    double DraftSecondsPerToken,
    double SpeculativeSecondsPerToken,
    double AcceptanceRate,
    double AcceptanceStandardError,
    double MeanOverlap,
    double TokensPerTargetPass,
    double ExpectedTokensPerTargetPass,
    double Speedup,
    double SpeedupLow,
    double SpeedupHigh,
    double TheoreticalSpeedup,
    double TheoreticalSpeedupLow,
    double TheoreticalSpeedupHigh,
    double VerifyPassCost,
    double MeasuredVerifyCost,
    double? PilotAcceptanceRate,
    int Repeats)
{
    /// <summary>c: seconds per draft token over seconds per target token, both sampling alone.</summary>
    public double CostRatio => DraftSecondsPerToken / TargetSecondsPerToken;

    /// <summary>Measured speedup over theory, minus 1 (negative: slower than the theory says).</summary>
    public double RelativeGap => Speedup / TheoreticalSpeedup - 1;

    /// <summary>The theory with the target pass costed as measured on its own (<see cref="MeasuredVerifyCost"/> target
    /// steps instead of 1): E(α̂, γ) / (γc + v). Leviathan et al.'s Theorem 3.8 takes v = 1, true where a step is
    /// bound by reading the weights (an accelerator at small batch), not where it is bound by arithmetic (a CPU on a
    /// small model), where v grows with γ.</summary>
    public double TheoreticalSpeedupAtMeasuredVerifyCost => ExpectedTokensPerTargetPass / (Gamma * CostRatio + MeasuredVerifyCost);

    /// <summary>Times the target and draft with <see cref="TextGenerator"/> and the pair with <see cref="SpeculativeSampler"/>,
    /// on the models' current weights (one thread each unless the models were built with more).</summary>
    public static SpeculativeMeasurement Run(Gpt target, Gpt draft, SpeculativeMeasurementOptions options, TimeProvider? clock = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(options);
        clock ??= TimeProvider.System;
        if (options.Tokens < 1) throw new ArgumentException($"tokens must be at least 1, got {options.Tokens}");
        if (options.Repeats < 1) throw new ArgumentException($"repeats must be at least 1, got {options.Repeats}");
        var sampling = options.Sampling;
        var plainTarget = new TextGenerator(target);
        var plainDraft = new TextGenerator(draft);
        var targetModel = new GptNextTokenModel(target, sampling);
        var draftModel = new GptNextTokenModel(draft, sampling);
        var prompt = options.Prompt;

        double Time(Action work)
        {
            var start = clock.GetTimestamp();
            work();
            return clock.GetElapsedTime(start).TotalSeconds;
        }

        // Warm-up, not timed: the JIT compiles hot methods again at its optimising tier only after some 30 calls and a
        // background delay, so each way runs for at least a quarter second (and once in full) before any timing.
        var warmup = new SpeculativeSampler(targetModel, draftModel, Math.Min(SpeculativeMeasurementOptions.PilotGamma, target.Config.SeqLen - 1));
        foreach (var work in new Action[]
        {
            () => plainTarget.Generate(prompt, options.Tokens, sampling, new Rng(options.Seed)),
            () => plainDraft.Generate(prompt, options.Tokens, sampling, new Rng(options.Seed)),
            () => warmup.Generate(prompt, options.Tokens, new Rng(options.Seed)),
        })
        {
            var spent = 0.0;
            do
            {
                spent += Time(work);
            }
            while (spent < 0.25);
        }

        var targetTimes = new double[options.Repeats];
        var draftTimes = new double[options.Repeats];
        var specTimes = new double[options.Repeats];
        for (var r = 0; r < options.Repeats; r++)
        {
            targetTimes[r] = Time(() => plainTarget.Generate(prompt, options.Tokens, sampling, new Rng(options.Seed)));
            draftTimes[r] = Time(() => plainDraft.Generate(prompt, options.Tokens, sampling, new Rng(options.Seed)));
        }
        var c = draftTimes.Min() / targetTimes.Min();

        double? pilotAlpha = null;
        int gamma;
        if (options.Gamma is int fixedGamma)
        {
            gamma = fixedGamma;
        }
        else
        {
            var pilot = new SpeculativeSampler(targetModel, draftModel, Math.Min(SpeculativeMeasurementOptions.PilotGamma, target.Config.SeqLen - 1));
            pilot.Generate(prompt, SpeculativeMeasurementOptions.PilotTokens, new Rng(options.Seed ^ 0x5EED));
            pilotAlpha = pilot.Statistics.AcceptanceRate;
            gamma = SpeculativeStatistics.OptimalGamma(pilotAlpha.Value, c, Math.Min(SpeculativeMeasurementOptions.MaxAutoGamma, target.Config.SeqLen - 1));
            log?.Invoke($"gamma auto: pilot α̂ = {pilotAlpha:F3} over {SpeculativeMeasurementOptions.PilotTokens} tokens, c = {c:F3} -> γ = {gamma}");
        }
        var sampler = new SpeculativeSampler(targetModel, draftModel, gamma);
        int[] output = [];
        for (var r = 0; r < options.Repeats; r++)
        {
            // Every repeat draws the same tokens (same seed), so the counts are those of one repeat.
            sampler.ResetStatistics();
            specTimes[r] = Time(() => output = sampler.Generate(prompt, options.Tokens, new Rng(options.Seed)));
            log?.Invoke($"repeat {r + 1}/{options.Repeats}: target {targetTimes[r]:F3} s, draft {draftTimes[r]:F3} s, speculative {specTimes[r]:F3} s for {options.Tokens} tokens");
        }

        var measuredVerify = VerifyCost(target, [.. prompt, .. output], gamma, options.Repeats, Time);
        var stats = sampler.Statistics;
        double alpha = stats.AcceptanceRate, se = stats.AcceptanceStandardError;
        double perTarget = targetTimes.Min() / options.Tokens, perDraft = draftTimes.Min() / options.Tokens, perSpec = specTimes.Min() / options.Tokens;
        var paired = targetTimes.Zip(specTimes, (t, s) => t / s).ToArray();
        var theory = SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, c);
        var theoryLow = SpeculativeStatistics.TheoreticalSpeedup(Math.Max(0, alpha - se), gamma, c);
        var theoryHigh = SpeculativeStatistics.TheoreticalSpeedup(Math.Min(1, alpha + se), gamma, c);
        // Per round: γ draft passes plus one verify pass. What is left of the round's time after the draft passes,
        // in target steps, is the verify pass's cost (and the sampler's overhead).
        var secondsPerRound = specTimes.Min() / stats.Rounds;
        var verify = (secondsPerRound - gamma * perDraft) / perTarget;
        return new SpeculativeMeasurement(
            gamma, options.Gamma is null, options.Tokens, output, perTarget, perDraft, perSpec, alpha, se, stats.MeanOverlap,
            stats.TokensPerTargetPass, SpeculativeStatistics.ExpectedTokensPerPass(alpha, gamma),
            perTarget / perSpec, paired.Min(), paired.Max(), theory, Math.Min(theoryLow, theoryHigh), Math.Max(theoryLow, theoryHigh),
            verify, measuredVerify, pilotAlpha, options.Repeats);
    }

    /// <summary>Seconds of one target pass over γ+1 tokens over seconds of one target step, timed apart from sampling:
    /// both at half the context (or the end of <paramref name="tokens"/>), 200 of each per repeat, fastest repeat.</summary>
    private static double VerifyCost(Gpt target, int[] tokens, int gamma, int repeats, Func<Action, double> time)
    {
        var decoder = new KvCacheDecoder(target);
        var context = target.Config.SeqLen;
        var at = Math.Min(tokens.Length - 1, context / 2);
        at = Math.Min(at, context - gamma - 1);
        var block = tokens.AsSpan(Math.Max(0, tokens.Length - gamma - 1)).ToArray();
        if (block.Length < gamma + 1) block = [.. Enumerable.Repeat(tokens[0], gamma + 1 - block.Length), .. block];
        decoder.Feed(tokens.AsSpan(0, Math.Max(at, 0)));
        var start = decoder.Position;
        const int passes = 200;
        double step = double.PositiveInfinity, feed = double.PositiveInfinity;
        for (var r = 0; r < repeats + 1; r++) // the first round warms both paths up
        {
            var s = time(() =>
            {
                for (var i = 0; i < passes; i++)
                {
                    decoder.Rollback(start);
                    decoder.Step(block[0]);
                }
            });
            var f = time(() =>
            {
                for (var i = 0; i < passes; i++)
                {
                    decoder.Rollback(start);
                    decoder.Feed(block);
                }
            });
            if (r > 0)
            {
                step = Math.Min(step, s);
                feed = Math.Min(feed, f);
            }
        }
        return feed / step;
    }
}
