using System.Globalization;

namespace ScaleLab.Laws;

/// <summary>One tie: <see cref="Follower"/> takes the value of <see cref="Leader"/> (e.g. beta = alpha).</summary>
public sealed record ParameterTie(string Follower, string Leader)
{
    public override string ToString() => $"{Follower}={Leader}";
}

/// <summary>
/// The standard remedies for a parameter the data do not identify: fix a parameter at a known value (e.g. E at
/// the entropy rate of a synthetic source) or tie two of the same kind (alpha = beta in chinchilla, as Hoffmann
/// et al. 2022 §D.3 / Muennighoff et al. 2023 do when the data cannot separate them). Both act on the reported
/// parameters (symbols); <see cref="ConstrainedLaw"/> applies them to a law.
/// </summary>
public sealed record FitConstraints
{
    /// <summary>Symbol → fixed value (e.g. E → 1.5406).</summary>
    public IReadOnlyDictionary<string, double> Fixed { get; init; } = new Dictionary<string, double>();

    /// <summary>Ties, each follower set equal to its leader.</summary>
    public IReadOnlyList<ParameterTie> Ties { get; init; } = [];

    public bool IsEmpty => Fixed.Count == 0 && Ties.Count == 0;

    /// <summary>Parses <c>SYMBOL=VALUE</c> fixes and <c>FOLLOWER=LEADER</c> ties; a malformed entry is an <see cref="ArgumentException"/>.</summary>
    public static FitConstraints Parse(IEnumerable<string>? fix, IEnumerable<string>? tie)
    {
        var fixedValues = new Dictionary<string, double>();
        foreach (var f in fix ?? [])
        {
            var parts = f.Split('=', 2);
            if (parts.Length != 2 || parts[0].Trim().Length == 0
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            {
                throw new ArgumentException($"--fix '{f}': expected SYMBOL=VALUE, e.g. E=1.5406");
            }
            fixedValues[parts[0].Trim()] = v;
        }
        var ties = new List<ParameterTie>();
        foreach (var t in tie ?? [])
        {
            var parts = t.Split('=', 2);
            if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
            {
                throw new ArgumentException($"--tie '{t}': expected FOLLOWER=LEADER, e.g. beta=alpha");
            }
            ties.Add(new ParameterTie(parts[0].Trim(), parts[1].Trim()));
        }
        return new FitConstraints { Fixed = fixedValues, Ties = ties };
    }

    /// <summary>The constraints in words, e.g. "E fixed at 1.5406; beta = alpha".</summary>
    public string Describe() => string.Join("; ",
        Fixed.Select(f => $"{f.Key} fixed at {NumberStyle.Format(f.Value, 6)}")
            .Concat(Ties.Select(t => $"{t.Follower} = {t.Leader}")));
}
