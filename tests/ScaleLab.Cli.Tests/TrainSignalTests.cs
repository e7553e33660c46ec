using System.Diagnostics;
using ScaleLab.Cli;
using ScaleLab.Engine.Training;

namespace ScaleLab.Cli.Tests;

/// <summary>SIGINT (Ctrl+C) or SIGTERM during <c>train --checkpoint F</c> writes the checkpoint and exits with one line.</summary>
public sealed class TrainSignalTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-signal-");

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData("INT", "SIGINT")]
    [InlineData("TERM", "SIGTERM")]
    public async Task Train_SignalMidRun_WritesCheckpointAndExitsWithOneLine(string signal, string name)
    {
        // Given: a long run with no periodic checkpoint, evaluated every 20 steps (a line on stderr each time).
        var checkpoint = Path.Combine(_dir.FullName, "run.ckpt");
        using var process = Process.Start(WithDefaultSigint(CliProcess.StartInfo(["train", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16",
            "--batch", "4", "--eval-sequences", "4", "--eval-interval", "20", "--steps", "1000000", "--checkpoint", checkpoint])))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        try
        {
            // When: the signal arrives after the first evaluation.
            string? line;
            while ((line = process.StandardError.ReadLine()) is not null && !line.StartsWith("eval step", StringComparison.Ordinal))
            {
                lines.Add(line);
            }
            Assert.NotNull(line);
            Assert.False(File.Exists(checkpoint));
            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
            }
            var rest = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "train did not stop within 30 s of the signal");
            lines = [.. (await rest).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("eval step", StringComparison.Ordinal) && !l.StartsWith("step ", StringComparison.Ordinal))];
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        // Then: exit 1 (a run stopped before its end), one error line naming the signal and the checkpoint, and a
        // valid checkpoint from after the first evaluation that `train --resume` accepts.
        Assert.Equal(CliApp.ExitFailure, process.ExitCode);
        var error = Assert.Single(lines);
        Assert.StartsWith($"error: stopped by {name} at step ", error);
        Assert.Contains("--resume " + checkpoint, error);
        var saved = Checkpoint.Load(checkpoint);
        Assert.InRange(saved.Step, 20, 999_999);
        Assert.Equal("", await stdout);
        var resumed = FitCli.Run("train", "--resume", checkpoint, "--steps", (saved.Step + 3).ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.True(resumed.Code == CliApp.ExitOk, resumed.Err);
    }

    /// <summary>
    /// The same command started through coreutils' <c>env --default-signal=INT</c> (it then execs, keeping the PID). A test
    /// run launched as a shell's background job inherits SIGINT ignored (shells ignore it for background jobs, so that
    /// Ctrl+C reaches only the foreground), and the runtime keeps an inherited SIG_IGN: the SIGINT case would then wait
    /// for a signal that never arrives. Seen when the suite ran under nohup … &amp;.
    /// </summary>
    private static ProcessStartInfo WithDefaultSigint(ProcessStartInfo command)
    {
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = command.RedirectStandardOutput,
            RedirectStandardError = command.RedirectStandardError,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add(command.FileName);
        foreach (var arg in command.ArgumentList)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in command.Environment)
        {
            info.Environment[name] = value;
        }
        return info;
    }
}
