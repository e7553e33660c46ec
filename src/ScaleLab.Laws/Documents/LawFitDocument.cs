using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleLab.Laws;

/// <summary>A value with its interval (lo/hi null when no bootstrap was run).</summary>
public sealed record ParameterEstimate(double Value, double? Lo = null, double? Hi = null);

/// <summary>The bootstrap block of a fit document; <see cref="Draws"/> are rows in <see cref="Symbols"/> order.</summary>
public sealed record BootstrapDocument(int Samples, int Failed, double Level, ulong Seed, string Starts,
    IReadOnlyList<string> Symbols, double[][] Draws);

/// <summary>The back-test block of a fit document (also the document of <c>scalelab backtest --json</c>).</summary>
public sealed record BacktestDocument(string Law, int TrainCount, int HoldoutCount, double Level, string Interval,
    double MeanAbsRelativeError, double Coverage, IReadOnlyList<BacktestPoint> Points)
{
    public static BacktestDocument From(BacktestResult r) => new(r.Law, r.TrainCount, r.Points.Count, r.Level,
        r.Interval.ToString().ToLowerInvariant(), r.MeanAbsRelativeError, r.Coverage, r.Points);
}

/// <summary>
/// The JSON document of a law fit (System.Text.Json, snake_case): law, loss, delta, parameters by symbol with
/// intervals, derived quantities, objective, points, starts, exit reason, notes, the bootstrap draws (so
/// <c>scalelab plan</c> can compute intervals) and an optional back-test.
/// </summary>
public sealed record LawFitDocument
{
    public required string Law { get; init; }
    public string? Formula { get; init; }
    public required string Loss { get; init; }
    public double? Delta { get; init; }
    public required Dictionary<string, ParameterEstimate> Parameters { get; init; }
    public Dictionary<string, ParameterEstimate> Derived { get; init; } = [];
    public double Objective { get; init; }
    public int PointsUsed { get; init; }
    public int Starts { get; init; }
    public int StartsFailed { get; init; }
    public int StartsAtBest { get; init; }
    public string? StartsAtBestCriterion { get; init; }
    public int Iterations { get; init; }
    public string? ExitReason { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    public BootstrapDocument? Bootstrap { get; init; }
    public BacktestDocument? Backtest { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static LawFitDocument From(LawFit fit, BacktestResult? backtest = null)
    {
        var boot = fit.Bootstrap;
        var parameters = new Dictionary<string, ParameterEstimate>();
        for (int k = 0; k < fit.Symbols.Count; k++)
        {
            parameters[fit.Symbols[k]] = new ParameterEstimate(fit.Values[k], boot?.Parameters[k].Lo, boot?.Parameters[k].Hi);
        }
        var derived = new Dictionary<string, ParameterEstimate>();
        for (int k = 0; k < fit.DerivedNames.Count; k++)
        {
            derived[fit.DerivedNames[k]] = new ParameterEstimate(fit.DerivedValues[k], boot?.Derived[k].Lo, boot?.Derived[k].Hi);
        }
        return new LawFitDocument
        {
            Law = fit.Law,
            Formula = fit.Form.Formula,
            Loss = fit.Loss == LossKind.Huber ? "huber" : "mse",
            Delta = fit.Loss == LossKind.Huber ? fit.Delta : null,
            Parameters = parameters,
            Derived = derived,
            Objective = fit.Objective,
            PointsUsed = fit.PointsUsed,
            Starts = fit.StartsTotal,
            StartsFailed = fit.StartsFailed,
            StartsAtBest = fit.StartsAtBest,
            StartsAtBestCriterion = fit.StartsAtBestCriterion,
            Iterations = fit.Iterations,
            ExitReason = fit.ExitReason,
            Notes = fit.Notes,
            Bootstrap = boot is null ? null
                : new BootstrapDocument(boot.Samples, boot.Failed, boot.Level, boot.Seed, boot.Starts, boot.Symbols, boot.Draws),
            Backtest = backtest is null ? null : BacktestDocument.From(backtest),
        };
    }

    /// <summary>Point estimates by symbol.</summary>
    public IReadOnlyDictionary<string, double> Values() => Parameters.ToDictionary(p => p.Key, p => p.Value.Value);

    /// <summary>Bootstrap draws as symbol → value maps (empty when the fit had no bootstrap).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Draws() =>
        Bootstrap is null ? []
        : Bootstrap.Draws.Select(row => (IReadOnlyDictionary<string, double>)Bootstrap.Symbols.Zip(row)
            .ToDictionary(x => x.First, x => x.Second)).ToList();

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Write(string path) => File.WriteAllText(path, ToJson() + "\n");

    /// <summary>Parses a document; malformed input is a one-line <see cref="InvalidDataException"/> naming the source.</summary>
    public static LawFitDocument Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<LawFitDocument>(json, JsonOptions)
                ?? throw new InvalidDataException($"{source}: empty fit document");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not a fit document ({ex.Message.ReplaceLineEndings(" ")})", ex);
        }
    }

    public static LawFitDocument Read(string path) => File.Exists(path)
        ? Parse(File.ReadAllText(path), Path.GetFileName(path))
        : throw new FileNotFoundException($"{path}: file not found", path);
}
