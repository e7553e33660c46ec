using ScaleLab.Engine;

namespace ScaleLab.Lab.Sweeps;

/// <summary>
/// The model shapes a scaling study draws its sizes from, so that N is the only thing that changes between
/// sizes: two blocks at every width (a fixed depth: Kaplan et al. 2020 §3.1 find loss nearly independent of
/// shape at fixed N within a wide range of aspect ratios, but one block against two is outside that range for
/// models this small), widths 6–30 in steps of 2 with 2 heads, then 32–256 in steps of 8 with heads of 16
/// channels (8 where 16 does not divide). Neighbouring sizes differ by at most 1.7× in N.
/// </summary>
public static class ShapeFamily
{
    public const int Layers = 2;

    public static IReadOnlyList<ModelShape> Shapes { get; } = Build();

    /// <summary>Non-embedding parameter count N of a shape (<see cref="GptConfig.NonEmbeddingParameterCount"/>).</summary>
    public static long NonEmbedding(ModelShape shape, int seqLen, int vocab = 256) =>
        new GptConfig(shape.Layers, shape.DModel, shape.Heads, seqLen, vocab).NonEmbeddingParameterCount;

    /// <summary>The shape whose N is nearest in log to <paramref name="n"/>.</summary>
    public static ModelShape Nearest(double n, int seqLen, int vocab = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return Shapes.MinBy(s => Math.Abs(Math.Log(NonEmbedding(s, seqLen, vocab) / n)))!;
    }

    private static List<ModelShape> Build()
    {
        var shapes = new List<ModelShape>();
        for (var width = 6; width < 32; width += 2)
        {
            shapes.Add(new ModelShape(Layers, width, 2));
        }
        for (var width = 32; width <= 256; width += 8)
        {
            shapes.Add(new ModelShape(Layers, width, width % 16 == 0 ? width / 16 : width / 8));
        }
        return shapes;
    }
}
