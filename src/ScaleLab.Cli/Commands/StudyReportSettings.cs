using System.ComponentModel;
using ScaleLab.Lab.Registry;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// The flags <c>report</c> and <c>verify</c> share: the registry the study is read from, the bootstrap of the report's
/// intervals, and <c>--json</c>; each verb names its study and report file (<see cref="StudyName"/>, <see cref="ReportFile"/>).
/// </summary>
public abstract class StudyReportSettings : CommandSettings
{
    /// <summary>The study (the verb's --study).</summary>
    protected abstract string? StudyName { get; }

    /// <summary>The report file (the verb's --out).</summary>
    protected abstract string ReportFile { get; }

    [CommandOption("--registry <REGISTRY>")]
    [Description("sqlite:PATH or postgres:CONNSTRING (default $SCALELAB_REGISTRY, else sqlite:scalelab.db)")]
    public string? Registry { get; init; }

    [CommandOption("--bootstrap <N>")]
    [Description("Bootstrap resamples for intervals and back-tests (default 200)")]
    public int Bootstrap { get; init; } = 200;

    [CommandOption("--json")]
    [Description("Write the report's JSON document to stdout")]
    public bool Json { get; init; }

    /// <summary>The checks both verbs make, after the verb's own (<paramref name="own"/>, null when they pass).</summary>
    protected ValidationResult ValidateReport(Func<ValidationResult?> own) =>
        string.IsNullOrWhiteSpace(StudyName) ? ValidationResult.Error("--study NAME is required")
        : own() is { } error ? error
        : Bootstrap < 0 ? ValidationResult.Error("--bootstrap must be >= 0")
        : !ReportFile.EndsWith(".html", StringComparison.OrdinalIgnoreCase) ? ValidationResult.Error($"--out {ReportFile}: the report is HTML; give a .html file")
        : ValidationResult.Success();

    /// <summary>Resolves the registry, checks that the report and its .md and .json siblings would not overwrite it, and
    /// opens it with its schema made current.</summary>
    internal (string Registry, IRunStore Store) OpenRegistry()
    {
        var registry = RunStores.Resolve(Registry);
        var (backend, target) = RunStores.Parse(registry);
        OutputPaths.Check([("--registry", backend == "sqlite" ? target : null)],
            [("--out", ReportFile), ("--out (markdown)", Path.ChangeExtension(ReportFile, ".md")), ("--out (json)", Path.ChangeExtension(ReportFile, ".json"))]);
        var store = RunStores.Open(registry);
        store.EnsureSchema();
        return (registry, store);
    }
}
