using ScaleLab.Lab.Analysis;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Laws;
using ScaleLab.Report.Study;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// Shared by `demo` and `verify`: plans the compute-optimal run for a budget from a study's L(N,D) fit, trains it
/// (a run in study S.verify of the same registry, resumable like any other), and adds predicted against observed
/// loss to the analysis.
/// </summary>
internal static class ForecastCheck
{
    /// <summary>
    /// The learning rate of a verification run when the caller gives no rule: the best rate of the study's
    /// largest-compute configuration, scaled by √(its width / the new width) (the width rule of the demo's spec).
    /// </summary>
    public static Func<ModelShape, double> RateFromStudy(RunSpec template) =>
        shape => template.LearningRate * Math.Sqrt((double)template.DModel / shape.DModel);

    /// <summary>The study's best run at its largest compute, whose settings a verification run copies.</summary>
    public static RunSpec Template(IRunStore store, StudyAnalysisResult analysis)
    {
        var top = analysis.Points.MaxBy(p => p.C) ?? throw new UsageException("the study has no finished runs to copy settings from");
        var record = store.GetRun(top.Best.RunKeys[0]) ?? throw new UsageException($"run {top.Best.RunKeys[0]} is missing from {store.Location}");
        return RunSpec.FromRecord(record);
    }

    public static StudyAnalysisResult Run(Func<IRunStore> openStore, IRunStore store, StudyAnalysisResult analysis, double compute,
        Func<ModelShape, double>? rate, int threads, string checkpointDirectory, StudyAnalysisOptions options, Action<string> log,
        CancellationToken cancellationToken, bool allowUnidentified = false)
    {
        if (analysis.Chinchilla is not { } fit)
        {
            throw new UsageException("no L(N,D) fit to plan from (see the report's notes)");
        }
        if (!(compute > analysis.LargestCompute * (1 + StudyPoints.BudgetTolerance)))
        {
            // A forecast within the study's own compute range is an interpolation: it cannot score the extrapolation a
            // verification exists to check, and the back-test that scores it needs the run beyond every fitted one.
            throw new UsageException($"--compute {Estimate.Format(compute)} is not beyond the study's largest run ({Estimate.Format(analysis.LargestCompute)} FLOP); "
                + "a verification run checks an extrapolation: give a larger budget (or --multiple K, K > 1)");
        }
        // The planned size: the L(N,D) plan where its parameters are identified, else Approach 2's N_opt line through
        // the isoFLOP minima (which needs no law parameters); with neither, no run is planned.
        var plan = ComputePlanner.Plan(fit, compute);
        double plannedN;
        string basis;
        if (plan.Status != PlanStatus.Unidentified)
        {
            plannedN = plan.N;
            basis = $"N* from the L(N,D) plan ({plan.Label})";
        }
        else if (analysis.IsoFlop is { } iso && IsoFlopPlan.From(iso, compute) is { } isoPlan)
        {
            plannedN = isoPlan.N;
            basis = $"N* from Approach 2, {Estimate.Format(isoPlan.N)} [{Estimate.Format(isoPlan.Lo)}, {Estimate.Format(isoPlan.Hi)}], as the L(N,D) plan is not identified";
            log($"verify: the L(N,D) plan is not identified ({plan.Label}); the run's size comes from Approach 2: N* = {Estimate.Format(isoPlan.N)} [{Estimate.Format(isoPlan.Lo)}, {Estimate.Format(isoPlan.Hi)}]");
        }
        else if (allowUnidentified)
        {
            plannedN = plan.N;
            basis = $"N* from an L(N,D) plan that is NOT identified (forced: {plan.Label})";
            log($"verify: the plan is not identified ({plan.Label}); training it anyway, labelled");
        }
        else
        {
            log($"verify: no verification run: the plan at C = {Estimate.Format(compute)} rests on a parameter these runs do not identify ({plan.Label}) and there is no isoFLOP design to plan from");
            return analysis;
        }
        var template = Template(store, analysis);
        var verification = VerificationRun.Plan(template, plannedN, compute, rate ?? RateFromStudy(template));
        var run = verification.Run;
        store.CreateStudy(run.Study, $"verification runs of study {template.Study}");
        store.Enqueue(run.Study, [run.ToNewRun()]);
        log($"verify: training the planned model L{run.Layers} C{run.DModel} H{run.Heads} (N = {NumberStyle.Format(verification.N)} for N* = {Estimate.Format(plannedN)}), "
            + $"D = {NumberStyle.Format(run.Tokens)} tokens, C = {Estimate.Format(6.0 * verification.N * run.Tokens)} FLOP, lr {NumberStyle.Format(run.LearningRate, 4)}, {threads} thread(s)");
        InProcessExecutor.Run(openStore, run.Study, new ExecutorOptions
        {
            Workers = 1,
            ThreadsPerWorker = threads,
            CheckpointDirectory = checkpointDirectory,
            CheckpointInterval = 200,
        }, progress: null, log, cancellationToken);
        var record = store.GetRun(run.Key);
        if (record is not { Status: RunStatus.Done, FinalLoss: { } observed })
        {
            throw new InvalidOperationException($"verification run {run.Key} did not finish ({record?.Status}; {record?.Error})");
        }
        return StudyAnalysis.WithVerification(analysis, run.Key, $"L{run.Layers} C{run.DModel} H{run.Heads}", verification.N, run.Tokens, observed, options, basis);
    }
}
