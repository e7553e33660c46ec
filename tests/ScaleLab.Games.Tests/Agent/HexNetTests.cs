using ScaleLab.Games.Agent;
using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Tests.Agent;

public class HexNetTests
{
    private static (float[] Inputs, float[] Policy, float[] Value) RandomBatch(int n, int batch, int seed)
    {
        var rng = new Random(seed);
        var inputs = new float[batch * 2 * n * n];
        var policy = new float[batch * n * n];
        var value = new float[batch];
        for (var b = 0; b < batch; b++)
        {
            var board = new HexBoard(n);
            var plies = rng.Next(0, n * n / 2);
            for (var i = 0; i < plies && !board.IsOver; i++)
            {
                var m = board.LegalMoves();
                board.Play(m[rng.Next(m.Count)]);
            }
            if (board.IsOver) { b--; continue; }
            HexEncoding.Encode(board, inputs.AsSpan(b * 2 * n * n, 2 * n * n));
            // A random target distribution over the legal (canonical) cells.
            var legal = board.LegalMoves().Select(c => HexEncoding.CanonicalCell(board, c)).ToList();
            var weights = legal.Select(_ => rng.NextDouble() + 0.05).ToList();
            var total = weights.Sum();
            for (var i = 0; i < legal.Count; i++) policy[b * n * n + legal[i]] = (float)(weights[i] / total);
            value[b] = rng.Next(2) == 0 ? -1f : 1f;
        }
        return (inputs, policy, value);
    }

    private static HexNet RandomNet(HexNetShape shape, int seed)
    {
        // Non-zero heads and biases so every parameter's gradient is exercised.
        var net = HexNet.Create(shape, (ulong)seed);
        var rng = new Random(seed);
        for (var i = 0; i < net.Parameters.Length; i++)
        {
            if (net.Parameters[i] == 0f) net.Parameters[i] = (float)(0.3 * (rng.NextDouble() - 0.5));
        }
        return net;
    }

    private static double Loss(HexNetShape s, double[] p, double[] x, double[] pi, double[] z, int batch)
    {
        var w = s.Width;
        var hidden = new double[(s.Depth + 1) * batch * w];
        var act = new double[Math.Max(1, s.Depth) * batch * w];
        var logits = new double[batch * s.Cells];
        var values = new double[batch];
        HexNetMath<double, ReferenceLinear<double>>.Forward(s, p, x, batch, hidden, act, logits, values);
        var grad = new double[p.Length];
        var (lp, lv) = HexNetMath<double, ReferenceLinear<double>>.Backward(s, p, x, batch, pi, z, hidden, act, logits, values, grad,
            new double[batch * w], new double[HexNetMath<double, ReferenceLinear<double>>.ScratchSize(s, batch)]);
        return lp + lv;
    }

    [Theory]
    [InlineData(3, 5, 2)]
    [InlineData(4, 6, 0)]
    [InlineData(3, 4, 3)]
    public void Backward_Double_MatchesCentralDifferences(int n, int width, int depth)
    {
        // Given a random network and batch, in double
        var shape = new HexNetShape(n, width, depth);
        var net = RandomNet(shape, 7 + depth);
        const int batch = 5;
        var (xf, pif, zf) = RandomBatch(n, batch, 11);
        double[] p = [.. net.Parameters.Select(v => (double)v)], x = [.. xf.Select(v => (double)v)],
            pi = [.. pif.Select(v => (double)v)], z = [.. zf.Select(v => (double)v)];
        var w = shape.Width;
        var hidden = new double[(depth + 1) * batch * w];
        var act = new double[Math.Max(1, depth) * batch * w];
        var logits = new double[batch * shape.Cells];
        var values = new double[batch];
        var grad = new double[p.Length];
        // When the analytic gradient is taken
        HexNetMath<double, ReferenceLinear<double>>.Forward(shape, p, x, batch, hidden, act, logits, values);
        HexNetMath<double, ReferenceLinear<double>>.Backward(shape, p, x, batch, pi, z, hidden, act, logits, values, grad,
            new double[batch * w], new double[HexNetMath<double, ReferenceLinear<double>>.ScratchSize(shape, batch)]);
        // Then it equals central differences of the loss for every parameter
        const double h = 1e-6;
        var worst = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var keep = p[i];
            p[i] = keep + h;
            var up = Loss(shape, p, x, pi, z, batch);
            p[i] = keep - h;
            var down = Loss(shape, p, x, pi, z, batch);
            p[i] = keep;
            var numeric = (up - down) / (2 * h);
            var err = Math.Abs(numeric - grad[i]) / (1e-6 + Math.Abs(numeric) + Math.Abs(grad[i]));
            worst = Math.Max(worst, Math.Abs(numeric - grad[i]) < 1e-7 ? 0 : err);
        }
        Assert.True(worst < 1e-4, $"worst relative gradient error {worst:E2}");
        Assert.Contains(grad, g => Math.Abs(g) > 1e-3);
    }

    [Fact]
    public void LossAndGradient_Float_MatchesDoubleReference()
    {
        // Given a width-32 depth-2 network on 5x5 and a batch of 37 positions (remainders in every GEMM tile)
        var shape = new HexNetShape(5, 32, 2);
        var net = RandomNet(shape, 3);
        const int batch = 37;
        var (x, pi, z) = RandomBatch(5, batch, 5);
        // When the float path (engine SGEMM) and the double reference both run
        var grad = new float[shape.ParameterCount];
        var (lp, lv) = net.LossAndGradient(x, pi, z, batch, grad);
        double[] pd = [.. net.Parameters.Select(v => (double)v)];
        var w = shape.Width;
        var gd = new double[pd.Length];
        var hidden = new double[(shape.Depth + 1) * batch * w];
        var act = new double[shape.Depth * batch * w];
        var logits = new double[batch * shape.Cells];
        var values = new double[batch];
        double[] xd = [.. x.Select(v => (double)v)], pid = [.. pi.Select(v => (double)v)], zd = [.. z.Select(v => (double)v)];
        HexNetMath<double, ReferenceLinear<double>>.Forward(shape, pd, xd, batch, hidden, act, logits, values);
        var (rp, rv) = HexNetMath<double, ReferenceLinear<double>>.Backward(shape, pd, xd, batch, pid, zd, hidden, act, logits, values, gd,
            new double[batch * w], new double[HexNetMath<double, ReferenceLinear<double>>.ScratchSize(shape, batch)]);
        // Then losses and gradients agree to float precision
        Assert.Equal(rp, lp, 4);
        Assert.Equal(rv, lv, 4);
        var scale = gd.Max(Math.Abs);
        for (var i = 0; i < gd.Length; i++) Assert.True(Math.Abs(gd[i] - grad[i]) < 1e-4 * scale + 1e-6, $"parameter {i}: {grad[i]} vs {gd[i]}");
    }

    [Theory]
    [InlineData(5, 32, 2, 37)]
    [InlineData(3, 13, 0, 1)]
    [InlineData(4, 24, 3, 17)]
    [InlineData(9, 40, 1, 33)]
    [InlineData(5, 256, 4, 64)]
    public void Evaluate_Float_MatchesDoubleReferenceForward(int n, int width, int depth, int batch)
    {
        // Given a network with non-zero heads and a batch of positions (widths and batches that leave edge tiles)
        var shape = new HexNetShape(n, width, depth);
        var net = RandomNet(shape, 21 + width);
        var (x, _, _) = RandomBatch(n, batch, 23);
        // When the float inference path (feature-major fused kernel) and the double training-path reference run
        var priors = new float[batch * shape.Cells];
        var values = new float[batch];
        net.Evaluate(x, batch, priors, values);
        double[] pd = [.. net.Parameters.Select(v => (double)v)], xd = [.. x.Select(v => (double)v)];
        var logits = new double[batch * shape.Cells];
        var refValues = new double[batch];
        HexNetMath<double, ReferenceLinear<double>>.Forward(shape, pd, xd, batch, new double[(depth + 1) * batch * width],
            new double[Math.Max(1, depth) * batch * width], logits, refValues);
        // Then priors (after the masked softmax) and values agree to float precision
        for (var b = 0; b < batch; b++)
        {
            HexNetMath<double, ReferenceLinear<double>>.MaskedSoftmax(logits.AsSpan(b * shape.Cells, shape.Cells), xd.AsSpan(b * shape.Inputs, shape.Inputs), shape.Cells);
            Assert.True(Math.Abs(values[b] - refValues[b]) < 1e-5, $"value {b}: {values[b]} vs {refValues[b]}");
        }
        for (var i = 0; i < logits.Length; i++) Assert.True(Math.Abs(priors[i] - logits[i]) < 1e-5, $"prior {i}: {priors[i]} vs {logits[i]}");
        Assert.Contains(refValues, v => Math.Abs(v) > 1e-2);
    }

    [Fact]
    public void Evaluate_Batch_EqualsOneAtATimeAndIsAMaskedDistribution()
    {
        // Given a network and 20 positions
        var shape = new HexNetShape(4, 24, 2);
        var net = RandomNet(shape, 9);
        const int batch = 20;
        var (x, _, _) = RandomBatch(4, batch, 13);
        // When evaluated as one batch and one position at a time
        var priors = new float[batch * 16];
        var values = new float[batch];
        net.Evaluate(x, batch, priors, values);
        for (var b = 0; b < batch; b++)
        {
            var p1 = new float[16];
            var v1 = new float[1];
            net.Evaluate(x.AsSpan(b * 32, 32), 1, p1, v1);
            // Then the results agree, priors sum to 1 over empty cells and are 0 on occupied ones
            Assert.Equal(v1[0], values[b], 5);
            var sum = 0.0;
            for (var a = 0; a < 16; a++)
            {
                Assert.Equal(p1[a], priors[b * 16 + a], 5);
                var occupied = x[b * 32 + a] + x[b * 32 + 16 + a] > 0;
                if (occupied) Assert.Equal(0f, priors[b * 16 + a]);
                sum += priors[b * 16 + a];
            }
            Assert.Equal(1.0, sum, 5);
            Assert.InRange(values[b], -1f, 1f);
        }
    }

    [Fact]
    public void Encode_WhiteToMove_IsTheTransposedColourSwappedPosition()
    {
        // Given a 3x3 position after Black a1 (White to move) and the mirror position with Black to move
        var board = new HexBoard(3);
        board.Play(HexMoves.TryParse(3, "b1", out var c, out _) ? c : -1);
        var x = new float[18];
        HexEncoding.Encode(board, x);
        // Then the mover's plane is empty and the opponent's stone is at the transposed cell a2 (row 2, column a)
        Assert.All(x[..9], v => Assert.Equal(0f, v));
        Assert.Equal(1f, x[9 + 3]);
        Assert.Equal(1f, x.Sum());
    }
}
