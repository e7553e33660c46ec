using System.Globalization;

namespace ScaleLab.Laws;

/// <summary>
/// The one style for numbers in human output (fit, backtest, plan, isoflop, the study report and its figures): plain
/// notation for magnitudes in [1e-3, 1e6), otherwise a lower-case exponent without padding (5.6264e+20, 1.661e+8,
/// 2.02e+12, 3.1e-5); 5 significant digits unless a quantity says it needs fewer (whole numbers below 1e6 in full);
/// trailing zeros dropped, so a value shows the digits it has; no thousands separators. A number printed this way
/// reads back to itself: <c>Format(double.Parse(s)) == s</c>, which is how tests recognise the style. Machine output
/// (JSON, CSV) keeps full round-trip precision and does not use this.
/// </summary>
public static class NumberStyle
{
    /// <summary>Significant digits when a quantity does not ask for fewer.</summary>
    public const int DefaultDigits = 5;

    public static string Format(double value) => Format(value, DefaultDigits);

    /// <summary>An optional value: "-" when absent.</summary>
    public static string Format(double? value, int significantDigits = DefaultDigits) =>
        value is { } v ? Format(v, significantDigits) : "-";

    /// <summary>The value to <paramref name="significantDigits"/> significant digits (1 to 15) in the one style.</summary>
    public static string Format(double value, int significantDigits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(significantDigits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(significantDigits, 15);
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
            // Plain notation, rounded to the significant digits (whole numbers below 1e6 print in full: N = 335712, not
            // 3.3571e+5); a value that rounds up to 1e6 takes the exponent form below.
            int decimals = Math.Max(0, significantDigits - 1 - (int)Math.Floor(Math.Log10(magnitude)));
            double rounded = Math.Round(value, Math.Min(decimals, 15));
            if (Math.Abs(rounded) < 1e6)
            {
                return rounded.ToString(decimals == 0 ? "0" : "0." + new string('#', decimals), CultureInfo.InvariantCulture);
            }
        }
        string mantissa = significantDigits == 1 ? "0" : "0." + new string('#', significantDigits - 1);
        return value.ToString(mantissa + "e+0", CultureInfo.InvariantCulture);
    }

    /// <summary>A fraction as a percentage in the one style: 0.9473 → "94.7%" (3 significant digits unless given);
    /// <paramref name="signed"/> puts a + before a positive one (a relative error).</summary>
    public static string Percent(double fraction, int significantDigits = 3, bool signed = false) =>
        double.IsFinite(fraction)
            ? (signed && fraction > 0 ? "+" : "") + Format(100 * fraction, significantDigits) + "%"
            : Format(fraction);

    /// <summary>Whether <paramref name="text"/> is a number written in the one style (it reads back to itself).</summary>
    public static bool IsStyled(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
        && Enumerable.Range(1, 15).Any(digits => Format(v, digits) == text);
}
