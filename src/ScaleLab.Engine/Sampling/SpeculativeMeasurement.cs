namespace ScaleLab.Engine.Sampling;

/// <summary>What to measure: <paramref name="Tokens"/> generated after <paramref name="Prompt"/> by the target alone,
/// by the draft alone (for the cost ratio c) and speculatively with <paramref name="Gamma"/> draft tokens per round
/// (null: γ chosen by <see cref="AutoGammaChoice.Choose"/> from a pilot run's α̂, the measured c and the target's verify
/// cost v(γ) measured at a few γ), timed in <paramref name="Repeats"/> rounds, each running the three ways once in an
/// order that rotates by one per round; every figure is a median over the rounds.
/// With <paramref name="CpuTime"/> every time is the sampling thread's CPU time (<see cref="ThreadCpuClock"/>) instead
/// of wall-clock time: the figure to use on a machine busy with other work, said so wherever it is reported.</summary>
/// With <paramref name="WithinContext"/> the tokens are drawn as independent continuations of the prompt that each
/// fit in the context (seeds Seed, Seed+1, ...), so neither way pays for re-windowing (re-feeding half a context
/// every T/2 tokens, which the theory does not model); without it, as one continuous text, as a user would.
public sealed record SpeculativeMeasurementOptions(int[] Prompt, int Tokens, int? Gamma, SamplingOptions Sampling, ulong Seed, int Repeats = 3, bool CpuTime = false, bool WithinContext = false)
{
    /// <summary>Largest γ <c>--gamma auto</c> considers.</summary>
    public const int MaxAutoGamma = 16;

    /// <summary>Tokens of the pilot run that measures α̂ for <c>--gamma auto</c>, and the γ it drafts with.</summary>
    public const int PilotTokens = 256;
    public const int PilotGamma = 4;

    /// <summary>Target passes timed per repeat for each point of the verify-cost curve <c>--gamma auto</c> measures.</summary>
    public const int AutoVerifyPasses = 100;
}

/// <summary>
/// One measurement of speculative against plain target sampling, same process, same prompt and token count.
/// Timed as the benchmark times (<see cref="SpeculativeRounds"/>): in interleaved rounds, each figure the median over
/// rounds. <see cref="Speedup"/> is the median of the rounds' paired ratios (target time / speculative time of the same
/// round) and its range their least and largest. α̂ and tokens per pass come from the speculative run (one round's
/// counts: every round draws the same tokens). <see cref="TheoreticalSpeedup"/> is Leviathan et al.'s Theorem 3.8 at α̂
/// and c (c the median draft time over the median target time), with its range at α̂ ± 1 standard error and c over
/// <see cref="CostRatioLow"/>..<see cref="CostRatioHigh"/> (the rounds' paired ratios, a spread, not a standard error);
/// <see cref="SpeedupOverTheory"/> is measured over theory.
/// <see cref="MeasuredVerifyCost"/> (timed apart, the median repeat) and <see cref="VerifyPassCost"/> (implied by the speculative run's
/// time less its draft passes) are the target pass's cost in plain target tokens, which the theory takes as 1 and a
/// CPU does not (a block of γ+1 tokens does γ+1 times the arithmetic of one): the usual reason measured falls short.
/// <see cref="AutoChoice"/> (with <c>--gamma auto</c> only) says how γ was chosen and what the formula would have chosen.
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
    int Repeats,
    bool CpuTime,
    AutoGammaChoice? AutoChoice = null)
{
    /// <summary>Draft tokens accepted, of <see cref="Trials"/> put to the accept test (one repeat's counts).</summary>
    public long Accepted { get; init; }

    /// <summary>Draft tokens put to the accept test: α̂ = <see cref="Accepted"/> / Trials.</summary>
    public long Trials { get; init; }

    /// <summary>c: seconds per draft token over seconds per target token, both sampling alone.</summary>
    public double CostRatio => DraftSecondsPerToken / TargetSecondsPerToken;

    /// <summary>The least of c and the repeats' paired ratios (draft time / target time of the same repeat).</summary>
    public double CostRatioLow { get; init; } = double.NaN;

    /// <summary>The largest of c and the repeats' paired ratios.</summary>
    public double CostRatioHigh { get; init; } = double.NaN;

    /// <summary>The slowest repeat's verify pass, in target steps (<see cref="MeasuredVerifyCost"/> is the median's).</summary>
    public double MeasuredVerifyCostHigh { get; init; } = double.NaN;

    /// <summary>The fastest repeat's verify pass, in target steps.</summary>
    public double MeasuredVerifyCostLow { get; init; } = double.NaN;

    /// <summary>The theory at the measured verify cost, at its least: α̂ − 1 SE, the largest c, the slowest verify repeat.</summary>
    public double TheoreticalSpeedupAtMeasuredVerifyCostLow =>
        SpeculativeStatistics.ExpectedTokensPerPass(Math.Max(0, AcceptanceRate - AcceptanceStandardError), Gamma) / (Gamma * CostRatioHigh + MeasuredVerifyCostHigh);

    /// <summary>The theory at the measured verify cost, at its most: α̂ + 1 SE, the least c, the fastest verify repeat.</summary>
    public double TheoreticalSpeedupAtMeasuredVerifyCostHigh =>
        SpeculativeStatistics.ExpectedTokensPerPass(Math.Min(1, AcceptanceRate + AcceptanceStandardError), Gamma) / (Gamma * CostRatioLow + (double.IsNaN(MeasuredVerifyCostLow) ? MeasuredVerifyCost : MeasuredVerifyCostLow));

    /// <summary>Measured speedup over the theory (1 − α̂^(γ+1))/((1 − α̂)(γc + 1)): 1 where they agree.</summary>
    public double SpeedupOverTheory => Speedup / TheoreticalSpeedup;

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

        var segment = options.Tokens;
        if (options.WithinContext)
        {
            if (prompt.Length >= target.Config.SeqLen) throw new ArgumentException($"a prompt of {prompt.Length} tokens leaves no room in the context of {target.Config.SeqLen}");
            segment = target.Config.SeqLen - prompt.Length;
        }
        int[] Segments(Func<int, ulong, int[]> generate) => SpeculativeTiming.Segments(options.Tokens, segment, options.Seed, generate);
        SpeculativeTiming.CheckClock(options.CpuTime);
        double Time(Action work) => SpeculativeTiming.Time(options.CpuTime, clock, work);

        Action targetJob = () => Segments((n, seed) => plainTarget.Generate(prompt, n, sampling, new Rng(seed)));
        Action draftJob = () => Segments((n, seed) => plainDraft.Generate(prompt, n, sampling, new Rng(seed)));

        // Warm-up, not timed: the JIT compiles hot methods again at its optimising tier only after some 30 calls and a
        // background delay, so each way runs for at least a quarter second (and twice) before any timing. γ = auto
        // prices c in the fastest warm-up runs (the rounds come after the choice, since they time the chosen γ).
        var warmup = new SpeculativeSampler(targetModel, draftModel, Math.Min(SpeculativeMeasurementOptions.PilotGamma, target.Config.SeqLen - 1));
        var warm = new double[2];
        var warmJobs = new Action[] { targetJob, draftJob, () => Segments((n, seed) => warmup.Generate(prompt, n, new Rng(seed))) };
        for (var j = 0; j < warmJobs.Length; j++)
        {
            var fastest = SpeculativeTiming.WarmUp(Time, warmJobs[j]);
            if (j < 2) warm[j] = fastest;
        }

        double? pilotAlpha = null;
        AutoGammaChoice? autoChoice = null;
        int gamma;
        if (options.Gamma is int fixedGamma)
        {
            gamma = fixedGamma;
        }
        else
        {
            var pilot = new SpeculativeSampler(targetModel, draftModel, Math.Min(SpeculativeMeasurementOptions.PilotGamma, target.Config.SeqLen - 1));
            var pilotOutput = pilot.Generate(prompt, SpeculativeMeasurementOptions.PilotTokens, new Rng(options.Seed ^ 0x5EED));
            pilotAlpha = pilot.Statistics.AcceptanceRate;
            var maxGamma = Math.Min(SpeculativeMeasurementOptions.MaxAutoGamma, target.Config.SeqLen - 1);
            // v(γ) timed at 1, 2, 4, 8, ..., maxGamma and fitted by a least-squares line: the verify pass is what the
            // issue's formula prices at one step and a CPU does not (see TheoreticalSpeedupAtMeasuredVerifyCost).
            var grid = VerifyCostCurve.Grid(maxGamma);
            var perTargetToken = warm[0] / options.Tokens;
            var costs = grid.Select(g => VerifyCost(target, sampling, [.. prompt, .. pilotOutput], g, options.Repeats, perTargetToken, Time, SpeculativeMeasurementOptions.AutoVerifyPasses)).ToArray();
            autoChoice = AutoGammaChoice.Choose(pilotAlpha.Value, warm[1] / warm[0], new VerifyCostCurve(grid, costs), maxGamma);
            gamma = autoChoice.Gamma;
            log?.Invoke($"gamma auto: pilot α̂ = {pilotAlpha:F3} over {SpeculativeMeasurementOptions.PilotTokens} tokens; {autoChoice.Explain()}");
        }
        var sampler = new SpeculativeSampler(targetModel, draftModel, gamma);
        int[] output = [];
        Action specJob = () =>
        {
            // Every round draws the same tokens (same seed), so the counts are those of one round.
            sampler.ResetStatistics();
            output = Segments((n, seed) => sampler.Generate(prompt, n, new Rng(seed)));
        };
        specJob(); // once in full before timing

        // Rounds, as the benchmark times them: each round runs the three ways once, in an order that rotates by one
        // each round, and every figure is the median over rounds (load that changes between rounds cancels in the
        // paired ratios, and one disturbed round does not move a median).
        var targetTimes = new double[options.Repeats];
        var draftTimes = new double[options.Repeats];
        var specTimes = new double[options.Repeats];
        var times = new[] { targetTimes, draftTimes, specTimes };
        var jobs = new[] { targetJob, draftJob, specJob };
        for (var r = 0; r < options.Repeats; r++)
        {
            for (var step = 0; step < jobs.Length; step++)
            {
                var j = (step + r) % jobs.Length;
                times[j][r] = Time(jobs[j]);
            }
            log?.Invoke(FormattableString.Invariant($"repeat {r + 1}/{options.Repeats}: target {targetTimes[r]:F6} s, draft {draftTimes[r]:F6} s, speculative {specTimes[r]:F6} s for {options.Tokens} tokens"));
        }

        var stats = sampler.Statistics;
        double alpha = stats.AcceptanceRate, se = stats.AcceptanceStandardError;
        double perTarget = Median(targetTimes) / options.Tokens, perDraft = Median(draftTimes) / options.Tokens, perSpec = Median(specTimes) / options.Tokens;
        var c = perDraft / perTarget;
        var (verifyLow, measuredVerify, measuredVerifyHigh) = VerifyCostRange(target, sampling, [.. prompt, .. output], gamma, options.Repeats, perTarget, Time);
        var paired = targetTimes.Zip(specTimes, (t, s) => t / s).ToArray();
        // c's spread: the rounds' paired ratios, and c itself (a ratio of two medians need not lie among them)
        var pairedCost = draftTimes.Zip(targetTimes, (d, t) => d / t).Append(c).ToArray();
        double cLow = pairedCost.Min(), cHigh = pairedCost.Max();
        // the theory increases in α and decreases in c, so its range is at the corners (α̂ − SE, c high), (α̂ + SE, c low)
        var theory = SpeculativeStatistics.TheoreticalSpeedup(alpha, gamma, c);
        var theoryLow = SpeculativeStatistics.TheoreticalSpeedup(Math.Max(0, alpha - se), gamma, cHigh);
        var theoryHigh = SpeculativeStatistics.TheoreticalSpeedup(Math.Min(1, alpha + se), gamma, cLow);
        // Per round: γ draft passes plus one verify pass. What is left of the round's time after the draft passes,
        // in target steps, is the verify pass's cost (and the sampler's overhead).
        var secondsPerRound = Median(specTimes) / stats.Rounds;
        var verify = (secondsPerRound - gamma * perDraft) / perTarget;
        return new SpeculativeMeasurement(
            gamma, options.Gamma is null, options.Tokens, output, perTarget, perDraft, perSpec, alpha, se, stats.MeanOverlap,
            stats.TokensPerTargetPass, SpeculativeStatistics.ExpectedTokensPerPass(alpha, gamma),
            Median(paired), paired.Min(), paired.Max(), theory, Math.Min(theoryLow, theoryHigh), Math.Max(theoryLow, theoryHigh),
            verify, measuredVerify, pilotAlpha, options.Repeats, options.CpuTime, autoChoice)
        {
            Accepted = stats.Accepted,
            Trials = stats.Trials,
            CostRatioLow = cLow,
            CostRatioHigh = cHigh,
            MeasuredVerifyCostLow = verifyLow,
            MeasuredVerifyCostHigh = measuredVerifyHigh,
        };
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Seconds of one target pass over γ+1 tokens, distributions included (what a round pays), over
    /// <paramref name="secondsPerTargetToken"/> (what plain sampling pays per token, its sampling included): timed
    /// apart from any sampling run, at half the context (or the end of <paramref name="tokens"/>), 200 passes per
    /// repeat (or <paramref name="passes"/>), fastest repeat after one to warm up.</summary>
    private static double VerifyCost(Gpt target, SamplingOptions sampling, int[] tokens, int gamma, int repeats, double secondsPerTargetToken, Func<Action, double> time, int passes = 200) =>
        VerifyCostRange(target, sampling, tokens, gamma, repeats, secondsPerTargetToken, time, passes).Fastest;

    /// <summary><see cref="VerifyCost"/>: the fastest, the median and the slowest timed repeat's cost.</summary>
    private static (double Fastest, double Median, double Slowest) VerifyCostRange(Gpt target, SamplingOptions sampling, int[] tokens, int gamma, int repeats, double secondsPerTargetToken, Func<Action, double> time, int passes = 200)
    {
        var model = new GptNextTokenModel(target, sampling);
        var context = target.Config.SeqLen;
        var at = Math.Max(0, Math.Min(Math.Min(tokens.Length - 1, context / 2), context - gamma - 1));
        var block = tokens.AsSpan(Math.Max(0, tokens.Length - gamma - 1)).ToArray();
        if (block.Length < gamma + 1) block = [.. Enumerable.Repeat(tokens[0], gamma + 1 - block.Length), .. block];
        var distributions = new double[(gamma + 1) * model.Vocab];
        model.Feed(tokens.AsSpan(0, at), []);
        var timed = new double[repeats];
        for (var r = 0; r < repeats + 1; r++)
        {
            var f = time(() =>
            {
                for (var i = 0; i < passes; i++)
                {
                    model.Rollback(at);
                    model.Feed(block, distributions);
                }
            });
            if (r > 0) timed[r - 1] = f;
        }
        var unit = passes * secondsPerTargetToken;
        return (timed.Min() / unit, Median(timed) / unit, timed.Max() / unit);
    }
}
