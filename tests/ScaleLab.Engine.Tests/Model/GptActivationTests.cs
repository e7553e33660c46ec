using static ScaleLab.Engine.Tests.Kernels.GradCheck;

namespace ScaleLab.Engine.Tests.Model;

public sealed class GptActivationTests
{
    private static readonly GptConfig Config = new(Layers: 3, DModel: 24, Heads: 3, SeqLen: 7, Vocab: 19);

    private static Gpt Model(int threads)
    {
        var model = new Gpt(Config, 3, threads);
        model.InitWeights(new Rng(101));
        foreach (var t in model.Layout.Where(t => t.IsMatrix))
        {
            for (var i = t.Offset; i < t.Offset + t.Length; i++) model.Parameters[i] *= 10;
        }
        return model;
    }

    public static TheoryData<ActivationKind, int, int> Sites()
    {
        var data = new TheoryData<ActivationKind, int, int>();
        foreach (var kind in new[] { ActivationKind.Residual, ActivationKind.MlpHidden })
        {
            foreach (var layer in new[] { 0, 1, 2 })
            {
                foreach (var threads in new[] { 1, 2 }) data.Add(kind, layer, threads);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sites))]
    public void ForwardFrom_UnmodifiedActivation_ReproducesCleanPassExactly(ActivationKind kind, int layer, int threads)
    {
        // Given
        using var model = Model(threads);
        var rng = new Rng(102);
        var inputs = Tokens(rng, 21, 19);
        var targets = Tokens(rng, 21, 19);
        var site = new ActivationSite(kind, layer);
        var cleanLoss = model.Forward(inputs, targets, 3, 7);
        var cleanLogits = model.Logits.ToArray();
        var activation = model.Activation(site).ToArray();

        // When
        var loss = model.ForwardFrom(site, activation, targets);

        // Then
        Assert.Equal(21 * site.Width(Config), activation.Length);
        Assert.Equal(cleanLoss, loss);
        Assert.Equal(cleanLogits, model.Logits.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ForwardFrom_ResidualOfAnotherBatch_EqualsThatBatchsForwardExactly(int layer)
    {
        // Given: the rest of the model after a residual site depends on nothing but the residual stream there.
        using var model = Model(2);
        var rng = new Rng(103);
        var first = Tokens(rng, 21, 19);
        var second = Tokens(rng, 21, 19);
        var targets = Tokens(rng, 21, 19);
        var site = ActivationSite.ResidualAfter(layer);
        var secondLoss = model.Forward(second, targets, 3, 7);
        var secondLogits = model.Logits.ToArray();
        var secondResidual = model.Activation(site).ToArray();

        // When
        model.Forward(first, targets, 3, 7);
        var firstLogits = model.Logits.ToArray();
        var loss = model.ForwardFrom(site, secondResidual, targets);

        // Then
        Assert.NotEqual(firstLogits, secondLogits);
        Assert.Equal(secondLoss, loss);
        Assert.Equal(secondLogits, model.Logits.ToArray());
    }

    [Theory]
    [InlineData(ActivationKind.Residual, 0)]
    [InlineData(ActivationKind.MlpHidden, 0)]
    [InlineData(ActivationKind.MlpHidden, 2)]
    public void ForwardFrom_AblatedActivation_MatchesDoubleReference(ActivationKind kind, int layer)
    {
        // Given: half the channels of the activation zeroed and the rest scaled (an ablation, far from the clean pass),
        // in the float model and in the double reference with the same weights.
        using var model = Model(1);
        var reference = new GptReference<double>(Config);
        Array.Copy(ToDouble(model.Parameters), reference.Parameters, model.Parameters.Length);
        var rng = new Rng(104);
        var inputs = Tokens(rng, 21, 19);
        var targets = Tokens(rng, 21, 19);
        var site = new ActivationSite(kind, layer);
        var cleanLoss = model.Forward(inputs, targets, 3, 7);
        reference.Forward(inputs, targets, 3, 7);
        var ablated = model.Activation(site).ToArray();
        for (var i = 0; i < ablated.Length; i++) ablated[i] = i % 2 == 0 ? 0f : 1.5f * ablated[i];

        // When
        var loss = model.ForwardFrom(site, ablated, targets);
        var referenceLoss = reference.ForwardFrom(site, ToDouble(ablated), targets);

        // Then: the splice changed the pass, and the fast model agrees with the reference on it.
        Assert.True(Math.Abs(loss - cleanLoss) > 1e-3, $"ablation left the loss at {loss} (clean {cleanLoss})");
        Assert.Equal(referenceLoss, loss, 1e-5 * referenceLoss);
        AssertClose("logits", model.Logits, reference.Logits, atol: 1e-4, rtol: 1e-4);
    }

    [Fact]
    public void ForwardFrom_Misuse_ThrowsOneLine()
    {
        // Given
        using var model = Model(1);
        var inputs = Tokens(new Rng(105), 21, 19);
        Assert.Throws<InvalidOperationException>(() => model.ForwardFrom(ActivationSite.ResidualAfter(0), new float[21 * 24], []));
        model.Forward(inputs, inputs, 3, 7);

        // When / Then
        Assert.Contains("expected B·T·96", Assert.Throws<ArgumentException>(() => model.ForwardFrom(ActivationSite.MlpHidden(1), new float[21 * 24], [])).Message);
        Assert.Contains("0..2", Assert.Throws<ArgumentException>(() => model.Activation(ActivationSite.ResidualAfter(3))).Message);
        model.ForwardFrom(ActivationSite.ResidualAfter(1), model.Activation(ActivationSite.ResidualAfter(1)), inputs);
        Assert.Contains("Forward before Backward", Assert.Throws<InvalidOperationException>(model.Backward).Message);
        model.Forward(inputs, inputs, 3, 7);
        model.Backward();
    }
}
