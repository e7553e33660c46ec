using System.Runtime.Intrinsics;
using ScaleLab.Engine.Kernels;

namespace ScaleLab.Engine.Tests.Kernels;

/// <summary>
/// The fast GELU and softmax never write a subnormal float: every operation on a subnormal lane takes the processor's
/// slow path. Before the flush, a 2x40 model without weight decay trained at half speed after 10,000 steps (its MLP
/// inputs drift below −7 and its attention sharpens: GELU's backward product gelu'(x)·dout and the attention
/// probabilities went subnormal, then the gradients and Adam's second moments behind them). Terms below 2^-64 of
/// their scale are exactly 0 instead; each test's negative control computes the same quantity without the flush.
/// </summary>
public sealed unsafe class SubnormalFlushTests
{
    // Inputs from −1000 to +10 (every region of GELU, including below the flush point near −7.3 and the Exp clamp).
    private static float[] Inputs() => Enumerable.Range(0, 4040).Select(i => -1000f + (i * 0.25f)).ToArray();

    // Upstream gradients of ordinary and small sizes, 1e-12 to 1e-2, cycled over the inputs.
    private static float[] Douts(int n) => Enumerable.Range(0, n).Select(i => MathF.Pow(10f, -12 + (i % 11))).ToArray();

    [Fact]
    public void GeluForwardBackward_VeryNegativeInputsAndSmallGradients_WriteNoSubnormal()
    {
        // Given
        var x = Inputs();
        var dout = Douts(x.Length);
        var y = new float[x.Length];
        var dx = new float[x.Length];

        // When
        Gelu.Forward(x, x.Length, y);
        Gelu.Backward(dout, x, x.Length, dx);

        // Then
        Assert.DoesNotContain(y, float.IsSubnormal);
        Assert.DoesNotContain(dx, float.IsSubnormal);
    }

    [Fact]
    public void GeluBackward_WithoutTheFlush_NegativeControlWritesSubnormals()
    {
        // Given: gelu'(x)·dout from the unflushed σ form, gelu' = σ(2u)·(1 + du·σ(−2u)), as the kernel had it
        var x = Inputs();
        var dout = Douts(x.Length);

        // When
        var products = x.Select((xi, i) =>
        {
            var e = Gelu.ExpMinusTwoU(Vector256.Create(xi)).GetElement(0);
            var sp = 1f / (1f + e);
            var du = xi * ((float)(2 * 0.7978845608028654) + (float)(6 * 0.044715 * 0.7978845608028654) * xi * xi);
            return sp * (1f + du * (e * sp)) * dout[i];
        }).ToList();

        // Then
        Assert.Contains(products, float.IsSubnormal);
    }

    [Fact]
    public void GeluFlush_AgainstTheDoubleReference_ChangesNoOutputOrGradientByMoreThan1e17()
    {
        // Given: inputs around the flush point
        var x = Enumerable.Range(0, 800).Select(i => -12f + (i * 0.01f)).ToArray();
        var ones = Enumerable.Repeat(1f, x.Length).ToArray();
        var y = new float[x.Length];
        var dx = new float[x.Length];
        // The true values in double, in the σ form (the reference's 1 + tanh u is 0 in double out here)
        static double Sigma2U(double v) => 1 / (1 + Math.Exp(-2 * 0.7978845608028654 * (v + 0.044715 * v * v * v)));
        var yRef = x.Select(v => v * Sigma2U(v)).ToArray();
        var dxRef = x.Select(v =>
        {
            var sp = Sigma2U(v);
            return sp * (1 + 2 * 0.7978845608028654 * v * (1 + 3 * 0.044715 * v * v) * (1 - sp));
        }).ToArray();

        // When
        Gelu.Forward(x, x.Length, y);
        Gelu.Backward(ones, x, x.Length, dx);

        // Then: where flushed, the true values are below 1e-17; elsewhere the usual relative accuracy holds
        for (var i = 0; i < x.Length; i++)
        {
            if (y[i] == 0f)
            {
                Assert.True(Math.Abs(yRef[i]) < 1e-17 && Math.Abs(dxRef[i]) < 1e-17, $"x = {x[i]}: flushed, true gelu {yRef[i]:g3}, gelu' {dxRef[i]:g3}");
            }
            else
            {
                Assert.True(Math.Abs(y[i] - yRef[i]) <= 1e-5 * Math.Abs(yRef[i]) + 1e-30, $"x = {x[i]}: {y[i]:g9} vs {yRef[i]:g9}");
                Assert.True(Math.Abs(dx[i] - dxRef[i]) <= 1e-4 * Math.Abs(dxRef[i]) + 1e-30, $"x = {x[i]}: gelu' {dx[i]:g9} vs {dxRef[i]:g9}");
            }
        }
        Assert.Contains(y, v => v == 0f);
    }

    [Fact]
    public void SoftmaxInPlace_PeakedRows_WritesNoSubnormalAndSumsToOne()
    {
        // Given: rows of 40 scores whose spread reaches 200, four of them tied at the top so the sum is near 4 (and rows
        // of 9 for the scalar tail)
        foreach (var n in new[] { 40, 9 })
        {
            for (var spread = 10f; spread <= 200f; spread += 10f)
            {
                var row = Enumerable.Range(0, n).Select(i => i < 4 ? 0f : -spread * i / (n - 1)).ToArray();

                // When
                fixed (float* p = row)
                {
                    SimdMath.SoftmaxInPlace(p, n, 1f, out _);
                }

                // Then
                Assert.DoesNotContain(row, float.IsSubnormal);
                Assert.Equal(1.0, row.Sum(v => (double)v), 5);
            }
        }
    }

    [Fact]
    public void SoftmaxInPlace_WithoutTheFlush_NegativeControlWritesSubnormals()
    {
        // Given: the same peaked row, exponentiated and divided by its sum without the flush, as the kernel had it
        var row = Enumerable.Range(0, 40).Select(i => i < 4 ? 0f : -200f * i / 39).ToArray();

        // When
        var e = row.Select(v => SimdMath.Exp(Vector256.Create(v)).GetElement(0)).ToArray();
        var sum = e.Sum();
        var p = e.Select(v => v * (1f / sum)).ToList();

        // Then
        Assert.Contains(p, float.IsSubnormal);
    }
}
