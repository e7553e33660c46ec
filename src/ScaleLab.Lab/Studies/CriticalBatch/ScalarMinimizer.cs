namespace ScaleLab.Lab.Studies.CriticalBatch;

/// <summary>
/// Global-then-local minimisation of a function of one variable on a closed interval: the best of an even
/// grid, then golden-section search inside the two grid cells around it. Used for 1-D profile objectives,
/// which are cheap and may have a second shallow minimum that a local method started badly would find.
/// </summary>
internal static class ScalarMinimizer
{
    private static readonly double InvPhi = (Math.Sqrt(5) - 1) / 2;

    public static (double Argument, double Value) Minimize(Func<double, double> f, double lower, double upper, int gridPoints)
    {
        var h = (upper - lower) / (gridPoints - 1);
        var bestK = 0;
        var bestF = double.PositiveInfinity;
        for (var k = 0; k < gridPoints; k++)
        {
            var v = f(lower + k * h);
            if (v < bestF)
            {
                bestF = v;
                bestK = k;
            }
        }
        var a = lower + Math.Max(0, bestK - 1) * h;
        var b = lower + Math.Min(gridPoints - 1, bestK + 1) * h;
        var x1 = b - InvPhi * (b - a);
        var x2 = a + InvPhi * (b - a);
        double f1 = f(x1), f2 = f(x2);
        for (var it = 0; it < 80 && b - a > 1e-9; it++)
        {
            if (f1 < f2)
            {
                b = x2;
                x2 = x1;
                f2 = f1;
                x1 = b - InvPhi * (b - a);
                f1 = f(x1);
            }
            else
            {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + InvPhi * (b - a);
                f2 = f(x2);
            }
        }
        var x = 0.5 * (a + b);
        var fx = f(x);
        return fx <= bestF ? (x, fx) : (lower + bestK * h, bestF);
    }
}
