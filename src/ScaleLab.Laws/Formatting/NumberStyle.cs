using System.Globalization;

namespace ScaleLab.Laws;

/// <summary>
/// The one style for numbers in human output (fit, plan, isoflop, report): 5 significant digits (whole numbers
/// below 1e6 in full), plain notation for magnitudes in [1e-3, 1e6), otherwise a lower-case exponent without padding (5.6264e+20, 1.661e+8,
/// 2.02e+12, 3.1e-5). Trailing zeros are dropped, so a value shows the digits it has. Machine output (JSON, CSV)
/// keeps full round-trip precision and does not use this.
/// </summary>
public static class NumberStyle
{
    public static string Format(double value)
    {
        if (double.IsNaN(value))
        {
            return "-";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }
        double magnitude = Math.Abs(value);
        if (magnitude == 0)
        {
            return "0";
        }
        if (magnitude >= 1e-3 && magnitude < 1e6)
        {
            // Plain notation, rounded to 5 significant digits (whole numbers below 1e6 print in full: N = 335712, not
            // 3.3571e+5); a value that rounds up to 1e6 takes the exponent form below.
            int decimals = Math.Max(0, 4 - (int)Math.Floor(Math.Log10(magnitude)));
            double rounded = Math.Round(value, decimals);
            if (Math.Abs(rounded) < 1e6)
            {
                return rounded.ToString(decimals == 0 ? "0" : "0." + new string('#', decimals), CultureInfo.InvariantCulture);
            }
        }
        return value.ToString("0.####e+0", CultureInfo.InvariantCulture);
    }
}
