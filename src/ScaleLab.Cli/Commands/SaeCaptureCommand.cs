using System.ComponentModel;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae capture</c>: a model's activations at one site over training windows of a corpus, into an
/// activation file (<see cref="ActivationFile"/>) for <c>sae train</c>.</summary>
[Verb("sae capture", "Capture a trained GPT's activations at a site (h.L.resid_post or h.L.mlp.hidden) over corpus windows into an activation file (magic, version, model identity, checksum)",
    Examples = ["sae capture --checkpoint run.ckpt --site h.0.resid_post --windows 512 --out acts.slac", "sae capture --checkpoint run.ckpt --site mlp:1 --corpus synthetic --windows 256 --seed 7 --out mlp1.slac --json"])]
public sealed class SaeCaptureCommand(IAnsiConsole console, Stderr stderr) : Command<SaeCaptureCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("Model checkpoint written by scalelab train")]
        public string? Checkpoint { get; set; }

        [CommandOption("--site <SITE>")]
        [Description("h.L.resid_post (residual stream after block L), h.L.mlp.hidden (block L's MLP after GELU), or resid:L / mlp:L")]
        public string? Site { get; set; }

        [CommandOption("--corpus <CORPUS>")]
        [Description("synthetic (default), synthetic:SEED or a text file")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--windows <N>")]
        [Description("Windows to capture (tokens = windows × window length; default 256)")]
        public int Windows { get; set; } = 256;

        [CommandOption("--seq <T>")]
        [Description("Window length in tokens (default: the model's context)")]
        public int? Seq { get; set; }

        [CommandOption("--seed <S>")]
        [Description("Seed of the window draw (default 1)")]
        public ulong Seed { get; set; } = 1;

        [CommandOption("--threads <N>")]
        [Description("Kernel threads (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--out <FILE>")]
        [Description("Activation file to write")]
        public string? Out { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Checkpoint)) return ValidationResult.Error("--checkpoint FILE is required");
            if (string.IsNullOrEmpty(Site)) return ValidationResult.Error("--site SITE is required (e.g. h.0.resid_post)");
            if (string.IsNullOrEmpty(Out)) return ValidationResult.Error("--out FILE is required");
            if (Windows < 1) return ValidationResult.Error($"--windows must be 1 or more, got {Windows}");
            if (Seq is < 1) return ValidationResult.Error($"--seq must be 1 or more, got {Seq}");
            return Threads < 1 ? ValidationResult.Error($"--threads must be 1 or more, got {Threads}") : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputFiles.EnsureRegularFile("--checkpoint", settings.Checkpoint!);
        OutputPaths.Check([("--checkpoint", settings.Checkpoint)], [("--out", settings.Out)]);
        var site = SiteNames.Parse(settings.Site!);
        var checkpoint = Checkpoint.Load(settings.Checkpoint!);
        if ((uint)site.Layer >= (uint)checkpoint.Config.Layers)
        {
            throw new UsageException($"--site {settings.Site}: the model has blocks 0..{checkpoint.Config.Layers - 1}");
        }
        var seq = SaeInputs.WindowLength(settings.Seq, checkpoint);
        var corpus = Corpora.Open(settings.Corpus);
        using var model = Gpt.FromCheckpoint(checkpoint, maxBatch: 16, seq, settings.Threads);
        var last = 0;
        var file = ActivationFile.Capture(model, site, corpus, settings.Windows, seq, settings.Seed, done =>
        {
            if (done * 10 / settings.Windows > last)
            {
                last = done * 10 / settings.Windows;
                stderr.WriteLine($"sae capture: {done}/{settings.Windows} windows");
            }
        });
        file.Save(settings.Out!);
        var document = new Dictionary<string, object?>
        {
            ["command"] = "sae capture",
            ["checkpoint"] = settings.Checkpoint,
            ["model"] = Checkpoint.Describe(checkpoint.Config),
            ["model_identity"] = file.ModelIdentity,
            ["site"] = site.ToString(),
            ["corpus"] = corpus.Description,
            ["windows"] = settings.Windows,
            ["seq"] = seq,
            ["rows"] = file.Rows,
            ["width"] = file.Width,
            ["out"] = settings.Out,
        };
        if (settings.Json) console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
        else console.WriteLine($"wrote {file.Rows} activations of width {file.Width} at {site} of {Checkpoint.Describe(checkpoint.Config)} to {settings.Out}");
        return CliApp.ExitOk;
    }
}
