using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Execution;

/// <summary>Where and how <see cref="SlurmExecutor"/> submits its workers.</summary>
public sealed record SlurmOptions
{
    /// <summary>sbatch --partition; null = the cluster's default partition.</summary>
    public string? Partition { get; init; }

    /// <summary>sbatch --time (Slurm's formats, e.g. "2:00:00"); null = the partition's default. A worker stopped by the
    /// limit leaves its run to be resumed from its checkpoint by the next submission.</summary>
    public string? TimeLimit { get; init; }

    /// <summary>sbatch --account; null = the user's default.</summary>
    public string? Account { get; init; }

    /// <summary>Folder for the batch script and one log per array task (STUDY-JOB_TASK.log). The nodes must see it,
    /// as they must see the checkpoint folder.</summary>
    public string LogDirectory { get; init; } = "slurm-logs";

    /// <summary>Folder holding sbatch, squeue and scancel; null = found on the PATH.</summary>
    public string? CommandDirectory { get; init; }

    /// <summary>How often the job and the registry are polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Runs a study on a Slurm cluster: one job array (sbatch) of <see cref="ExecutorOptions.Workers"/> tasks, each a
/// <c>scalelab worker</c> that claims, trains and checkpoints runs through the registry exactly as a local worker
/// does; Slurm schedules the tasks, nothing here queues work. This process shows the sweep's status from the
/// registry and watches the job (squeue). When every task has ended while runs remain (tasks killed, timed out or
/// failed), the runs the job's workers held go back to the queue and a new array is submitted; they resume from
/// their checkpoints. Cancelling (Ctrl+C) cancels the job (scancel) and frees its runs.
/// The registry must be reachable from every node: PostgreSQL on a cluster; SQLite only when all tasks run on
/// one node with the file on its local disk.
/// </summary>
public sealed class SlurmExecutor(WorkerLaunch launch, string registry, SlurmOptions slurm)
{
    /// <summary>Submissions allowed after the first before the sweep gives up (a job whose tasks fail at start-up
    /// every time would otherwise be resubmitted forever).</summary>
    public const int Resubmissions = 5;

    /// <summary>The job ids submitted so far, oldest first.</summary>
    public IReadOnlyList<string> Jobs => _jobs;

    private readonly List<string> _jobs = [];

    public SweepResult Run(IRunStore store, string study, ExecutorOptions options,
        Action<SweepStatus>? progress = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var monitor = new SweepMonitor(store, study);
        if (store.CountByStatus(study) is { Queued: 0, Running: 0 } counted)
        {
            // Nothing to train (a re-run of a finished sweep): no job.
            progress?.Invoke(monitor.Poll());
            return new SweepResult(study, counted, clock.Elapsed, []);
        }
        var resubmissionsLeft = Resubmissions;
        var job = Submit(study, options, log);
        var finished = false;
        var lastSummary = "";
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(monitor.Poll());
                var counts = store.CountByStatus(study);
                var states = TaskStates(job);
                var alive = states.Count > 0;
                var summary = string.Join(", ", states.GroupBy(x => x).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key.ToLowerInvariant()}"));
                if (alive && summary != lastSummary)
                {
                    // Tasks waiting for resources show here, where the run counts would only say "queued".
                    log?.Invoke($"slurm job {job}: {summary}");
                    lastSummary = summary;
                }
                if (counts.Queued + counts.Running == 0 && !alive)
                {
                    break;
                }
                if (!alive)
                {
                    var released = ReleaseRunsOf(store, study, job);
                    log?.Invoke($"slurm job {job} has ended with {counts.Queued + counts.Running} run(s) left ({released} taken back from its workers)");
                    if (--resubmissionsLeft < 0)
                    {
                        throw new InvalidOperationException(
                            $"slurm job {job} ended with runs left {Resubmissions + 1} times; giving up on study {study} (task logs in {Path.GetFullPath(slurm.LogDirectory)})");
                    }
                    job = Submit(study, options, log);
                    lastSummary = "";
                }
                Thread.Sleep(slurm.PollInterval);
            }
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // Cancelled or failed: stop the job and free the runs its workers held.
                Slurm("scancel", [job], check: false);
                ReleaseRunsOf(store, study, job);
            }
        }
        var final = monitor.Poll();
        progress?.Invoke(final);
        return new SweepResult(study, final.Counts, clock.Elapsed, []);
    }

    /// <summary>The batch script of one submission: a job array of Workers tasks, each exec'ing one worker whose id
    /// is HOST:PID:slurmJOB_TASK (the form <see cref="LocalWorkers"/> reads).</summary>
    public string BatchScript(string study, ExecutorOptions options)
    {
        var name = SafeName(study);
        var logs = Path.GetFullPath(slurm.LogDirectory);
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=scalelab-{name}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{options.Workers - 1}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={options.ThreadsPerWorker}\n");
        script.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={logs}/{name}-%A_%a.log\n");
        if (slurm.Partition is { Length: > 0 } partition) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={partition}\n");
        if (slurm.TimeLimit is { Length: > 0 } time) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={time}\n");
        if (slurm.Account is { Length: > 0 } account) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --account={account}\n");
        var arguments = LocalProcessExecutor.WorkerArguments(AbsoluteRegistry(registry), study, WorkerIdPlaceholder, options);
        var words = new List<string> { "exec", ShellQuote(launch.FileName) };
        words.AddRange(launch.Prefix.Select(ShellQuote));
        words.AddRange(arguments.Select(a => a == WorkerIdPlaceholder
            ? "\"$(hostname):$$:slurm${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""
            : ShellQuote(a)));
        script.Append(string.Join(' ', words)).Append('\n');
        return script.ToString();
    }

    private const string WorkerIdPlaceholder = "\u0000worker-id";

    private string Submit(string study, ExecutorOptions options, Action<string>? log)
    {
        Directory.CreateDirectory(slurm.LogDirectory);
        var path = Path.Combine(Path.GetFullPath(slurm.LogDirectory), $"{SafeName(study)}.sbatch");
        File.WriteAllText(path, BatchScript(study, options));
        var output = Slurm("sbatch", ["--parsable", path], check: true).Trim();
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        var job = output.Split(';')[0].Trim();
        if (job.Length == 0 || !job.All(char.IsAsciiDigit))
        {
            throw new InvalidOperationException($"sbatch printed no job id (got \"{output}\")");
        }
        _jobs.Add(job);
        log?.Invoke($"slurm job {job}: {options.Workers} worker task(s) x {options.ThreadsPerWorker} CPU(s); logs in {Path.GetFullPath(slurm.LogDirectory)}");
        return job;
    }

    /// <summary>The state of each of the job's tasks still known to Slurm (PENDING, RUNNING, ...); none once the job has ended.</summary>
    private List<string> TaskStates(string job) =>
        [.. Slurm("squeue", ["-h", "-j", job, "-o", "%T"], check: false)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Puts back in the queue the study's runs held by workers of <paramref name="job"/> (all of which have
    /// ended or are being cancelled).</summary>
    private static int ReleaseRunsOf(IRunStore store, string study, string job)
    {
        var tag = $":slurm{job}_";
        var released = 0;
        foreach (var worker in store.ListRuns(study)
                     .Where(r => r.Status == RunStatus.Running && r.Worker is not null && r.Worker.Contains(tag, StringComparison.Ordinal))
                     .Select(r => r.Worker!)
                     .Distinct())
        {
            released += store.ReleaseWorker(worker);
        }
        return released;
    }

    private string Slurm(string command, IReadOnlyList<string> arguments, bool check)
    {
        var file = slurm.CommandDirectory is { Length: > 0 } folder ? Path.Combine(folder, command) : command;
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{command} not found ({e.Message}); is Slurm installed on this machine?", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (check && process.ExitCode != 0)
            {
                var message = stderr.Result.Trim().Split('\n').FirstOrDefault(l => l.Length > 0) ?? $"exit code {process.ExitCode}";
                throw new InvalidOperationException($"{command} failed: {message}");
            }
            return stdout;
        }
    }

    /// <summary>A SQLite registry's path made absolute (the tasks may start in another folder); others unchanged.</summary>
    private static string AbsoluteRegistry(string registry)
    {
        var (backend, target) = RunStores.Parse(registry);
        return backend == "sqlite" ? "sqlite:" + Path.GetFullPath(target) : registry;
    }

    private static string SafeName(string study) =>
        new(study.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>One shell word: single-quoted, with each ' written as '\''.</summary>
    public static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
