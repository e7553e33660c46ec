namespace ScaleLab.Laws;

/// <summary>Stable log-sum-exp and its softmax weights (the weights are the gradient of LSE).</summary>
internal static class LogSumExp
{
    /// <summary>ln(e^u + e^v); <paramref name="pu"/> = e^u/(e^u+e^v).</summary>
    public static double Of(double u, double v, out double pu)
    {
        double m = Math.Max(u, v);
        double eu = Math.Exp(u - m), ev = Math.Exp(v - m);
        double s = eu + ev;
        pu = eu / s;
        return m + Math.Log(s);
    }

    /// <summary>ln(e^u + e^v + e^w) and the three softmax weights.</summary>
    public static double Of(double u, double v, double w, out double pu, out double pv, out double pw)
    {
        double m = Math.Max(u, Math.Max(v, w));
        double eu = Math.Exp(u - m), ev = Math.Exp(v - m), ew = Math.Exp(w - m);
        double s = eu + ev + ew;
        double inv = 1 / s;
        pu = eu * inv;
        pv = ev * inv;
        pw = ew * inv;
        return m + Math.Log(s);
    }

    /// <summary>ln(1 + e^z) without overflow.</summary>
    public static double Softplus(double z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

    /// <summary>1/(1 + e^−z), the derivative of softplus.</summary>
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
}
