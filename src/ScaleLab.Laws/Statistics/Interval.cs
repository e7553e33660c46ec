using System.Text.Json.Serialization;

namespace ScaleLab.Laws;

/// <summary>
/// The one two-sided interval type [<see cref="Lo"/>, <see cref="Hi"/>] of ScaleLab: bootstrap percentile intervals,
/// Student-t intervals of a line, profile intervals. An end may be infinite when the data do not bound the quantity in
/// that direction (a doubling time whose slope interval reaches zero, a B_crit beyond the largest batch), and both ends
/// are NaN when no interval could be formed (no finite bootstrap draw). JSON writers follow <see cref="JsonNumbers"/>.
/// </summary>
public sealed record Interval(double Lo, double Hi)
{
    public double Width => Hi - Lo;

    /// <summary>Whether <paramref name="x"/> lies in the closed interval (false for NaN ends).</summary>
    public bool Contains(double x) => x >= Lo && x <= Hi;

    /// <summary>Both ends finite. (Not serialised: documents that carry an Interval have always had lo, hi and width.)</summary>
    [JsonIgnore]
    public bool IsBounded => double.IsFinite(Lo) && double.IsFinite(Hi);
}

/// <summary>
/// A point estimate with its interval, or without one (<see cref="Interval"/> null: no bootstrap was run).
/// <see cref="Lo"/> and <see cref="Hi"/> read the interval's ends (NaN without one).
/// </summary>
public sealed record Estimate(double Value, Interval? Interval = null)
{
    public Estimate(double value, double lo, double hi) : this(value, new Interval(lo, hi)) { }

    /// <summary>Lower end of the interval (NaN without one).</summary>
    public double Lo => Interval?.Lo ?? double.NaN;

    /// <summary>Upper end of the interval (NaN without one).</summary>
    public double Hi => Interval?.Hi ?? double.NaN;

    /// <summary>Whether the interval covers <paramref name="truth"/> (false without an interval).</summary>
    public bool Covers(double truth) => Interval?.Contains(truth) ?? false;

    /// <summary>"value [lo, hi]" (or the value alone) in <see cref="NumberStyle"/>'s significant-digit style.</summary>
    public override string ToString() => Interval is { } iv
        ? $"{Format(Value)} [{Format(iv.Lo)}, {Format(iv.Hi)}]"
        : Format(Value);

    public static string Format(double x) => NumberStyle.Format(x);
}
