using System.Globalization;
using System.Text;

namespace ScaleLab.Lab.Registry;

/// <summary>
/// The registry's CSV exports (<c>scalelab runs --csv</c>, with <c>--metrics</c>): scaling points, per-step metrics of
/// language-model runs, and named metrics of other kinds. Invariant culture, doubles round-trip ("R"), a missing value
/// (null or NaN) is an empty field, one row per line ending in "\n".
/// </summary>
public static class RunCsv
{
    /// <summary>Header of the per-step CSV; empty fields are steps without the value (no evaluation, no B_simple).</summary>
    public const string MetricsHeader = "run,step,tokens,train_loss,val_loss,lr,grad_norm,grad_norm_sq_est,trace_cov_est,b_simple";

    /// <summary>Header of the per-step CSV of runs of another kind than the language model: the generic table.</summary>
    public const string NamedMetricsHeader = "run,step,name,value";

    /// <summary>CSV of points: N, D, C = 6ND, loss, then N_total, seed, run. Doubles round-trip ("R").</summary>
    public static string Points(IReadOnlyList<ScalingPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var csv = new StringBuilder("N,D,C,loss,N_total,seed,run\n");
        foreach (var p in points)
        {
            csv.Append(Inv($"{p.N},{p.D},{p.C:R},{p.Loss:R},{p.NTotal},{p.Seed},{p.RunKey}\n"));
        }
        return csv.ToString();
    }

    /// <summary>Per-step CSV of runs: one row per (run, step), doubles round-trip ("R"), null and NaN as empty.</summary>
    public static string Metrics(IEnumerable<(string RunKey, IReadOnlyList<MetricRow> Rows)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        static string F(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        var csv = new StringBuilder(MetricsHeader).Append('\n');
        foreach (var (key, rows) in runs)
        {
            foreach (var m in rows)
            {
                csv.Append(Inv($"{key},{m.Step},{m.Tokens},{F(m.TrainLoss)},{F(m.ValLoss)},{F(m.LearningRate)},{F(m.GradNorm)},"))
                    .Append(Inv($"{F(m.GradNormSqEstimate)},{F(m.TraceCovEstimate)},{F(m.BSimple)}\n"));
            }
        }
        return csv.ToString();
    }

    /// <summary>Per-step CSV of named metrics: one row per (run, step, name), doubles round-trip, NaN as empty.</summary>
    public static string NamedMetrics(IEnumerable<(string RunKey, IReadOnlyList<RunMetric> Metrics)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var csv = new StringBuilder(NamedMetricsHeader).Append('\n');
        foreach (var (key, metrics) in runs)
        {
            foreach (var m in metrics)
            {
                var value = double.IsNaN(m.Value) ? "" : m.Value.ToString("R", CultureInfo.InvariantCulture);
                csv.Append(Inv($"{key},{m.Step},{m.Name},{value}\n"));
            }
        }
        return csv.ToString();
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
