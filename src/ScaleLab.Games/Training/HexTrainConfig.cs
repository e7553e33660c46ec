using ScaleLab.Games.Agent;
using ScaleLab.Games.Search;

namespace ScaleLab.Games.Training;

/// <summary>
/// One self-play agent's whole configuration (a run of the "hex" kind). A generation plays <see cref="Games"/>
/// games in parallel from the empty board to the end (every ply one batched search over the games still going),
/// adds their positions to the replay buffer and then takes ⌈reuse · new samples / batch⌉ Adam steps, so each
/// sample is trained on about <see cref="Reuse"/> times. <see cref="Player"/> is "agent", or "perfect"/"random" for
/// the reference players a study rates against (no training: their runs finish at once).
/// </summary>
public sealed record HexTrainConfig(
    string Study,
    int Board,
    int Width,
    int Depth,
    long Seed,
    int Generations,
    int Games = 32,
    int Nodes = 32,
    string Variant = "jones",
    double C = 1.0,
    int Batch = 64,
    double LearningRate = 1e-3,
    double WeightDecay = 1e-4,
    int Buffer = 4096,
    double Reuse = 4,
    string Player = "agent")
{
    public HexNetShape Shape => new(Board, Width, Depth);

    public bool IsReference => Player != "agent";

    public MctsVariant SearchVariant => Variant switch
    {
        "grill" => MctsVariant.Grill,
        "jones" => MctsVariant.Jones,
        "puct" => MctsVariant.Puct,
        _ => throw new ArgumentException($"search variant must be grill, jones or puct, got '{Variant}'"),
    };

    public MctsOptions Search => new(SearchVariant, C, Nodes, DirichletAlpha: 10.0 / (Board * Board), NoiseFraction: 0.25);

    /// <summary>Refuses an impossible configuration in one line naming the setting (<see cref="ArgumentException"/>).</summary>
    public void Validate()
    {
        Hex.HexBoard.CheckSize(Board);
        if (Player is not ("agent" or "perfect" or "random")) throw new ArgumentException($"player must be agent, perfect or random, got '{Player}'");
        if (Player == "perfect" && Board > Hex.HexSolver.MaxSolvableSize)
        {
            throw new ArgumentException($"a perfect player needs the exact solver, which handles boards up to {Hex.HexSolver.MaxSolvableSize}; board is {Board}");
        }
        if (IsReference) return;
        Shape.Validate();
        Search.Validate();
        if (Generations is < 1 or > 10_000_000) throw new ArgumentException($"generations must be 1 to 10000000, got {Generations}");
        if (Games is < 1 or > 100_000) throw new ArgumentException($"games must be 1 to 100000, got {Games}");
        if (Batch is < 1 or > 1_000_000) throw new ArgumentException($"batch must be 1 to 1000000, got {Batch}");
        if (!(LearningRate > 0) || LearningRate > 1) throw new ArgumentException($"learning_rate must be in (0, 1], got {LearningRate}");
        if (WeightDecay is < 0 or > 1) throw new ArgumentException($"weight_decay must be 0 to 1, got {WeightDecay}");
        if (Buffer < Batch) throw new ArgumentException($"buffer ({Buffer} samples) must hold at least one batch ({Batch})");
        if (!(Reuse > 0) || Reuse > 1000) throw new ArgumentException($"reuse must be in (0, 1000], got {Reuse}");
    }

    /// <summary>Generations after which a snapshot is saved: ⌈2^(k/2)⌉ for k = 0, 1, … (log-spaced, about 3
    /// per decade of generations, hence of compute) and the last.</summary>
    public IReadOnlyList<long> SnapshotGenerations()
    {
        var set = new SortedSet<long>();
        for (var k = 0; ; k++)
        {
            var g = (long)Math.Ceiling(Math.Pow(2, k / 2.0) - 1e-9);
            if (g >= Generations) break;
            set.Add(g);
        }
        set.Add(Generations);
        return set.ToList();
    }
}
