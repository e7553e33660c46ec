using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Inference;
using ScaleLab.Engine.Training;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab eval --checkpoint F --corpus TEXT</c>: loss of a trained model on any text, without training —
/// nats per token, bits per byte, loss per position and (with <c>--logits K</c>) the raw logits of the first K
/// positions. The work is <see cref="TextEvaluator"/>; this class reads flags and writes output.
/// </summary>
[Verb("eval", "Loss of a checkpoint on any text: nats per token, bits per byte, loss per position, optional logits",
    Examples = ["eval --checkpoint shakespeare.ckpt --corpus held-out.txt", "eval --checkpoint run.ckpt --text hello --logits 2 --json"])]
public sealed class EvalCommand(IAnsiConsole console) : Command<EvalCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("Checkpoint written by scalelab train")]
        public string? Checkpoint { get; set; }

        [CommandOption("--corpus <FILE>")]
        [Description("Text file to evaluate on (read as bytes, the model's tokens)")]
        public string? Corpus { get; set; }

        [CommandOption("--text <TEXT>")]
        [Description("Evaluate on this text instead of a file")]
        public string? Text { get; set; }

        [CommandOption("--max-tokens <N>")]
        [Description("Evaluate only the first N tokens (default: all)")]
        public int? MaxTokens { get; set; }

        [CommandOption("--logits <K>")]
        [Description("Also report the raw logits of the first K positions (default 0)")]
        public int Logits { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout (with the loss of every position)")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Checkpoint))
            {
                return ValidationResult.Error("--checkpoint FILE is required");
            }
            if ((Corpus is null) == (Text is null))
            {
                return ValidationResult.Error("give exactly one of --corpus FILE or --text TEXT");
            }
            if (MaxTokens is < 2)
            {
                return ValidationResult.Error($"--max-tokens must be 2 or more, got {MaxTokens}");
            }
            return Logits < 0 ? ValidationResult.Error($"--logits must be 0 or more, got {Logits}") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("--checkpoint", settings.Checkpoint!);
        var checkpoint = Checkpoint.Load(settings.Checkpoint!);
        var bytes = settings.Text is not null ? System.Text.Encoding.UTF8.GetBytes(settings.Text) : InputFiles.ReadAllBytes("--corpus", settings.Corpus!);
        var tokens = ByteTokenizer.Encode(bytes.AsSpan(0, Math.Min(bytes.Length, settings.MaxTokens ?? int.MaxValue)));
        if (tokens.Length < 2)
        {
            throw new UsageException($"the text has {tokens.Length} byte(s); eval needs at least 2 (one to condition on, one to predict)");
        }
        using var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 1);
        var result = TextEvaluator.Evaluate(model, tokens, settings.Logits);
        string source = settings.Corpus ?? "--text";
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(Document(settings, checkpoint, source, result, tokens), Json));
            return CliApp.ExitOk;
        }
        console.WriteLine(Inv($"loss {result.MeanLossNats:F4} nats/token = {result.BitsPerByte:F4} bits/byte over {result.Predicted} predicted tokens of {source}"));
        console.WriteLine(Inv($"model {Engine.Training.Checkpoint.Describe(checkpoint.Config)} at step {checkpoint.Step}; {result.Windows} window(s) of up to {result.Context} tokens (a prediction at window position t sees t+1 tokens)"));
        var table = new Table().AddColumns("context position", "mean loss (nats)");
        foreach (int t in ShownPositions(result.Context))
        {
            if (!double.IsNaN(result.LossByContextPosition[t]))
            {
                FitOutput.AddRow(table, (t + 1).ToString(CultureInfo.InvariantCulture), Inv($"{result.LossByContextPosition[t]:F4}"));
            }
        }
        console.Write(table);
        for (int k = 0; k < result.Logits.Count; k++)
        {
            console.WriteLine(Inv($"logits at position {k} (next token {tokens[k + 1]}): ") + string.Join(' ', result.Logits[k].Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
        }
        return CliApp.ExitOk;
    }

    /// <summary>Context positions 1, 2, 4, ... and the last, so a long context fits on one screen.</summary>
    private static IEnumerable<int> ShownPositions(int context)
    {
        for (int t = 1; t < context; t *= 2)
        {
            yield return t - 1;
        }
        yield return context - 1;
    }

    private static Dictionary<string, object?> Document(Settings settings, Checkpoint checkpoint, string source, TextEvaluation r, int[] tokens) => new()
    {
        ["command"] = "eval",
        ["checkpoint"] = settings.Checkpoint,
        ["step"] = checkpoint.Step,
        ["model"] = Engine.Training.Checkpoint.Describe(checkpoint.Config),
        ["corpus"] = source,
        ["tokens"] = r.Tokens,
        ["predicted_tokens"] = r.Predicted,
        ["context"] = r.Context,
        ["windows"] = r.Windows,
        ["loss_nats_per_token"] = r.MeanLossNats,
        ["bits_per_byte"] = r.BitsPerByte,
        ["loss_by_context_position"] = r.LossByContextPosition.Select(v => double.IsNaN(v) ? (double?)null : v).ToList(),
        ["position_losses"] = r.PositionLosses,
        ["logits"] = r.Logits.Select((l, k) => new { position = k, next_token = tokens[k + 1], values = l }).ToList(),
    };

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
