namespace ScaleLab.Lab.Registry;

/// <summary>
/// Opens a registry from its string: <c>sqlite:PATH</c>, <c>postgres:CONNSTRING</c>
/// (e.g. <c>postgres:Host=db;Username=u;Password=p;Database=scalelab</c>), or a bare path (SQLite).
/// Without one, <see cref="EnvironmentVariable"/> is used, then <see cref="DefaultRegistry"/>.
/// </summary>
public static class RunStores
{
    public const string EnvironmentVariable = "SCALELAB_REGISTRY";
    public const string DefaultRegistry = "sqlite:scalelab.db";

    /// <summary>The registry string to use: the explicit one, else $SCALELAB_REGISTRY, else ./scalelab.db.</summary>
    public static string Resolve(string? registry)
    {
        if (!string.IsNullOrWhiteSpace(registry))
        {
            return registry.Trim();
        }
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? DefaultRegistry : fromEnvironment.Trim();
    }

    /// <summary>Splits a registry string into its back end ("sqlite" or "postgres") and target.</summary>
    public static (string Backend, string Target) Parse(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var text = registry.Trim();
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return ("sqlite", NonEmpty(text["sqlite:".Length..], registry));
        }
        if (text.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            return ("postgres", NonEmpty(text["postgres:".Length..], registry));
        }
        if (text.StartsWith("postgresql:", StringComparison.OrdinalIgnoreCase))
        {
            return ("postgres", NonEmpty(text["postgresql:".Length..], registry));
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        // A colon after one or more letters names a scheme (not a Windows drive letter like C:).
        if (colon > 1 && text[..colon].All(char.IsAsciiLetter))
        {
            throw new FormatException($"registry '{registry}': unknown back end '{text[..colon]}' (use sqlite:PATH or postgres:CONNSTRING)");
        }
        return ("sqlite", NonEmpty(text, registry));
    }

    /// <summary>Opens the registry and ensures its schema.</summary>
    public static IRunStore Open(string? registry, TimeProvider? time = null)
    {
        var (backend, target) = Parse(Resolve(registry));
        IRunStore store = backend == "sqlite" ? new SqliteRunStore(target, time) : new PostgresRunStore(target, time);
        try
        {
            store.EnsureSchema();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static string NonEmpty(string target, string registry) =>
        string.IsNullOrWhiteSpace(target)
            ? throw new FormatException($"registry '{registry}': nothing after the back end (use sqlite:PATH or postgres:CONNSTRING)")
            : target.Trim();
}
