using ScaleLab.Games.Agent;

namespace ScaleLab.Games.Training;

/// <summary>
/// A trained agent (a self-play snapshot): the network's shape and weights and the compute spent to reach it.
/// File (<see cref="SealedFile"/>, magic "SLHA", version 1) payload: board, width, depth (3 × int32), generation
/// (int64), Jones compute (multiply-adds of self-play search: nodes × parameters), training FLOP, samples trained
/// (3 × double), parameters (int32 count + floats).
/// </summary>
public sealed record AgentFile(HexNetShape Shape, long Generation, double JonesCompute, double TrainFlops, double SamplesTrained, float[] Parameters)
{
    public const string Magic = "SLHA";
    public const int Version = 1;

    public void Save(string path) => SealedFile.Save(path, Magic, Version, w =>
    {
        w.Write(Shape.BoardSize);
        w.Write(Shape.Width);
        w.Write(Shape.Depth);
        w.Write(Generation);
        w.Write(JonesCompute);
        w.Write(TrainFlops);
        w.Write(SamplesTrained);
        SealedFile.WriteFloats(w, Parameters);
    });

    /// <summary>Loads and checks an agent; with <paramref name="board"/> an agent of another board size is refused.</summary>
    public static AgentFile Load(string path, int? board = null)
    {
        var agent = SealedFile.Load(path, Magic, Version, "Hex agent", r =>
        {
            var shape = new HexNetShape(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            shape.Validate();
            var a = new AgentFile(shape, r.ReadInt64(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), SealedFile.ReadFloats(r, shape.ParameterCount));
            return a.Parameters.Length == shape.ParameterCount ? a
                : throw new ArgumentException($"it holds {a.Parameters.Length} weights for a network of {shape.ParameterCount}");
        });
        if (board is int n && agent.Shape.BoardSize != n)
        {
            throw new InvalidDataException($"{path} is an agent for {agent.Shape.BoardSize}x{agent.Shape.BoardSize} Hex, not {n}x{n}");
        }
        return agent;
    }

    public HexNet Network() => new(Shape, (float[])Parameters.Clone());
}
