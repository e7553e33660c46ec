namespace ScaleLab.Laws;

/// <summary>Law forms by CLI name, and loading a data set with the columns a law needs.</summary>
public static class LawCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["powerlaw", "chinchilla", "kaplan", "bnsl", "bnsl2", "exponential"];

    /// <summary>
    /// The law called <paramref name="name"/>; <paramref name="x"/> picks the variable of one-variable laws
    /// (powerlaw, bnsl, bnsl2; default C). Unknown names are an <see cref="ArgumentException"/>.
    /// </summary>
    public static IScalingLaw Create(string name, LawInputs x = LawInputs.C) => name.ToLowerInvariant() switch
    {
        "powerlaw" => new PowerLaw(x),
        "chinchilla" => ChinchillaLaw.Instance,
        "kaplan" => KaplanLaw.Instance,
        "bnsl" => new BrokenPowerLaw(x, 1),
        "bnsl2" => new BrokenPowerLaw(x, 2),
        "exponential" => ExponentialLaw.Instance,
        _ => throw new ArgumentException($"unknown law '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Parses "n", "d" or "c" (case-insensitive).</summary>
    public static LawInputs ParseX(string x) => x.ToLowerInvariant() switch
    {
        "n" => LawInputs.N,
        "d" => LawInputs.D,
        "c" => LawInputs.C,
        _ => throw new ArgumentException($"--x must be n, d or c, not '{x}'"),
    };

    /// <summary>
    /// Loads <paramref name="path"/> for the law <paramref name="name"/>. For one-variable laws without
    /// <paramref name="x"/>, x is C when the file has (or can derive) C, else N, else D: compute is the axis
    /// on which back-tests extrapolate and on which the literature's single-variable laws are usually stated.
    /// </summary>
    public static (IScalingLaw Law, ScalingDataset Data) Load(string name, string path, ColumnSelection? columns = null,
        string? x = null)
    {
        var probe = Create(name);
        columns ??= new ColumnSelection();
        if (probe.Inputs is LawInputs.N or LawInputs.D or LawInputs.C)
        {
            LawInputs chosen;
            if (x is not null)
            {
                chosen = ParseX(x);
            }
            else
            {
                var table = CsvDocument.Load(path);
                bool has(string? given, IReadOnlyList<string> defaults) =>
                    table.FindColumn(given is null ? defaults : [given]) >= 0;
                bool n = has(columns.N, ColumnSelection.DefaultN), d = has(columns.D, ColumnSelection.DefaultD),
                    c = has(columns.C, ColumnSelection.DefaultC);
                chosen = c || (n && d) ? LawInputs.C : n ? LawInputs.N : LawInputs.D;
            }
            var law = Create(name, chosen);
            var data = ScalingDataset.Load(path, columns, law.Inputs);
            return (law, new ScalingDataset(data.Source, data.Y, data.N, data.D, data.C, data.T, data.Rows,
                [.. data.Notes, $"x = {chosen}"]));
        }
        return (probe, ScalingDataset.Load(path, columns, probe.Inputs));
    }
}
