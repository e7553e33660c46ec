using System.Text;
using ScaleLab.Engine.Training;

namespace ScaleLab.Engine.Tests.Model;

/// <summary>The engine against an independent PyTorch implementation of the same model
/// (tools/reference/gpt_reference.py, float64), on the committed fixture Fixtures/gpt_reference.bin.</summary>
public sealed class PyTorchReferenceTests
{
    [Fact]
    public void ForwardBackward_PyTorchFixture_MatchesLogitsLossAndEveryGradient()
    {
        // Given: L=2, C=16, NH=2, T=8, V=32, B=2 with PyTorch's weights.
        var f = Fixture.Load();
        using var model = f.CreateModel();

        // When
        var loss = model.Forward(f.Inputs, f.Targets, f.B, f.T);
        model.Backward();

        // Then: float against float64. Logits within 1e-5 absolute (they are O(1)); loss within 1e-5 relative;
        // each gradient tensor within 1e-4 of its largest entry plus 1e-4 relative.
        Assert.Equal(f.Loss, loss, 1e-5 * f.Loss);
        for (var i = 0; i < f.Logits.Length; i++)
        {
            Assert.True(Math.Abs(model.Logits[i] - f.Logits[i]) <= 1e-5, $"logits[{i}]: {model.Logits[i]} vs PyTorch {f.Logits[i]}");
        }
        foreach (var t in model.Layout)
        {
            var expected = f.Gradients.AsSpan(t.Offset, t.Length);
            var scale = 0.0;
            foreach (var g in expected) scale = Math.Max(scale, Math.Abs(g));
            Assert.True(scale > 1e-6, $"{t.Name}: PyTorch gradient is all but zero; the fixture would not test it");
            for (var i = 0; i < t.Length; i++)
            {
                var ours = model.Gradients[t.Offset + i];
                Assert.True(Math.Abs(ours - expected[i]) <= 1e-4 * scale + 1e-4 * Math.Abs(expected[i]),
                    $"{t.Name}[{i}]: {ours:G9} vs PyTorch {expected[i]:G9}");
            }
        }
    }

    [Fact]
    public void AdamWSteps_PyTorchFixture_FollowsTheLossTrajectory()
    {
        // Given: torch.optim.AdamW with decay on IsMatrix tensors only, the engine's AdamW with the same segments.
        var f = Fixture.Load();
        using var model = f.CreateModel();
        var segments = model.Layout.Select(t => new ParameterSegment(t.Offset, t.Length, t.IsMatrix)).ToArray();
        var optimizer = new AdamW(model.Parameters.Length, segments, new AdamWOptions(f.Beta1, f.Beta2, f.Epsilon, f.WeightDecay));

        // When
        var losses = new double[f.Steps];
        for (var step = 0; step < f.Steps; step++)
        {
            model.ZeroGrad();
            losses[step] = model.Forward(f.Inputs, f.Targets, f.B, f.T);
            model.Backward();
            optimizer.Update(model.Parameters, model.Gradients, f.LearningRate);
        }

        // Then: the loss falls from 3.72 to 1.54; float against float64 agrees to 1e-4 relative all the way.
        for (var step = 0; step < f.Steps; step++)
        {
            Assert.True(Math.Abs(losses[step] - f.Losses[step]) <= 1e-4 * f.Losses[step],
                $"step {step}: loss {losses[step]:G9} vs PyTorch {f.Losses[step]:G9}");
        }
    }

    private sealed record Fixture(int L, int C, int NH, int T, int V, int B, int Steps, double LearningRate, double Beta1,
        double Beta2, double Epsilon, double WeightDecay, int[] Inputs, int[] Targets, float[] Parameters, double[] Logits,
        double Loss, double[] Gradients, double[] Losses)
    {
        public Gpt CreateModel()
        {
            var model = new Gpt(new GptConfig(L, C, NH, T, V), B);
            Assert.Equal(model.Parameters.Length, Parameters.Length);
            Parameters.CopyTo(model.Parameters, 0);
            return model;
        }

        public static Fixture Load()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ScaleLab.slnx"))) dir = dir.Parent;
            Assert.NotNull(dir);
            var path = Path.Combine(dir.FullName, "tests", "ScaleLab.Engine.Tests", "Fixtures", "gpt_reference.bin");
            using var r = new BinaryReader(File.OpenRead(path));
            Assert.Equal("SLRF", Encoding.ASCII.GetString(r.ReadBytes(4)));
            Assert.Equal(1, r.ReadInt32());
            int L = r.ReadInt32(), C = r.ReadInt32(), NH = r.ReadInt32(), T = r.ReadInt32(), V = r.ReadInt32(), B = r.ReadInt32(), steps = r.ReadInt32();
            double lr = r.ReadDouble(), b1 = r.ReadDouble(), b2 = r.ReadDouble(), eps = r.ReadDouble(), wd = r.ReadDouble();
            var inputs = Enumerable.Range(0, B * T).Select(_ => r.ReadInt32()).ToArray();
            var targets = Enumerable.Range(0, B * T).Select(_ => r.ReadInt32()).ToArray();
            var p = (int)new GptConfig(L, C, NH, T, V).ParameterCount;
            var parameters = Enumerable.Range(0, p).Select(_ => r.ReadSingle()).ToArray();
            var logits = Enumerable.Range(0, B * T * V).Select(_ => r.ReadDouble()).ToArray();
            var loss = r.ReadDouble();
            var gradients = Enumerable.Range(0, p).Select(_ => r.ReadDouble()).ToArray();
            var losses = Enumerable.Range(0, steps).Select(_ => r.ReadDouble()).ToArray();
            Assert.Equal(r.BaseStream.Length, r.BaseStream.Position);
            return new Fixture(L, C, NH, T, V, B, steps, lr, b1, b2, eps, wd, inputs, targets, parameters, logits, loss, gradients, losses);
        }
    }
}
