namespace ScaleLab.Laws;

/// <summary>
/// Which reported parameter (symbol) each optimisation coordinate stands for, and whether the coordinate is its
/// logarithm (a positive scale such as E or A, θ = ln E) or the parameter itself (an exponent such as alpha).
/// Found by probing <see cref="IScalingLaw.FromSymbols"/>: from all symbols at 1, doubling symbol j must move exactly
/// one coordinate, by ln 2 (log) or by 1 (identity). Every law of the catalogue maps this way; a law that does not
/// gets <see cref="IsOneToOne"/> false and its coordinates keep their own names.
/// </summary>
public sealed record CoordinateMap(int[] SymbolOfCoordinate, bool[] IsLog, bool IsOneToOne)
{
    public static CoordinateMap Of(IScalingLaw law)
    {
        int p = law.Coordinates.Count, s = law.Symbols.Count;
        var symbolOf = Enumerable.Repeat(-1, p).ToArray();
        var isLog = new bool[p];
        var baseSymbols = Enumerable.Repeat(1.0, s).ToArray();
        var t0 = new double[p];
        var t1 = new double[p];
        bool ok = true;
        try
        {
            law.FromSymbols(baseSymbols, t0);
            for (int j = 0; j < s; j++)
            {
                var probe = (double[])baseSymbols.Clone();
                probe[j] = 2;
                law.FromSymbols(probe, t1);
                for (int k = 0; k < p; k++)
                {
                    double dt = t1[k] - t0[k];
                    if (dt == 0)
                    {
                        continue;
                    }
                    if (symbolOf[k] >= 0)
                    {
                        ok = false;
                    }
                    symbolOf[k] = j;
                    isLog[k] = Math.Abs(dt - Math.Log(2)) < 1e-12;
                    ok &= isLog[k] || Math.Abs(dt - 1) < 1e-12;
                }
            }
        }
        catch (ArgumentException)
        {
            ok = false;
        }
        ok &= symbolOf.All(j => j >= 0);
        return new CoordinateMap(symbolOf, isLog, ok);
    }

    /// <summary>The reported name of coordinate k: its symbol when the map is one to one, else the coordinate's name.</summary>
    public string Name(IScalingLaw law, int k) => IsOneToOne ? law.Symbols[SymbolOfCoordinate[k]] : law.Coordinates[k];
}
