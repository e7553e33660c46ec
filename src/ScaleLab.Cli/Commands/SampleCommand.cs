using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sampling;
using ScaleLab.Engine.Training;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab sample --checkpoint FILE</c>: generates text from a trained model with the KV-cache decoder,
/// temperature and top-k sampling, seeded. Output bytes are decoded as UTF-8 with U+FFFD for invalid
/// sequences. Example: <c>scalelab sample --checkpoint run.ckpt --prompt "ab" --tokens 300 --top-k 8</c>.
/// </summary>
[Verb("sample", "Generate text from a checkpoint (temperature and top-k sampling with a KV cache)",
    Examples = ["sample --checkpoint shakespeare.ckpt --prompt ROMEO: --tokens 300 --temperature 0.8 --top-k 20"])]
public sealed class SampleCommand(IAnsiConsole console) : Command<SampleCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("Checkpoint written by scalelab train")]
        public string? Checkpoint { get; set; }

        [CommandOption("--prompt <TEXT>")]
        [Description("Text to continue (default: 'a' for the synthetic corpus, a newline otherwise)")]
        public string? Prompt { get; set; }

        [CommandOption("--tokens <N>")]
        [Description("Tokens (bytes) to generate (default 200)")]
        public int Tokens { get; set; } = 200;

        [CommandOption("--temperature <T>")]
        [Description("Softmax temperature; 0 = greedy (default 1)")]
        public double Temperature { get; set; } = 1.0;

        [CommandOption("--top-k <K>")]
        [Description("Sample among the K most likely tokens; 0 = all (default 0)")]
        public int TopK { get; set; }

        [CommandOption("--seed <S>")]
        [Description("Sampling seed (default 1)")]
        public ulong Seed { get; set; } = 1;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Checkpoint))
            {
                return ValidationResult.Error("--checkpoint FILE is required");
            }
            if (Tokens < 0)
            {
                return ValidationResult.Error($"--tokens must be 0 or more, got {Tokens}");
            }
            if (!(Temperature >= 0) || double.IsInfinity(Temperature))
            {
                return ValidationResult.Error($"--temperature must be a number ≥ 0, got {Temperature.ToString(CultureInfo.InvariantCulture)}");
            }
            if (TopK < 0)
            {
                return ValidationResult.Error($"--top-k must be 0 or more, got {TopK}");
            }
            if (Prompt is { Length: 0 })
            {
                return ValidationResult.Error("--prompt must not be empty (omit it for the default)");
            }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var path = settings.Checkpoint!;
        InputFiles.EnsureRegularFile("--checkpoint", path);
        var checkpoint = Checkpoint.Load(path);
        using var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 1);
        var prompt = settings.Prompt ?? (checkpoint.CorpusFingerprint.StartsWith("synthetic", StringComparison.Ordinal) ? "a" : "\n");
        var promptTokens = ByteTokenizer.Encode(prompt);
        var options = new SamplingOptions(settings.Temperature, settings.TopK);
        var generated = new TextGenerator(model).Generate(promptTokens, settings.Tokens, options, new Rng(settings.Seed));
        var text = ByteTokenizer.Decode(generated);
        if (settings.Json)
        {
            var doc = new Dictionary<string, object?>
            {
                ["command"] = "sample",
                ["checkpoint"] = path,
                ["step"] = checkpoint.Step,
                ["prompt"] = prompt,
                ["text"] = text,
                ["tokens"] = generated,
                ["temperature"] = settings.Temperature,
                ["top_k"] = settings.TopK,
                ["seed"] = settings.Seed,
            };
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(doc, Json));
            return CliApp.ExitOk;
        }
        console.Profile.Out.Writer.WriteLine(prompt + text);
        return CliApp.ExitOk;
    }
}
