using ScaleLab.Engine.Kernels;
using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>Each reference backward kernel, run in double, against central differences of the scalar
/// loss Σ output ⊙ R for a random R (so dout = R).</summary>
public sealed class KernelGradientTests
{
    [Fact]
    public void EncoderBackward_RepeatedTokens_MatchesCentralDifferences()
    {
        // Given: B=2, T=4, C=3, V=5, tokens repeated so the scatter-add to wte is exercised.
        int B = 2, T = 4, C = 3, V = 5;
        var rng = new Rng(1);
        var inp = new[] { 1, 3, 1, 0, 4, 1, 3, 3 };
        var wte = Gaussian(rng, V * C);
        var wpe = Gaussian(rng, T * C);
        var r = Gaussian(rng, B * T * C);
        double Loss()
        {
            var o = new double[B * T * C];
            Encoder.ForwardReference<double>(inp, wte, wpe, B, T, C, o);
            return Dot(o, r);
        }

        // When
        var dwte = new double[V * C];
        var dwpe = new double[T * C];
        Encoder.BackwardReference<double>(r, inp, B, T, C, dwte, dwpe);

        // Then
        AssertGradient("dwte", Loss, wte, dwte);
        AssertGradient("dwpe", Loss, wpe, dwpe);
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(4, 1)]
    [InlineData(2, 13)]
    public void LayerNormBackward_RandomRows_MatchesCentralDifferences(int N, int C)
    {
        // Given
        var rng = new Rng(2);
        var inp = Gaussian(rng, N * C, 2.0);
        var w = Gaussian(rng, C);
        var b = Gaussian(rng, C);
        var r = Gaussian(rng, N * C);
        var mean = new double[N];
        var rstd = new double[N];
        double Loss()
        {
            var o = new double[N * C];
            LayerNorm.ForwardReference<double>(inp, w, b, N, C, o, new double[N], new double[N]);
            return Dot(o, r);
        }

        // When
        LayerNorm.ForwardReference<double>(inp, w, b, N, C, new double[N * C], mean, rstd);
        var dinp = new double[N * C];
        var dw = new double[C];
        var db = new double[C];
        LayerNorm.BackwardReference<double>(r, inp, w, mean, rstd, N, C, dinp, dw, db);

        // Then
        AssertGradient("dinp", Loss, inp, dinp);
        AssertGradient("dweight", Loss, w, dw);
        AssertGradient("dbias", Loss, b, db);
    }

    [Theory]
    [InlineData(3, 4, 5, true)]
    [InlineData(7, 1, 3, false)]
    public void MatmulBackward_RandomShapes_MatchesCentralDifferences(int N, int C, int OC, bool withBias)
    {
        // Given
        var rng = new Rng(3);
        var inp = Gaussian(rng, N * C);
        var w = Gaussian(rng, OC * C);
        var b = withBias ? Gaussian(rng, OC) : [];
        var r = Gaussian(rng, N * OC);
        double Loss()
        {
            var o = new double[N * OC];
            Matmul.ForwardReference<double>(inp, w, b, N, C, OC, o);
            return Dot(o, r);
        }

        // When
        var dinp = new double[N * C];
        var dw = new double[OC * C];
        var db = new double[b.Length];
        Matmul.BackwardReference<double>(r, inp, w, N, C, OC, dinp, dw, db);

        // Then
        AssertGradient("dinp", Loss, inp, dinp);
        AssertGradient("dweight", Loss, w, dw);
        AssertGradient("dbias", Loss, b, db);
    }

    [Theory]
    [InlineData(2, 5, 8, 2)]
    [InlineData(1, 4, 6, 2)]
    [InlineData(2, 3, 5, 1)]
    [InlineData(1, 1, 4, 4)]
    public void AttentionBackward_CausalHeads_MatchesCentralDifferences(int B, int T, int C, int NH)
    {
        // Given
        var rng = new Rng(4);
        var qkv = Gaussian(rng, B * T * 3 * C);
        var r = Gaussian(rng, B * T * C);
        double Loss()
        {
            var o = new double[B * T * C];
            Attention.ForwardReference<double>(qkv, B, T, C, NH, o, new double[B * NH * T * T]);
            return Dot(o, r);
        }

        // When
        var att = new double[B * NH * T * T];
        Attention.ForwardReference<double>(qkv, B, T, C, NH, new double[B * T * C], att);
        var dqkv = new double[B * T * 3 * C];
        Attention.BackwardReference<double>(r, qkv, att, B, T, C, NH, dqkv);

        // Then
        AssertGradient("dqkv", Loss, qkv, dqkv);
    }

    [Fact]
    public void GeluBackward_WideRange_MatchesCentralDifferences()
    {
        // Given: inputs spread over ±6 so both tails and the bend are covered.
        var rng = new Rng(5);
        var inp = Gaussian(rng, 64, 3.0);
        var r = Gaussian(rng, 64);
        double Loss()
        {
            var o = new double[64];
            Gelu.ForwardReference<double>(inp, 64, o);
            return Dot(o, r);
        }

        // When
        var dinp = new double[64];
        Gelu.BackwardReference<double>(r, inp, 64, dinp);

        // Then
        AssertGradient("dinp", Loss, inp, dinp);
    }

    [Fact]
    public void ResidualBackward_Random_MatchesCentralDifferences()
    {
        // Given
        var rng = new Rng(6);
        var a = Gaussian(rng, 10);
        var b = Gaussian(rng, 10);
        var r = Gaussian(rng, 10);
        double Loss()
        {
            var o = new double[10];
            Residual.ForwardReference<double>(a, b, 10, o);
            return Dot(o, r);
        }

        // When
        var da = new double[10];
        var db = new double[10];
        Residual.BackwardReference<double>(r, 10, da, db);

        // Then
        AssertGradient("dinp1", Loss, a, da);
        AssertGradient("dinp2", Loss, b, db);
    }

    [Fact]
    public void CrossEntropyBackward_WeightedRows_MatchesCentralDifferences()
    {
        // Given: loss = Σ_n w_n·losses[n] with random row weights w (the model uses w = 1/N).
        int N = 4, V = 7;
        var rng = new Rng(7);
        var logits = Gaussian(rng, N * V, 3.0);
        var targets = Tokens(rng, N, V);
        var weights = Gaussian(rng, N);
        double Loss()
        {
            var losses = new double[N];
            CrossEntropy.ForwardReference<double>(logits, targets, N, V, new double[N * V], losses);
            return Dot(losses, weights);
        }

        // When
        var probs = new double[N * V];
        CrossEntropy.ForwardReference<double>(logits, targets, N, V, probs, new double[N]);
        var dlogits = new double[N * V];
        CrossEntropy.BackwardReference<double>(probs, targets, weights, N, V, dlogits);

        // Then
        AssertGradient("dlogits", Loss, logits, dlogits);
    }

    [Fact]
    public void CrossEntropyForward_HugeLogitGap_GivesFiniteLoss()
    {
        // Given: the target's probability e^-200 underflows float; the log-sum-exp form still gives 200 nats.
        var logits = new float[] { 200f, 0f };

        // When
        var losses = new float[1];
        CrossEntropy.Forward(logits, [1], 1, 2, new float[2], losses);

        // Then
        Assert.Equal(200f, losses[0], 3);
    }
}
