using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Laws;
using ScaleLab.Report.Plots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae universality</c>: gathers <c>sae compare --json</c> documents (one per SAE size and model
/// pair, named by their --label) into the fraction shared against n, beside the neurons, as a table, JSON and a figure
/// (<see cref="UniversalityPlot"/>).</summary>
[Verb("sae universality", "Gather sae compare --json results (one per SAE size n and model pair, grouped by their --label) into the fraction of features shared against n beside the neurons' fraction: a table, --json, and --plot FILE",
    Examples = ["sae universality seed-128.json seed-256.json size-128.json size-256.json", "sae universality results/*.json --plot universality.png --json"])]
public sealed class SaeUniversalityCommand(IAnsiConsole console, Stderr stderr) : Command<SaeUniversalityCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RESULTS>")]
        [Description("JSON files written by scalelab sae compare --json (give each pair a --label)")]
        public string[] Results { get; set; } = [];

        [CommandOption("--plot <FILE>")]
        [Description("Write the figure (fraction shared against n; .png or .svg)")]
        public string? Plot { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            if (Results.Length == 0) return ValidationResult.Error("give one or more sae compare --json files");
            return Plot is not null && Path.GetExtension(Plot).ToLowerInvariant() is not (".png" or ".svg")
                ? ValidationResult.Error($"--plot {Plot}: the file must end in .png or .svg")
                : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        OutputPaths.Check(settings.Results.Select(r => ("RESULTS", (string?)r)), [("--plot", settings.Plot)]);
        var points = new List<UniversalityPoint>();
        double? threshold = null;
        foreach (var path in settings.Results)
        {
            var (point, t) = Read(path);
            if (threshold is { } seen && seen != t)
            {
                throw new UsageException($"{path} used threshold {t.ToString(CultureInfo.InvariantCulture)}, the others {seen.ToString(CultureInfo.InvariantCulture)}; compare at one threshold");
            }
            threshold = t;
            points.Add(point);
        }
        var duplicate = points.GroupBy(p => (p.Pair, p.Latents)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new UsageException($"two results for the {duplicate.Key.Pair} pair at n = {duplicate.Key.Latents}; give one per pair and n");
        points = [.. points.OrderBy(p => p.Pair, StringComparer.Ordinal).ThenBy(p => p.Latents)];
        if (settings.Plot is { } plot)
        {
            UniversalityPlot.Save(points, threshold!.Value, plot);
            stderr.WriteLine($"sae universality: wrote {plot}");
        }
        if (settings.Json)
        {
            var document = new Dictionary<string, object?>
            {
                ["command"] = "sae universality",
                ["threshold"] = threshold,
                ["se_definition"] = "standard errors count the units as independent draws; they do not cover SAE or model training seeds",
                ["points"] = points.Select(p => new
                {
                    pair = p.Pair, latents = p.Latents, features_shared = p.FeaturesShared, features_shared_se = p.FeaturesSe,
                    features_shared_of_fired = p.FiredShared, neurons_shared = p.NeuronsShared, neurons_shared_se = p.NeuronsSe, difference = p.FeaturesShared - p.NeuronsShared,
                    difference_se = Math.Sqrt(p.FeaturesSe * p.FeaturesSe + p.NeuronsSe * p.NeuronsSe),
                }).ToList(),
                ["plot"] = settings.Plot,
            };
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
            return CliApp.ExitOk;
        }
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fraction of Hungarian pairs with activation correlation > {threshold:0.##} (± SE over units; one SAE and one model per side: seeds not covered)"));
        var table = new Table().AddColumns("pair", "n", "features shared", "of those that fired", "neurons shared", "features − neurons");
        foreach (var p in points)
        {
            var se = Math.Sqrt(p.FeaturesSe * p.FeaturesSe + p.NeuronsSe * p.NeuronsSe);
            table.AddRow(p.Pair, p.Latents.ToString(CultureInfo.InvariantCulture), Pm(p.FeaturesShared, p.FeaturesSe),
                p.FiredShared is { } f ? f.ToString("0.000", CultureInfo.InvariantCulture) : "-", Pm(p.NeuronsShared, p.NeuronsSe),
                Pm(p.FeaturesShared - p.NeuronsShared, se));
        }
        console.Write(table);
        return CliApp.ExitOk;
    }

    private static string Pm(double v, double se) => string.Create(CultureInfo.InvariantCulture, $"{v:0.000} ± {se:0.000}");

    /// <summary>One compare document as a point; anything else is one line naming the file.</summary>
    private static (UniversalityPoint Point, double Threshold) Read(string path)
    {
        var text = System.Text.Encoding.UTF8.GetString(InputFiles.ReadAllBytes("RESULTS", path));
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (!root.TryGetProperty("command", out var command) || command.GetString() != "sae compare")
            {
                throw new InvalidDataException($"{path} is not a sae compare --json document");
            }
            var label = root.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString()! : "unlabelled";
            var na = root.GetProperty("a").GetProperty("latents").GetInt32();
            var nb = root.GetProperty("b").GetProperty("latents").GetInt32();
            if (na != nb) throw new InvalidDataException($"{path} compares SAEs of different sizes ({na} and {nb}); the figure is against one n");
            var f = root.GetProperty("features_correlation");
            var n = root.GetProperty("neurons_correlation");
            return (new UniversalityPoint(label, na, f.GetProperty("shared_fraction").GetDouble(), f.GetProperty("shared_fraction_se").GetDouble(),
                n.GetProperty("shared_fraction").GetDouble(), n.GetProperty("shared_fraction_se").GetDouble(),
                f.TryGetProperty("shared_fraction_of_fired", out var fired) && fired.ValueKind == JsonValueKind.Number ? fired.GetDouble() : null), f.GetProperty("threshold").GetDouble());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a readable sae compare --json document ({ex.Message})");
        }
    }
}
