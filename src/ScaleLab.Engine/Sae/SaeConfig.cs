using System.Text.Json.Serialization;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Sae;

/// <summary>The two sparse-autoencoder families.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SaeFamily>))]
public enum SaeFamily
{
    /// <summary>TopK activation with the AuxK loss for dead latents (Gao et al. 2024, "Scaling and evaluating sparse
    /// autoencoders", §2.3 and Appendix A.2).</summary>
    TopK,

    /// <summary>ReLU with an L1 penalty on the codes, unit-norm decoder rows and dead-latent resampling (Bricken et al.
    /// 2023, "Towards Monosemanticity").</summary>
    ReluL1,
}

/// <summary>
/// The shape and loss of a sparse autoencoder on activations of width D = <paramref name="Inputs"/> with
/// L = <paramref name="Latents"/> latents (n in the literature). Model and loss, for a batch of N rows x (N,D):
/// <code>
///   pre = (x − b_pre)·W_encᵀ + b_enc                         (N,L)
///   z   = TopK_k(pre) then ReLU   |   ReLU(pre)               (N,L), sparse
///   x̂   = z·W_dec + b_pre                                     (N,D)
///   loss = Σ‖x̂ − x‖² / (N·D)                                  reconstruction (mean squared error per element)
///        + α · Σ‖ê − e‖² / Σ‖e − ē‖²                          AuxK (TopK with AuxK > 0 and dead latents):
///                                                               e = x − x̂ held constant, ê = z_aux·W_dec with z_aux the
///                                                               top AuxK pre-activations among dead latents, ReLU'd;
///                                                               ē = the batch mean of e. Normalised by the residual's
///                                                               spread as in Gao et al.'s reference code (normalized_mse),
///                                                               so its pull does not fade as reconstruction improves;
///                                                               0 when e is constant over the batch
///        + λ · Σ z / N                                        L1 (ReluL1; z ≥ 0 so Σ|z| = Σz)
/// </code>
/// W_enc (L,D), b_enc (L), W_dec (L,D) with one unit-norm row per latent (its dictionary direction), b_pre (D).
/// </summary>
public sealed record SaeConfig(
    SaeFamily Family,
    int Inputs,
    int Latents,
    int K = 32,
    int AuxK = 0,
    double AuxCoefficient = SaeConfig.DefaultAuxCoefficient,
    double L1Coefficient = 0)
{
    /// <summary>AuxK's α by default (Gao et al. 2024 §A.2).</summary>
    public const double DefaultAuxCoefficient = 1.0 / 32;

    /// <summary>Throws one line naming the bad field.</summary>
    public void Validate()
    {
        if (Inputs < 1) throw new ArgumentException($"SAE input width must be ≥ 1, got {Inputs}");
        if (Latents < 1) throw new ArgumentException($"SAE latent count n must be ≥ 1, got {Latents}");
        if ((long)Latents * Inputs * 2 + Latents + Inputs > Array.MaxLength)
        {
            throw new ArgumentException($"an SAE with n = {Latents} latents on width {Inputs} has more parameters than one buffer holds");
        }
        if (Family == SaeFamily.TopK)
        {
            if (K < 1 || K > Latents) throw new ArgumentException($"k must be in 1..n = {Latents} (the latent count), got k = {K}");
            if (AuxK < 0 || AuxK > Latents) throw new ArgumentException($"AuxK must be in 0..n = {Latents}, got {AuxK}");
            if (!(AuxCoefficient >= 0) || double.IsInfinity(AuxCoefficient)) throw new ArgumentException($"AuxK coefficient must be finite and ≥ 0, got {AuxCoefficient}");
        }
        else if (!(L1Coefficient >= 0) || double.IsInfinity(L1Coefficient))
        {
            throw new ArgumentException($"L1 coefficient λ must be finite and ≥ 0, got {L1Coefficient}");
        }
    }

    /// <summary>Offset of W_enc (L,D) in the flat parameter buffer.</summary>
    [JsonIgnore] public int EncoderWeightOffset => 0;

    /// <summary>Offset of b_enc (L).</summary>
    [JsonIgnore] public int EncoderBiasOffset => Latents * Inputs;

    /// <summary>Offset of W_dec (L,D).</summary>
    [JsonIgnore] public int DecoderWeightOffset => Latents * Inputs + Latents;

    /// <summary>Offset of b_pre (D).</summary>
    [JsonIgnore] public int PreBiasOffset => 2 * Latents * Inputs + Latents;

    /// <summary>All parameters: 2·L·D + L + D.</summary>
    [JsonIgnore] public int ParameterCount => 2 * Latents * Inputs + Latents + Inputs;

    /// <summary>Entries a row's code list holds: k for TopK, every latent for ReluL1.</summary>
    [JsonIgnore] public int CodeCapacity => Family == SaeFamily.TopK ? K : Latents;

    /// <summary>Entries a row's AuxK list holds (0 without AuxK).</summary>
    [JsonIgnore] public int AuxCapacity => Family == SaeFamily.TopK ? AuxK : 0;

    /// <summary>The AdamW segments: none decayed (Gao et al. and Bricken et al. train SAEs without weight decay; the
    /// decoder's scale is fixed by its unit-norm rows instead).</summary>
    [JsonIgnore]
    public IReadOnlyList<ParameterSegment> Segments =>
    [
        new(EncoderWeightOffset, Latents * Inputs, false),
        new(EncoderBiasOffset, Latents, false),
        new(DecoderWeightOffset, Latents * Inputs, false),
        new(PreBiasOffset, Inputs, false),
    ];

    /// <summary>One line for logs: family, n, k or λ.</summary>
    public string Describe() => Family == SaeFamily.TopK
        ? $"TopK n={Latents} k={K} auxk={AuxK} on width {Inputs}"
        : $"ReLU+L1 n={Latents} λ={L1Coefficient:G4} on width {Inputs}";
}
