using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleLab.Laws;

/// <summary>
/// A value with its interval (lo/hi null when no bootstrap was run), its asymptotic standard error (Gauss–Newton,
/// delta method) and its identification status (identified, not_identified, fixed, tied; null in older documents).
/// </summary>
public sealed record ParameterEstimate(double Value, double? Lo = null, double? Hi = null)
{
    public double? Se { get; init; }
    public ParameterStatus? Status { get; init; }
}

/// <summary>One parameter's identification verdict in a fit document.</summary>
public sealed record IdentificationEntry(ParameterStatus Status, string Statement, double? Lo = null, double? Hi = null)
{
    public bool Identified => Status is ParameterStatus.Identified or ParameterStatus.Fixed or ParameterStatus.Tied;
}

/// <summary>The identification block of a fit document (see <see cref="Identification"/>).</summary>
public sealed record IdentificationDocument(bool AllIdentified, string Criteria, string IntervalSource,
    Dictionary<string, IdentificationEntry> Parameters, IReadOnlyList<string> FreeNames, double[][]? BootstrapCorrelation);

/// <summary>The Gauss–Newton diagnostics block of a fit document (see <see cref="FitDiagnostics"/>), by free parameter.</summary>
public sealed record DiagnosticsDocument(string Method, IReadOnlyList<string> Names, double[] StandardErrors,
    double[][] Correlation, double[][] Covariance, double ConditionNumber, bool Singular, double ResidualSigma,
    int DegreesOfFreedom, IReadOnlyList<string> Warnings);

/// <summary>The bootstrap block of a fit document; <see cref="Draws"/> are rows in <see cref="Symbols"/> order.</summary>
public sealed record BootstrapDocument(int Samples, int Failed, double Level, ulong Seed, string Starts,
    IReadOnlyList<string> Symbols, double[][] Draws);

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
    /// <summary>Why the best start's minimiser stopped.</summary>
    public StopReason? Stop { get; init; }
    /// <summary>Fixed parameters (symbol → value) and ties ("beta=alpha"); empty when unconstrained.</summary>
    public Dictionary<string, double> Fixed { get; init; } = [];
    public IReadOnlyList<string> Tied { get; init; } = [];
    public DiagnosticsDocument? Diagnostics { get; init; }
    public InformationCriteria? Information { get; init; }
    public DataRange? Data { get; init; }
    public IdentificationDocument? Identification { get; init; }
    public BootstrapDocument? Bootstrap { get; init; }
    public BacktestDocument? Backtest { get; init; }

    /// <summary>snake_case, indented, nulls omitted; non-finite numbers by <see cref="JsonNumbers"/> (written as null).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = JsonNumbers.With(new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    });

    public static LawFitDocument From(LawFit fit, BacktestResult? backtest = null)
    {
        var boot = fit.Bootstrap;
        var diag = fit.Diagnostics;
        var identification = fit.Identification();
        var parameters = new Dictionary<string, ParameterEstimate>();
        for (int k = 0; k < fit.Symbols.Count; k++)
        {
            var status = identification.Parameters.FirstOrDefault(p => p.Symbol == fit.Symbols[k])?.Status;
            bool isFixed = status == ParameterStatus.Fixed;
            parameters[fit.Symbols[k]] = new ParameterEstimate(fit.Values[k], isFixed ? null : boot?.Parameters[k].Lo, isFixed ? null : boot?.Parameters[k].Hi)
            {
                Se = diag is null || isFixed || !double.IsFinite(diag.SymbolStandardErrors[k]) ? null : diag.SymbolStandardErrors[k],
                Status = status,
            };
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
            Stop = fit.Stop,
            Fixed = fit.Constraints.Fixed.ToDictionary(),
            Tied = fit.Constraints.Ties.Select(t => t.ToString()).ToList(),
            Diagnostics = diag is null ? null : new DiagnosticsDocument(diag.Method, diag.Names, diag.StandardErrors, diag.Correlation,
                diag.Covariance, diag.ConditionNumber, diag.Singular, diag.ResidualSigma, diag.DegreesOfFreedom, diag.Warnings),
            Information = diag?.Information,
            Data = diag?.Range,
            Identification = new IdentificationDocument(identification.AllIdentified, identification.Criteria.Describe(),
                identification.IntervalSource,
                identification.Parameters.ToDictionary(p => p.Symbol, p => new IdentificationEntry(p.Status, p.Statement, p.Interval?.Lo, p.Interval?.Hi)),
                identification.FreeNames, identification.BootstrapCorrelation),
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
