namespace ScaleLab.Laws;

/// <summary>One law in a comparison, best (lowest AIC) first; Δ are against the best of the set.</summary>
public sealed record LawComparisonRow(
    string Law,
    string Formula,
    int Points,
    int Parameters,
    double LogLikelihood,
    double Aic,
    double Aicc,
    double Bic,
    double DeltaAic,
    double DeltaBic,
    double AkaikeWeight,
    bool AllIdentified);

/// <summary>
/// Compares laws fitted to the same points by information criteria (<see cref="InformationCriteria"/>: Gaussian
/// likelihood of the log residuals at each fit's optimum). Akaike weights w_i = exp(−ΔAIC_i/2)/Σ_j exp(−ΔAIC_j/2)
/// (Burnham &amp; Anderson 2002, §2.9). Lower AIC/BIC is better; a ΔAIC under about 2 does not separate two laws.
/// </summary>
public static class LawComparison
{
    public static IReadOnlyList<LawComparisonRow> Compare(IReadOnlyList<LawFit> fits)
    {
        if (fits.Count == 0)
        {
            return [];
        }
        foreach (var f in fits)
        {
            if (f.Diagnostics is null)
            {
                throw new ArgumentException($"{f.Law}: the fit has no diagnostics (fit it with LawFitter.Fit)");
            }
        }
        var first = fits[0].Diagnostics!.Range;
        foreach (var f in fits.Skip(1))
        {
            var r = f.Diagnostics!.Range;
            if (r.Points != first.Points || Math.Abs(r.LogLossSum - first.LogLossSum) > 1e-9 * Math.Max(1, Math.Abs(first.LogLossSum)))
            {
                throw new ArgumentException(
                    $"laws compared on different data: {fits[0].Law} saw {first.Points} points, {f.Law} {r.Points} (or other losses); AIC/BIC compare fits of the same points only");
            }
        }
        double bestAic = fits.Min(f => f.Diagnostics!.Information.Aic);
        double bestBic = fits.Min(f => f.Diagnostics!.Information.Bic);
        double total = fits.Sum(f => Math.Exp(-0.5 * (f.Diagnostics!.Information.Aic - bestAic)));
        return fits.Select(f =>
        {
            var i = f.Diagnostics!.Information;
            return new LawComparisonRow(f.Law, f.Form.Formula, i.Points, i.Parameters, i.LogLikelihood, i.Aic, i.Aicc, i.Bic,
                i.Aic - bestAic, i.Bic - bestBic, Math.Exp(-0.5 * (i.Aic - bestAic)) / total, f.Identification().AllIdentified);
        }).OrderBy(r => r.Aic).ToList();
    }
}
