namespace ScaleLab.Laws.Trend;

/// <summary>
/// A point estimate with a two-sided interval [<see cref="Lo"/>, <see cref="Hi"/>]. A bound may be
/// infinite (a doubling time whose slope interval reaches zero); JSON writers emit null for it.
/// </summary>
public readonly record struct Estimate(double Value, double Lo, double Hi)
{
    public bool Covers(double truth) => truth >= Lo && truth <= Hi;
}
