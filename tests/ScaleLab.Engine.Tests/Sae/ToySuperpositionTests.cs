using ScaleLab.Engine.Sae;
using Xunit.Abstractions;

namespace ScaleLab.Engine.Tests.Sae;

/// <summary>
/// Ground truth for dictionary learning (Elhage et al. 2022's toy superposition, as Sharkey et al. 2022 and Gao et al.
/// 2024 use it): m = 48 random unit feature directions in d = 24 dimensions; each row is the sum of exactly s = 3 of
/// them, chosen uniformly, with magnitudes uniform in [0.5, 1.5]. A TopK SAE with k = s should find the directions: a
/// true feature counts as recovered when some decoder row has cosine &gt; 0.9 with it.
/// </summary>
public sealed class ToySuperpositionTests(ITestOutputHelper output)
{
    private const int M = 48, Dim = 24, Active = 3, Rows = 16384;

    private static (float[] Features, float[] Data) Toy(ulong seed)
    {
        var rng = new Rng(seed);
        var features = new float[M * Dim];
        for (var i = 0; i < M; i++)
        {
            var row = features.AsSpan(i * Dim, Dim);
            for (var d = 0; d < Dim; d++) row[d] = (float)rng.NextGaussian();
            System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Norm(row), row);
        }
        var data = new float[Rows * Dim];
        var chosen = new HashSet<int>();
        for (var n = 0; n < Rows; n++)
        {
            chosen.Clear();
            while (chosen.Count < Active) chosen.Add(rng.NextInt(M));
            foreach (var f in chosen)
            {
                var a = 0.5f + rng.NextFloat();
                for (var d = 0; d < Dim; d++) data[n * Dim + d] += a * features[f * Dim + d];
            }
        }
        return (features, data);
    }

    /// <summary>Fraction of true features with a decoder row at cosine &gt; 0.9 (rows are unit norm, features too).</summary>
    private static double Recovered(float[] features, SparseAutoencoder sae)
    {
        var hits = 0;
        for (var i = 0; i < M; i++)
        {
            var best = 0f;
            for (var l = 0; l < sae.Config.Latents; l++)
            {
                best = Math.Max(best, System.Numerics.Tensors.TensorPrimitives.Dot(features.AsSpan(i * Dim, Dim), sae.DecoderWeight.Slice(l * Dim, Dim)));
            }
            if (best > 0.9f) hits++;
        }
        return hits / (double)M;
    }

    private static SaeTrainer Train(float[] data, int latents, int k, int auxK, long steps)
    {
        var config = new SaeConfig(SaeFamily.TopK, Dim, latents, K: k, AuxK: auxK, AuxCoefficient: 1.0 / 32);
        var trainer = new SaeTrainer(config, new SaeTrainOptions(steps, BatchRows: 256, LearningRate: 3e-3, WarmupSteps: 50, DeadAfterTokens: 256 * 50, Seed: 5), data);
        trainer.Initialize();
        while (!trainer.Done) trainer.TrainStep();
        return trainer;
    }

    [Fact]
    public void TopK_RightK_RecoversNinetyPercentOfFeaturesWithAndWithoutAuxK()
    {
        // Given: n = 2m latents at k = s; the dead fraction of each run is reported (latents beyond the m features have
        // nothing to learn, so some dead latents are the right answer here, not a failure).
        var (features, data) = Toy(41);

        // When
        using var with = Train(data, 2 * M, Active, auxK: 2 * Active, steps: 1500);
        using var without = Train(data, 2 * M, Active, auxK: 0, steps: 1500);

        // Then
        var recoveredWith = Recovered(features, with.Model);
        var recoveredWithout = Recovered(features, without.Model);
        output.WriteLine($"m = {M}, d = {Dim}, n = {2 * M}, k = {Active}: with AuxK recovered {recoveredWith:P1}, dead fraction {with.DeadFraction:P1}; " +
            $"without AuxK recovered {recoveredWithout:P1}, dead fraction {without.DeadFraction:P1}");
        Assert.True(recoveredWith >= 0.9, $"with AuxK recovered {recoveredWith:P1} of the true features");
        Assert.True(recoveredWithout >= 0.9, $"without AuxK recovered {recoveredWithout:P1} of the true features");
    }

    [Fact]
    public void TopK_Untrained_FailsTheRecoveryBar()
    {
        // Given: the negative control: the same SAE at its initialisation (random unit decoder rows).
        var (features, data) = Toy(41);
        using var trainer = Train(data, 2 * M, Active, auxK: 2 * Active, steps: 1);

        // When
        var recovered = Recovered(features, trainer.Model);

        // Then
        output.WriteLine($"untrained: recovered {recovered:P1}");
        Assert.True(recovered < 0.9, $"an untrained SAE recovered {recovered:P1}");
    }

    [Fact]
    public void TopK_FarTooLargeK_FailsTheRecoveryBar()
    {
        // Given: the negative control: k = 16 of d = 24 lets the SAE reconstruct with dense codes, so nothing forces its
        // latents onto the sparse features.
        var (features, data) = Toy(41);

        // When
        using var trainer = Train(data, 2 * M, 16, auxK: 0, steps: 1500);

        // Then
        var recovered = Recovered(features, trainer.Model);
        output.WriteLine($"k = 16: recovered {recovered:P1}, reconstruction loss {trainer.Model.ReconstructionLoss:G3}");
        Assert.True(recovered < 0.9, $"k = 16 recovered {recovered:P1}");
    }
}
