using System.Numerics.Tensors;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// One one-to-one matching of two sets of units (SAE latents or model neurons) and what it says about sharing:
/// <paramref name="Pairs"/> = min(|A|, |B|) pairs found by the Hungarian algorithm on <paramref name="Method"/>'s
/// similarity, the fraction of pairs whose similarity exceeds <paramref name="Threshold"/> (of the smaller side's units),
/// the mean matched similarity, and the mean over each side's units of its largest similarity with any unit of the other
/// side (not one to one: Bricken et al. 2023's "mean max correlation"). Standard errors count the units as independent
/// draws (binomial for the fraction, s/√n for the means): they cover which units were drawn, not the SAE's or the model's
/// training seed. <paramref name="SharedOfFired"/> is the same fraction over the smaller side's units that were not constant
/// over the tokens (an SAE latent that never fired has r = 0 with everything and can never count as shared).
/// </summary>
public sealed record UnitMatching(
    string Method, int UnitsA, int UnitsB, int Pairs, double Threshold, double SharedFraction, double SharedFractionSe,
    double SharedOfFired, double SharedOfFiredSe,
    double MeanMatched, double MeanMaxA, double MeanMaxASe, double MeanMaxB, double MeanMaxBSe, int ConstantA, int ConstantB,
    int[] RowA, int[] ColumnB, double[] Similarity);

/// <summary>Comparing two dictionaries (or two models' neurons): SAE codes over tokens, matching by activation correlation
/// and by decoder cosine.</summary>
public static class SaeComparison
{
    /// <summary>The dense codes z (tokens × n, row-major) of <paramref name="sae"/> on <paramref name="x"/> (tokens × D),
    /// run in batches of its MaxRows; a latent that did not fire on a token has code 0.</summary>
    public static float[] Codes(SparseAutoencoder sae, ReadOnlySpan<float> x)
    {
        ArgumentNullException.ThrowIfNull(sae);
        int d = sae.Config.Inputs, n = sae.Config.Latents;
        if (x.Length % d != 0) throw new ArgumentException($"{x.Length} activations are not whole rows of width {d}");
        var tokens = x.Length / d;
        var z = new float[(long)tokens * n];
        for (var start = 0; start < tokens; start += sae.MaxRows)
        {
            var rows = Math.Min(sae.MaxRows, tokens - start);
            sae.Forward(x.Slice(start * d, rows * d), rows);
            for (var r = 0; r < rows; r++)
            {
                var latents = sae.ActiveLatents(r);
                var values = sae.ActiveValues(r);
                var row = z.AsSpan((start + r) * n, n);
                for (var j = 0; j < latents.Length; j++) row[latents[j]] = values[j] > 0 ? values[j] : 0;
            }
        }
        return z;
    }

    /// <summary>Matches the columns of <paramref name="a"/> (tokens × widthA) to those of <paramref name="b"/> (the same
    /// tokens × widthB) by their Pearson correlation over the tokens.</summary>
    public static UnitMatching ByCorrelation(ReadOnlySpan<float> a, int widthA, ReadOnlySpan<float> b, int widthB, double threshold)
    {
        var r = ActivationCorrelation.Correlate(a, widthA, b, widthB);
        return Summarise("activation correlation", r.Values, widthA, widthB, threshold, r.RowMax(), r.ColumnMax(), r.ConstantA, r.ConstantB);
    }

    /// <summary>Matches the latents of two SAEs that read the same width by the cosine of their decoder rows (directions in
    /// activation space). Only meaningful when the two activation spaces share a basis (two SAEs of one model).</summary>
    public static UnitMatching ByDecoderCosine(SaeConfig configA, ReadOnlySpan<float> decoderA, SaeConfig configB, ReadOnlySpan<float> decoderB, double threshold)
    {
        ArgumentNullException.ThrowIfNull(configA);
        ArgumentNullException.ThrowIfNull(configB);
        if (configA.Inputs != configB.Inputs)
        {
            throw new ArgumentException($"decoder cosine needs equal input widths, got {configA.Inputs} and {configB.Inputs}");
        }
        int d = configA.Inputs, na = configA.Latents, nb = configB.Latents;
        var s = new double[(long)na * nb];
        for (var i = 0; i < na; i++)
        {
            var row = decoderA.Slice(i * d, d);
            for (var j = 0; j < nb; j++) s[(long)i * nb + j] = TensorPrimitives.CosineSimilarity(row, decoderB.Slice(j * d, d));
        }
        var rowMax = new double[na];
        var colMax = new double[nb];
        Array.Fill(colMax, double.NegativeInfinity);
        for (var i = 0; i < na; i++)
        {
            rowMax[i] = TensorPrimitives.Max(s.AsSpan(i * nb, nb));
            for (var j = 0; j < nb; j++) colMax[j] = Math.Max(colMax[j], s[(long)i * nb + j]);
        }
        return Summarise("decoder cosine", s, na, nb, threshold, rowMax, colMax, 0, 0);
    }

    private static UnitMatching Summarise(string method, double[] similarity, int na, int nb, double threshold, double[] rowMax, double[] colMax, int constantA, int constantB)
    {
        if (!(threshold is >= -1 and <= 1)) throw new ArgumentException($"the threshold must be in [-1, 1], got {threshold}");
        var (row, column, matched) = DictionaryMatching.MatchRectangular(similarity, na, nb);
        var shared = DictionaryMatching.SharedFraction(matched, threshold);
        var fired = matched.Length - (na <= nb ? constantA : constantB);
        var ofFired = fired > 0 ? shared * matched.Length / fired : double.NaN;
        var (meanA, seA) = MeanSe(rowMax);
        var (meanB, seB) = MeanSe(colMax);
        return new UnitMatching(method, na, nb, matched.Length, threshold, shared, Math.Sqrt(shared * (1 - shared) / matched.Length),
            ofFired, fired > 0 ? Math.Sqrt(ofFired * (1 - ofFired) / fired) : double.NaN, matched.Average(), meanA, seA, meanB, seB, constantA, constantB, row, column, matched);
    }

    private static (double Mean, double Se) MeanSe(double[] x)
    {
        var mean = x.Average();
        if (x.Length < 2) return (mean, double.NaN);
        var ss = 0.0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(ss / (x.Length - 1) / x.Length));
    }
}
