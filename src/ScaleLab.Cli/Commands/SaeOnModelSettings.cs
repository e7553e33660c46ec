using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// The flags <c>sae eval</c> and <c>sae features</c> share, first on both help pages: the SAE and the model checkpoint it
/// was captured from (<see cref="SaeInputs.LoadMatched"/> checks that they belong together). Each verb adds its own
/// corpus, window and output flags after these.
/// </summary>
public abstract class SaeOnModelSettings : CommandSettings
{
    [CommandOption("--sae <FILE>")]
    [Description("SAE file written by scalelab sae train")]
    public string? Sae { get; set; }

    [CommandOption("--checkpoint <FILE>")]
    [Description("The model checkpoint the SAE's activations were captured from")]
    public string? Checkpoint { get; set; }

    /// <summary>The error for the first of --sae and --checkpoint left out, or null when both are given; the verb's own
    /// checks follow.</summary>
    protected ValidationResult? MissingFiles() =>
        string.IsNullOrEmpty(Sae) ? ValidationResult.Error("--sae FILE is required")
        : string.IsNullOrEmpty(Checkpoint) ? ValidationResult.Error("--checkpoint FILE is required")
        : null;

    /// <summary>Refuses (one line) a --sae or --checkpoint that is not a regular file, before anything is read.</summary>
    internal void EnsureFiles()
    {
        InputFiles.EnsureRegularFile("--sae", Sae!);
        InputFiles.EnsureRegularFile("--checkpoint", Checkpoint!);
    }
}
