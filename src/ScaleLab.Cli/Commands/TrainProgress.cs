using System.Globalization;
using ScaleLab.Engine.Training;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// Progress on stderr: a Spectre bar when stderr is a terminal, otherwise one plain line every ~5% of
/// the run and one per evaluation (logs stay short and greppable).
/// </summary>
internal sealed class TrainProgress : IDisposable
{
    private readonly long _total;
    private readonly long _every;
    private readonly Stderr _log;
    private readonly IAnsiConsole _stderr;
    private readonly Task? _display;
    private readonly TaskCompletionSource _done = new();
    private ProgressTask? _task;
    private double _lastVal = double.NaN;

    public TrainProgress(Stderr stderr, long total, long start)
    {
        _log = stderr;
        _stderr = stderr.AsConsole();
        _total = total;
        _every = Math.Max(1, total / 20);
        if (_stderr.Profile.Capabilities.Interactive)
        {
            var ready = new TaskCompletionSource();
            _display = _stderr.Progress().AutoClear(true).HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    _task = ctx.AddTask("training", maxValue: total);
                    _task.Value = start;
                    ready.SetResult();
                    await _done.Task;
                    ctx.Refresh();
                });
            ready.Task.Wait();
        }
    }

    public void OnStep(StepMetrics m)
    {
        if (_task is not null)
        {
            _task.Value = m.Step;
            _task.Description = Markup.Escape(Inv($"step {m.Step}/{_total} loss {m.Loss:F3} val {_lastVal:F3} {m.TokensPerSecond:N0} tok/s"));
            return;
        }
        if (m.Step % _every == 0 || m.Step == _total)
        {
            _log.WriteLine(Inv($"step {m.Step}/{_total} loss {m.Loss:F4} lr {m.LearningRate:0.###e+0} |g| {m.GradNorm:F3} {m.TokensPerSecond:N0} tok/s"));
        }
    }

    public void OnEval(EvalMetrics e)
    {
        _lastVal = e.ValidationLoss;
        if (_task is null)
        {
            _log.WriteLine(Inv($"eval step {e.Step}: validation loss {e.ValidationLoss:F4}"));
        }
    }

    public void Dispose()
    {
        _done.TrySetResult();
        _display?.Wait();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
