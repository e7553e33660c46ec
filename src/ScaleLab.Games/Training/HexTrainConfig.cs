using System.Text.Json.Serialization;
using ScaleLab.Games.Agent;
using ScaleLab.Games.Search;

namespace ScaleLab.Games.Training;

/// <summary>
/// One self-play agent's whole configuration (a run of the "hex" kind). A generation plays <see cref="Games"/>
/// games in parallel from the empty board to the end (every ply one batched search over the games still going),
/// adds their positions to the replay buffer and then takes ⌈reuse · new samples / batch⌉ Adam steps, so each
/// sample is trained on about <see cref="Reuse"/> times. <see cref="Player"/> is "agent", or "perfect"/"random" for
/// the reference players a study rates against (no training: their runs finish at once).
/// <para>
/// <see cref="EarlySnapshots"/> = E &gt; 0 splits the first generation into E + 1 steps of G/2^E, G/2^E, G/2^(E−1), …, G/2
/// games (cumulative 1/2^E, …, 1/4, 1/2, 1 of it), each followed by its own training (⌈reuse · its samples / batch⌉ Adam
/// steps, none while the buffer holds less than a batch) and a snapshot, so a run has snapshots at compute below one
/// generation's, where an agent is still near random play (the plateau of Jones's frontier). A run then has
/// <see cref="Steps"/> = <see cref="Generations"/> + E steps; step s &gt; E is generation s − E, and the trainer's
/// counter (<c>Generation</c>, the snapshot's id in the registry) counts steps.
/// </para>
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
    string Player = "agent",
    // Left out of the stored config (and so of the run key) when 0, so runs of earlier builds keep their keys.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int EarlySnapshots = 0)
{
    /// <summary>Most early snapshots (the first generation split into at most 2^10 parts).</summary>
    public const int MaxEarlySnapshots = 10;

    /// <summary>Self-play steps of the run: the generations plus the early snapshots' extra steps.</summary>
    [JsonIgnore]
    public long Steps => Generations + (long)EarlySnapshots;

    /// <summary>Games played at step <paramref name="step"/> (1-based): G/2^E at step 1, G/2^(E+2−s) at steps 2..E+1
    /// (integer division; the first generation's steps sum to G), G after.</summary>
    public int GamesAt(long step)
    {
        var e = EarlySnapshots;
        if (e == 0 || step > e + 1) return Games;
        if (step == 1) return Games >> e;
        // Steps 2..E+1 play G/2^(E+2−s): the last one the rest of the generation, so the parts sum to G exactly.
        if (step == e + 1) return Games - (Games >> e) - Enumerable.Range(2, e - 1).Sum(s => Games >> (e + 2 - s));
        return Games >> (int)(e + 2 - step);
    }

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
        if (EarlySnapshots is < 0 or > MaxEarlySnapshots) throw new ArgumentException($"early_snapshots must be 0 to {MaxEarlySnapshots}, got {EarlySnapshots}");
        if (Games >> EarlySnapshots < 1)
        {
            throw new ArgumentException($"early_snapshots {EarlySnapshots} splits the first generation into parts of games/2^{EarlySnapshots}: games must be at least {1 << EarlySnapshots}, got {Games}");
        }
        if (Batch is < 1 or > 1_000_000) throw new ArgumentException($"batch must be 1 to 1000000, got {Batch}");
        if (!(LearningRate > 0) || LearningRate > 1) throw new ArgumentException($"learning_rate must be in (0, 1], got {LearningRate}");
        if (WeightDecay is < 0 or > 1) throw new ArgumentException($"weight_decay must be 0 to 1, got {WeightDecay}");
        if (Buffer < Batch) throw new ArgumentException($"buffer ({Buffer} samples) must hold at least one batch ({Batch})");
        if (!(Reuse > 0) || Reuse > 1000) throw new ArgumentException($"reuse must be in (0, 1000], got {Reuse}");
    }

    /// <summary>Steps after which a snapshot is saved: each early step 1..E (1/2^E, …, 1/2 of the first generation),
    /// then generations ⌈2^(k/2)⌉ for k = 0, 1, … (log-spaced, about 3 per decade of generations, hence of compute) and
    /// the last, each at step generation + E.</summary>
    public IReadOnlyList<long> SnapshotGenerations()
    {
        var set = new SortedSet<long>();
        for (long s = 1; s <= EarlySnapshots; s++) set.Add(s);
        for (var k = 0; ; k++)
        {
            var g = (long)Math.Ceiling(Math.Pow(2, k / 2.0) - 1e-9);
            if (g >= Generations) break;
            set.Add(g + EarlySnapshots);
        }
        set.Add(Steps);
        return set.ToList();
    }
}
