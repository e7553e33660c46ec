namespace ScaleLab.Engine.Sampling;

/// <summary>What <see cref="SpeculativeRounds"/> measures: <paramref name="Tokens"/> tokens after <paramref name="Prompt"/>,
/// drawn as independent continuations that fit in the context (seeds Seed, Seed+1, ...; no re-windowing, which the
/// theory does not model), by the target alone, by the draft alone and speculatively at each of <paramref name="Gammas"/>
/// (plus γ = auto when <paramref name="Auto"/>), and the target's verify pass over γ+1 tokens
/// (<paramref name="VerifyPasses"/> passes per timing), all in each of <paramref name="Rounds"/> interleaved rounds.
/// With <paramref name="CpuTime"/> every time is the sampling thread's CPU time instead of the wall clock.</summary>
public sealed record SpeculativeRoundsOptions(
    int[] Prompt,
    int Tokens,
    IReadOnlyList<int> Gammas,
    bool Auto,
    SamplingOptions Sampling,
    ulong Seed,
    int Rounds = 7,
    int VerifyPasses = 50,
    bool CpuTime = false);

/// <summary>The rounds' summary: one row per γ measured (sorted), which of them γ = auto chose and why.</summary>
public sealed record SpeculativeRoundsResult(
    SpeculativeRoundTimes Times,
    IReadOnlyList<SpeculativeGammaSummary> Rows,
    int? AutoGamma,
    AutoGammaChoice? AutoChoice,
    IReadOnlyList<int> RequestedGammas,
    IReadOnlyList<int[]> Outputs)
{
    /// <summary>The row γ = auto chose (null without auto).</summary>
    public SpeculativeGammaSummary? AutoRow => AutoGamma is int g ? Rows.First(r => r.Gamma == g) : null;
}

/// <summary>
/// Speculative against plain target sampling, timed the way a shared machine allows: R rounds, and in every round
/// each job once: the target alone, the draft alone, the sampler at every γ, and the target's verify pass at every γ.
/// The jobs' order rotates by one each round, so no job always runs first (after a pause) or after a given other.
/// Each figure is then a ratio of times from the same round (<see cref="SpeculativeRoundSummary"/>) and reported as
/// its median over rounds with the least and largest round beside it: load that rises or falls between rounds
/// cancels, and one disturbed round does not move the median. γ = auto is chosen before the rounds from a pilot α̂,
/// c and a verify-cost line timed at 1, 2, 4, ... (<see cref="AutoGammaChoice"/>) and measured in the rounds like any γ.
/// </summary>
public static class SpeculativeRounds
{
    public static SpeculativeRoundsResult Run(Gpt target, Gpt draft, SpeculativeRoundsOptions options, TimeProvider? clock = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(options);
        clock ??= TimeProvider.System;
        var context = target.Config.SeqLen;
        var prompt = options.Prompt;
        if (options.Tokens < 1) throw new ArgumentException($"tokens must be at least 1, got {options.Tokens}");
        if (options.Rounds < 1) throw new ArgumentException($"rounds must be at least 1, got {options.Rounds}");
        if (options.VerifyPasses < 1) throw new ArgumentException($"verify passes must be at least 1, got {options.VerifyPasses}");
        if (prompt.Length == 0 || prompt.Length >= context) throw new ArgumentException($"the prompt needs 1..{context - 1} tokens (the context is {context}), got {prompt.Length}");
        if (options.Gammas.Count == 0 && !options.Auto) throw new ArgumentException("need at least one γ or auto");
        if (options.Gammas.Any(g => g < 1 || g >= context - prompt.Length)) throw new ArgumentException($"every γ must be in 1..{context - prompt.Length - 1} (what the context leaves after the prompt)");
        SpeculativeTiming.CheckClock(options.CpuTime);

        double Time(Action work) => SpeculativeTiming.Time(options.CpuTime, clock, work);
        var segment = context - prompt.Length;
        int[] Segments(Func<int, ulong, int[]> generate) => SpeculativeTiming.Segments(options.Tokens, segment, options.Seed, generate);

        var sampling = options.Sampling;
        var plainTarget = new TextGenerator(target);
        var plainDraft = new TextGenerator(draft);
        var targetModel = new GptNextTokenModel(target, sampling);
        var draftModel = new GptNextTokenModel(draft, sampling);
        var verifyModel = new GptNextTokenModel(target, sampling);
        Action targetJob = () => Segments((n, seed) => plainTarget.Generate(prompt, n, sampling, new Rng(seed)));
        Action draftJob = () => Segments((n, seed) => plainDraft.Generate(prompt, n, sampling, new Rng(seed)));

        // Warm-up, not timed: the JIT recompiles hot methods at its optimising tier only after some 30 calls and a
        // background delay, so each way runs at least a quarter second (and once in full) before any timing.
        var pilot = new SpeculativeSampler(targetModel, draftModel, Math.Min(SpeculativeMeasurementOptions.PilotGamma, segment - 1));
        var pilotOutput = Array.Empty<int>();
        var warm = new double[2];
        var warmJobs = new Action[] { targetJob, draftJob, () => pilotOutput = pilot.Generate(prompt, Math.Min(SpeculativeMeasurementOptions.PilotTokens, segment), new Rng(options.Seed ^ 0x5EED)) };
        for (var j = 0; j < warmJobs.Length; j++)
        {
            // At least twice, and γ = auto prices c and v in the fastest run: a first run is slowed by the JIT's
            // unoptimised code, and any run by other load (priced in one such run, the auto choice once saw v at about
            // half of what the rounds then measured, 4x512 target, 1,000 tokens, and took the largest γ).
            var fastest = SpeculativeTiming.WarmUp(Time, warmJobs[j]);
            if (j < 2) warm[j] = fastest;
        }
        int[] verifyPrefix = [.. prompt, .. pilotOutput];

        int? autoGamma = null;
        AutoGammaChoice? autoChoice = null;
        if (options.Auto)
        {
            // The choice's inputs, timed once before the rounds: pilot α̂ (γ = 4), c from the fastest warm-up runs, and v at
            // 1, 2, 4, ..., the largest γ the context allows up to 16 (best of 3 timings each).
            var maxGamma = Math.Min(SpeculativeMeasurementOptions.MaxAutoGamma, segment - 1);
            var grid = VerifyCostCurve.Grid(maxGamma);
            var perTarget = warm[0] / options.Tokens;
            var costs = grid.Select(g => Enumerable.Range(0, 3).Min(_ => VerifySeconds(verifyModel, verifyPrefix, g, options.VerifyPasses, Time)) / perTarget).ToArray();
            autoChoice = AutoGammaChoice.Choose(pilot.Statistics.AcceptanceRate, warm[1] / warm[0], new VerifyCostCurve(grid, costs), maxGamma);
            autoGamma = autoChoice.Gamma;
            log?.Invoke($"gamma auto: {autoChoice.Explain()}");
        }

        var gammas = options.Gammas.Concat(autoGamma is int a ? new[] { a } : Array.Empty<int>()).Distinct().Order().ToArray();
        var samplers = gammas.Select(g => new SpeculativeSampler(targetModel, draftModel, g)).ToArray();
        var outputs = new int[gammas.Length][];
        Action SpeculativeJob(int s) => () =>
        {
            samplers[s].ResetStatistics();
            outputs[s] = Segments((n, seed) => samplers[s].Generate(prompt, n, new Rng(seed)));
        };
        // The jobs of a round, each returning its seconds: target, draft, the sampler at each γ, the verify pass at each γ.
        var jobs = new List<Func<double>> { () => Time(targetJob), () => Time(draftJob) };
        for (var i = 0; i < gammas.Length; i++)
        {
            var work = SpeculativeJob(i);
            work(); // once in full before timing
            jobs.Add(() => Time(work));
        }
        for (var i = 0; i < gammas.Length; i++)
        {
            var g = gammas[i];
            jobs.Add(() => VerifySeconds(verifyModel, verifyPrefix, g, options.VerifyPasses, Time));
        }

        var times = jobs.Select(_ => new double[options.Rounds]).ToArray();
        for (var r = 0; r < options.Rounds; r++)
        {
            for (var step = 0; step < jobs.Count; step++)
            {
                var j = (step + r) % jobs.Count;
                times[j][r] = jobs[j]();
            }
            log?.Invoke(FormattableString.Invariant($"round {r + 1}/{options.Rounds}: target {times[0][r]:F3} s, draft {times[1][r]:F3} s, ") +
                string.Join(", ", gammas.Select((g, i) => FormattableString.Invariant($"γ={g} {times[2 + i][r]:F3} s"))) + $" for {options.Tokens} tokens");
        }
        var verifyIndex = 2 + gammas.Length;

        var roundTimes = new SpeculativeRoundTimes(options.Tokens, times[0], times[1], gammas,
            [.. Enumerable.Range(0, gammas.Length).Select(i => (IReadOnlyList<double>)times[2 + i])],
            [.. Enumerable.Range(0, gammas.Length).Select(i => (IReadOnlyList<double>)times[verifyIndex + i])]);
        var rows = SpeculativeRoundSummary.Summarise(roundTimes, [.. samplers.Select(s => SpeculativeCounts.From(s.Statistics))]);
        return new SpeculativeRoundsResult(roundTimes, rows, autoGamma, autoChoice, [.. options.Gammas], outputs);
    }

    /// <summary>Seconds per target pass over γ+1 tokens (their distributions included, as a round pays), averaged over
    /// <paramref name="passes"/> passes at the same place: after <paramref name="prefix"/> (cut to half the context),
    /// rolled back before each pass. The prefix is fed untimed.</summary>
    internal static double VerifySeconds(GptNextTokenModel model, int[] prefix, int gamma, int passes, Func<Action, double> time)
    {
        var context = model.Context;
        var at = Math.Max(1, Math.Min(Math.Min(prefix.Length - 1, context / 2), context - gamma - 1));
        var block = new int[gamma + 1];
        for (var i = 0; i < block.Length; i++) block[i] = prefix[Math.Min(prefix.Length - 1, at + i)];
        var distributions = new double[(gamma + 1) * model.Vocab];
        model.Reset();
        model.Feed(prefix.AsSpan(0, at), []);
        return time(() =>
        {
            for (var i = 0; i < passes; i++)
            {
                model.Rollback(at);
                model.Feed(block, distributions);
            }
        }) / passes;
    }
}
