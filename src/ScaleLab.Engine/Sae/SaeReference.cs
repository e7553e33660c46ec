using System.Numerics;

namespace ScaleLab.Engine.Sae;

/// <summary>
/// The naive sparse autoencoder: dense loops, generic over the float type, so gradients are checked against central
/// differences in double and the fast float <see cref="SparseAutoencoder"/> is checked against it. Never optimised.
/// Loss and model as <see cref="SaeConfig"/> states. Selection: latents ranked by pre-activation, larger first, the lower
/// index first on a tie (the fast path's rule).
/// </summary>
public static class SaeReference
{
    /// <summary>The loss terms of a batch and, when <paramref name="gradients"/> is not empty, their gradient added into it
    /// (same layout as the parameters). x (N,D); <paramref name="dead"/> (L) marks the latents AuxK may use (empty: none);
    /// <paramref name="auxTarget"/> (N,D) replaces e = x − x̂ in the AuxK term (empty: computed here). The gradient treats e
    /// as a constant either way (it is detached in Gao et al.); pass the e of the unperturbed parameters to check it by
    /// central differences.</summary>
    public static (TReal Reconstruction, TReal Aux, TReal L1) LossAndGradient<TReal>(SaeConfig config, ReadOnlySpan<TReal> parameters,
        ReadOnlySpan<TReal> x, int rows, ReadOnlySpan<bool> dead, ReadOnlySpan<TReal> auxTarget, Span<TReal> gradients)
        where TReal : IFloatingPointIeee754<TReal>
    {
        ArgumentNullException.ThrowIfNull(config);
        int D = config.Inputs, L = config.Latents, N = rows;
        // Arrays rather than spans so the local function below can use them (a reference need not be fast).
        var wEnc = parameters.Slice(config.EncoderWeightOffset, L * D).ToArray();
        var bEnc = parameters.Slice(config.EncoderBiasOffset, L).ToArray();
        var wDec = parameters.Slice(config.DecoderWeightOffset, L * D).ToArray();
        var bPre = parameters.Slice(config.PreBiasOffset, D).ToArray();
        var isDead = dead.ToArray();
        var xs = x.ToArray();
        var grad = new TReal[gradients.Length];
        var scale = TReal.One / TReal.CreateChecked(N * D);
        var two = TReal.CreateChecked(2);
        var alpha = TReal.CreateChecked(config.AuxCoefficient);
        var lambda = TReal.CreateChecked(config.L1Coefficient) / TReal.CreateChecked(N);
        TReal recon = TReal.Zero, aux = TReal.Zero, l1 = TReal.Zero;
        var xc = new TReal[D];
        var pre = new TReal[L];
        var diff = new TReal[D];
        var auxDiff = new TReal[D];
        var hasAux = config.AuxCapacity > 0 && isDead.Any(d => d);
        int[] Encode(int n)
        {
            // xc = x − b_pre; pre = xc·W_encᵀ + b_enc; the active latents
            for (var d = 0; d < D; d++) xc[d] = xs[n * D + d] - bPre[d];
            for (var l = 0; l < L; l++)
            {
                var s = bEnc[l];
                for (var d = 0; d < D; d++) s += xc[d] * wEnc[l * D + d];
                pre[l] = s;
            }
            var selected = Select(pre, config.Family == SaeFamily.TopK ? config.K : L, _ => true);
            // x̂ = z·W_dec + b_pre; diff = x̂ − x
            for (var d = 0; d < D; d++)
            {
                var s = bPre[d];
                foreach (var l in selected) s += pre[l] * wDec[l * D + d];
                diff[d] = s - xs[n * D + d];
            }
            return selected;
        }
        // The AuxK residual e = x − x̂ of every row (or the given target) and its spread Σ‖e − ē‖², the AuxK denominator.
        var residual = new TReal[hasAux ? N * D : 0];
        var spread = TReal.Zero;
        if (hasAux)
        {
            for (var n = 0; n < N; n++)
            {
                Encode(n);
                for (var d = 0; d < D; d++) residual[n * D + d] = auxTarget.IsEmpty ? -diff[d] : auxTarget[n * D + d];
            }
            for (var d = 0; d < D; d++)
            {
                var mean = TReal.Zero;
                for (var n = 0; n < N; n++) mean += residual[n * D + d];
                mean /= TReal.CreateChecked(N);
                for (var n = 0; n < N; n++) spread += (residual[n * D + d] - mean) * (residual[n * D + d] - mean);
            }
        }
        var auxScale = spread > TReal.Zero ? TReal.One / spread : TReal.Zero;
        for (var n = 0; n < N; n++)
        {
            var active = Encode(n);
            var auxActive = hasAux ? Select(pre, config.AuxK, l => isDead[l]) : [];
            for (var d = 0; d < D; d++) recon += diff[d] * diff[d] * scale;
            // ê = z_aux·W_dec; auxDiff = ê − e (a row whose dead latents are all negative still adds ‖e‖²)
            if (hasAux)
            {
                for (var d = 0; d < D; d++)
                {
                    var s = TReal.Zero;
                    foreach (var l in auxActive) s += pre[l] * wDec[l * D + d];
                    auxDiff[d] = s - residual[n * D + d];
                    aux += alpha * auxDiff[d] * auxDiff[d] * auxScale;
                }
            }
            if (config.Family == SaeFamily.ReluL1)
            {
                foreach (var l in active) l1 += lambda * pre[l];
            }
            if (gradients.IsEmpty) continue;

            // Backward of this row. d(recon)/dx̂ = 2·diff/(N·D); d(aux)/dê = 2α·auxDiff/Σ‖e − ē‖²; d(l1)/dz = λ/N.
            for (var d = 0; d < D; d++) grad[config.PreBiasOffset + d] += two * diff[d] * scale;
            Accumulate(active, two * scale, diff, lambda);
            if (auxActive.Length > 0) Accumulate(auxActive, two * alpha * auxScale, auxDiff, TReal.Zero);

            void Accumulate(int[] latents, TReal factor, TReal[] upstream, TReal extra)
            {
                foreach (var l in latents)
                {
                    // x̂ (or ê) += z_l·W_dec[l]: dW_dec[l] += z_l·up; dz_l = up·W_dec[l] (+ λ/N for L1)
                    var dz = extra;
                    for (var d = 0; d < D; d++)
                    {
                        grad[config.DecoderWeightOffset + l * D + d] += pre[l] * factor * upstream[d];
                        dz += factor * upstream[d] * wDec[l * D + d];
                    }
                    // z_l = pre_l > 0 here, so dpre = dz: db_enc += dpre, dW_enc[l] += dpre·xc, db_pre −= dpre·W_enc[l]
                    grad[config.EncoderBiasOffset + l] += dz;
                    for (var d = 0; d < D; d++)
                    {
                        grad[config.EncoderWeightOffset + l * D + d] += dz * xc[d];
                        grad[config.PreBiasOffset + d] -= dz * wEnc[l * D + d];
                    }
                }
            }
        }
        for (var i = 0; i < grad.Length; i++) gradients[i] += grad[i];
        return (recon, aux, l1);
    }

    /// <summary>Indices of the <paramref name="k"/> largest of <paramref name="pre"/> among those <paramref name="allowed"/>,
    /// larger first and the lower index first on a tie, keeping only positive ones (the ReLU after TopK).</summary>
    private static int[] Select<TReal>(TReal[] pre, int k, Func<int, bool> allowed) where TReal : IFloatingPointIeee754<TReal>
    {
        var order = Enumerable.Range(0, pre.Length).Where(allowed).OrderByDescending(l => pre[l]).ThenBy(l => l);
        return [.. order.Take(k).Where(l => pre[l] > TReal.Zero)];
    }
}
