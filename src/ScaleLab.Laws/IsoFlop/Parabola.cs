namespace ScaleLab.Laws.IsoFlop;

/// <summary>
/// loss(x) = c0 + c1·u + c2·u², u = x − Center, x = log10 N: the quadratic-in-log10-N profile Hoffmann et
/// al. 2022 (§3.2, Approach 2) fit to each isoFLOP curve. Its minimum is at x* = Center − c1/(2·c2) when
/// c2 &gt; 0. Fitted by least squares on centred x (3×3 normal equations, partial pivoting), which keeps
/// the system well conditioned for log10 N ≈ 8–11.
/// </summary>
public sealed record Parabola(double Center, double C0, double C1, double C2)
{
    public bool OpensUpward => C2 > 0;

    /// <summary>log10 N at the vertex.</summary>
    public double VertexX => Center - C1 / (2 * C2);

    /// <summary>Loss at the vertex, c0 − c1²/(4·c2).</summary>
    public double VertexLoss => C0 - C1 * C1 / (4 * C2);

    public double Evaluate(double x)
    {
        var u = x - Center;
        return C0 + (C1 + C2 * u) * u;
    }

    /// <summary>Least-squares parabola through (x, y); null when fewer than 3 distinct x make it singular.</summary>
    public static Parabola? Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var n = x.Length;
        if (n < 3)
        {
            return null;
        }
        double center = 0;
        foreach (var v in x)
        {
            center += v;
        }
        center /= n;
        // Normal equations M·p = r with M[i][j] = Σ u^(i+j), r[i] = Σ u^i·y.
        Span<double> s = stackalloc double[5];
        Span<double> r = stackalloc double[3];
        for (var i = 0; i < n; i++)
        {
            var u = x[i] - center;
            var u2 = u * u;
            s[0] += 1;
            s[1] += u;
            s[2] += u2;
            s[3] += u2 * u;
            s[4] += u2 * u2;
            r[0] += y[i];
            r[1] += u * y[i];
            r[2] += u2 * y[i];
        }
        Span<double> m = stackalloc double[12];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                m[i * 4 + j] = s[i + j];
            }
            m[i * 4 + 3] = r[i];
        }
        // Gaussian elimination with partial pivoting on the augmented 3×4 matrix.
        var scale = Math.Max(s[0], s[4]);
        for (var col = 0; col < 3; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < 3; row++)
            {
                if (Math.Abs(m[row * 4 + col]) > Math.Abs(m[pivot * 4 + col]))
                {
                    pivot = row;
                }
            }
            if (Math.Abs(m[pivot * 4 + col]) <= 1e-12 * scale)
            {
                return null;
            }
            if (pivot != col)
            {
                for (var j = 0; j < 4; j++)
                {
                    (m[col * 4 + j], m[pivot * 4 + j]) = (m[pivot * 4 + j], m[col * 4 + j]);
                }
            }
            for (var row = col + 1; row < 3; row++)
            {
                var f = m[row * 4 + col] / m[col * 4 + col];
                for (var j = col; j < 4; j++)
                {
                    m[row * 4 + j] -= f * m[col * 4 + j];
                }
            }
        }
        var p2 = m[2 * 4 + 3] / m[2 * 4 + 2];
        var p1 = (m[1 * 4 + 3] - m[1 * 4 + 2] * p2) / m[1 * 4 + 1];
        var p0 = (m[3] - m[1] * p1 - m[2] * p2) / m[0];
        return new Parabola(center, p0, p1, p2);
    }
}
