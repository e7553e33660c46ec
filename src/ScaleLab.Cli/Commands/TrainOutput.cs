using System.Globalization;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.GradientNoise;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab train</c>'s human output (the JSON documents are <see cref="Lab.Training.TrainRunDocument"/>).</summary>
internal static class TrainOutput
{
    /// <summary>The summary of a standalone run: corpus, model, sizes, losses against the floors, FLOPs, speed.</summary>
    public static void WriteSummary(IAnsiConsole console, TrainSummary s, TrainOptions o)
    {
        var table = new Table().AddColumns("", "value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("corpus", s.Corpus);
        Row("model", Checkpoint.Describe(s.Model));
        Row("parameters (total / non-embedding)", Inv($"{s.Parameters:N0} / {s.NonEmbeddingParameters:N0}"));
        Row("steps / tokens", Inv($"{s.Steps:N0} / {s.Tokens:N0}"));
        Row("final train loss (last 20 steps)", Inv($"{s.FinalTrainLoss:F4} nats/token"));
        Row("final validation loss", Inv($"{s.FinalValidationLoss:F4} nats/token"));
        if (s.LossFloor is { } floor && s.EntropyRate is { } h)
        {
            Row("entropy rate / loss floor at T", Inv($"{h:F4} / {floor:F4} (gap {s.FinalValidationLoss - floor:F4})"));
        }
        if (s.ValidationFloor is { } vf)
        {
            Row("Bayes-optimal loss on these validation windows", Inv($"{vf:F4} (paired gap {s.FinalValidationLoss - vf:F4})"));
        }
        Row("FLOPs 6·N·D (non-embedding / total)", Inv($"{s.FlopsNonEmbedding:0.###e+0} / {s.FlopsTotal:0.###e+0}"));
        Row("wall time / tokens per second", Inv($"{s.WallSeconds:F1} s / {s.TokensPerSecond:N0} ({s.Threads} threads)"));
        if (o.CheckpointPath is not null)
        {
            Row("checkpoint", o.CheckpointPath);
        }
        console.Write(table);
    }

    /// <summary>B_simple at each step it was reported (<c>--gns</c>), in sequences and tokens.</summary>
    public static void WriteNoise(IAnsiConsole console, IEnumerable<GradientNoiseRecord> noise, int seqLen)
    {
        foreach (var r in noise)
        {
            console.MarkupLine(Inv($"step {r.Step}: B_simple {r.BSimple:G4} sequences ({r.BSimple * seqLen:G4} tokens)"));
        }
    }

    /// <summary>The one line of <c>train --registry</c>: the run, how it stands, its final loss and where its metrics are.</summary>
    public static void WriteRegistryRun(IAnsiConsole console, RunRecord run, string study, int stepsLogged) =>
        console.MarkupLine(Inv($"run [bold]{run.Key}[/] of study [bold]{Markup.Escape(study)}[/]: {run.Status.ToString().ToLowerInvariant()}, final loss {run.FinalLoss:F4} nats/token, {stepsLogged} steps logged (see [italic]scalelab runs --study {Markup.Escape(study)} --metrics[/])"));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
