namespace ScaleLab.Cli.Tests;

/// <summary>
/// A study verb (<c>gns</c>, <c>critical-batch</c>) trained by worker processes: the flags for <c>--executor local</c> or
/// <c>--executor slurm</c> on the fake Slurm of <see cref="SlurmSweepTests.FakeSlurm"/> (sbatch runs the array's tasks as
/// local processes), and the mark such a worker leaves in a run's worker field.
/// </summary>
internal static class WorkerExecutors
{
    /// <summary>--executor <paramref name="executor"/>, with --slurm-bin the fake Slurm under <paramref name="directory"/> for slurm.</summary>
    public static string[] Flags(string executor, string directory) =>
        executor == "slurm" ? ["--executor", executor, "--slurm-bin", SlurmSweepTests.FakeSlurm(directory)] : ["--executor", executor];

    /// <summary>What a worker of <paramref name="executor"/> writes in the worker field: task 0 of the fake Slurm's job 101,
    /// or local worker w0, w1, ... (a thread of the calling process writes ":t").</summary>
    public static string WorkerMark(string executor) => executor == "slurm" ? ":slurm101_" : ":w";
}
