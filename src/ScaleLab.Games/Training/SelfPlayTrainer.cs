using System.Diagnostics;
using ScaleLab.Engine;
using ScaleLab.Engine.Training;
using ScaleLab.Games.Agent;
using ScaleLab.Games.Hex;
using ScaleLab.Games.Search;

namespace ScaleLab.Games.Training;

/// <summary>What one generation did: losses (means over its Adam steps; NaN when the buffer was too small to
/// train), samples, and the cumulative compute after it.</summary>
public sealed record GenerationResult(long Generation, double PolicyLoss, double ValueLoss, int NewSamples, int Updates,
    double BlackWinRate, double JonesCompute, double TrainFlops, double SamplesTrained, double Seconds);

/// <summary>
/// AlphaZero-style self-play for one agent (Silver et al. 2018, with the search of <see cref="Mcts"/>): generations
/// of parallel games, a replay buffer, Adam. Compute is counted two ways. Jones (2021): multiply-adds of the
/// self-play search, Σ over network evaluations of the parameter count (= nodes × parameters per sample).
/// Training FLOP: 2 FLOP per weight per evaluation (forward) plus 6 per weight per trained sample (forward and
/// backward), the convention C = 6·N·D of the language-model studies.
/// The whole state (weights, Adam moments, buffer, RNG, counters) is saved by <see cref="SaveCheckpoint"/>; a run
/// resumed from it continues bit for bit on the same machine.
/// </summary>
public sealed class SelfPlayTrainer
{
    public const string CheckpointMagic = "SLHX";
    public const int CheckpointVersion = 1;

    private readonly HexTrainConfig _config;
    private readonly HexNet _net;
    private readonly AdamW _adam;
    private readonly ReplayBuffer _buffer;
    private Rng _rng;
    private readonly float[] _grad;

    public SelfPlayTrainer(HexTrainConfig config)
    {
        config.Validate();
        if (config.IsReference) throw new ArgumentException("reference players are not trained");
        _config = config;
        _net = HexNet.Create(config.Shape, (ulong)config.Seed);
        _adam = new AdamW(_net.Parameters.Length, [new ParameterSegment(0, _net.Parameters.Length, true)],
            new AdamWOptions(0.9, 0.999, 1e-8, config.WeightDecay));
        _buffer = new ReplayBuffer(config.Board, config.Buffer);
        _rng = new Rng((ulong)config.Seed ^ 0x9E3779B97F4A7C15UL);
        _grad = new float[_net.Parameters.Length];
    }

    public HexTrainConfig Config => _config;

    public HexNet Net => _net;

    public long Generation { get; private set; }

    public double JonesCompute { get; private set; }

    public double TrainFlops { get; private set; }

    public double SamplesTrained { get; private set; }

    public double ElapsedSeconds { get; private set; }

    public AgentFile Snapshot() => new(_config.Shape, Generation, JonesCompute, TrainFlops, SamplesTrained, (float[])_net.Parameters.Clone());

    /// <summary>Plays one step's games (a generation, or a part of the first with early snapshots:
    /// <see cref="HexTrainConfig.GamesAt"/>) and trains on the buffer.</summary>
    public GenerationResult RunGeneration()
    {
        var clock = Stopwatch.StartNew();
        var n = _config.Board;
        var cells = n * n;
        var evaluator = new NetEvaluator(_net);
        var mcts = new Mcts(_config.Search, evaluator);
        var games = _config.GamesAt(Generation + 1);
        var boards = Enumerable.Range(0, games).Select(_ => new HexBoard(n)).ToArray();
        var rngs = Enumerable.Range(0, games).Select(_ => new Rng(_rng.NextUInt64())).ToArray();
        var history = Enumerable.Range(0, games).Select(_ => new List<(float[] Input, float[] Policy, Stone Mover)>()).ToArray();
        var policies = new float[games * cells];
        var blackWins = 0;
        var active = Enumerable.Range(0, games).ToList();
        while (active.Count > 0)
        {
            var roots = active.Select(g => boards[g]).ToList();
            mcts.Search(roots, active.Select(g => rngs[g]).ToList(), policies, rootNoise: true);
            for (var i = 0; i < active.Count; i++)
            {
                var g = active[i];
                var board = boards[g];
                var pi = policies.AsSpan(i * cells, cells);
                var input = new float[2 * cells];
                HexEncoding.Encode(board, input);
                var target = new float[cells];
                for (var c = 0; c < cells; c++) target[HexEncoding.CanonicalCell(board, c)] = pi[c];
                history[g].Add((input, target, board.ToMove));
                board.Play(SampleMove(pi, rngs[g]));
            }
            active.RemoveAll(g => boards[g].IsOver);
        }
        var newSamples = 0;
        for (var g = 0; g < games; g++)
        {
            var winner = boards[g].Winner;
            if (winner == Stone.Black) blackWins++;
            foreach (var (input, policy, mover) in history[g])
            {
                _buffer.Add(input, policy, mover == winner ? 1f : -1f);
                newSamples++;
            }
        }
        var parameters = (double)_net.Parameters.Length;
        JonesCompute += evaluator.Evaluations * parameters;
        TrainFlops += 2 * evaluator.Evaluations * parameters;
        var (policyLoss, valueLoss, updates) = Train(newSamples);
        TrainFlops += 6.0 * parameters * updates * _config.Batch;
        SamplesTrained += (double)updates * _config.Batch;
        Generation++;
        ElapsedSeconds += clock.Elapsed.TotalSeconds;
        if (!double.IsNaN(policyLoss) && (!double.IsFinite(policyLoss) || !double.IsFinite(valueLoss)))
        {
            throw new InvalidOperationException($"training diverged at generation {Generation} (policy loss {policyLoss}, value loss {valueLoss})");
        }
        return new GenerationResult(Generation, policyLoss, valueLoss, newSamples, updates, blackWins / (double)games,
            JonesCompute, TrainFlops, SamplesTrained, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A move drawn from the search policy (temperature 1), as Grill et al.'s ACT step does.</summary>
    internal static int SampleMove(ReadOnlySpan<float> policy, Rng rng)
    {
        var u = rng.NextDouble() * Sum(policy);
        var last = -1;
        for (var c = 0; c < policy.Length; c++)
        {
            if (policy[c] <= 0) continue;
            last = c;
            u -= policy[c];
            if (u < 0) return c;
        }
        return last;
    }

    private static double Sum(ReadOnlySpan<float> x)
    {
        var s = 0.0;
        foreach (var v in x) s += v;
        return s;
    }

    private (double Policy, double Value, int Updates) Train(int newSamples)
    {
        var batch = _config.Batch;
        if (_buffer.Count < batch) return (double.NaN, double.NaN, 0);
        var updates = (int)Math.Ceiling(_config.Reuse * newSamples / batch);
        var cells = _config.Board * _config.Board;
        var inputs = new float[batch * 2 * cells];
        var policies = new float[batch * cells];
        var values = new float[batch];
        double policyLoss = 0, valueLoss = 0;
        for (var u = 0; u < updates; u++)
        {
            _buffer.Sample(_rng, batch, inputs, policies, values);
            Array.Clear(_grad);
            var (lp, lv) = _net.LossAndGradient(inputs, policies, values, batch, _grad);
            _adam.Update(_net.Parameters, _grad, _config.LearningRate);
            policyLoss += lp;
            valueLoss += lv;
        }
        return (policyLoss / updates, valueLoss / updates, updates);
    }

    public void SaveCheckpoint(string path) => SealedFile.Save(path, CheckpointMagic, CheckpointVersion, w =>
    {
        w.Write(System.Text.Json.JsonSerializer.Serialize(_config));
        w.Write(Generation);
        w.Write(JonesCompute);
        w.Write(TrainFlops);
        w.Write(SamplesTrained);
        w.Write(ElapsedSeconds);
        foreach (var s in _rng.GetState()) w.Write(s);
        w.Write(_adam.Step);
        SealedFile.WriteFloats(w, _net.Parameters);
        SealedFile.WriteFloats(w, _adam.M);
        SealedFile.WriteFloats(w, _adam.V);
        w.Write(_buffer.Count);
        w.Write(_buffer.Head);
        SealedFile.WriteFloats(w, _buffer.Inputs);
        SealedFile.WriteFloats(w, _buffer.Policies);
        SealedFile.WriteFloats(w, _buffer.Values);
    });

    /// <summary>Restores the state a checkpoint of this same configuration saved; one of another is refused.</summary>
    public void LoadCheckpoint(string path) => SealedFile.Load<bool>(path, CheckpointMagic, CheckpointVersion, "Hex self-play checkpoint", r =>
    {
        var config = r.ReadString();
        if (config != System.Text.Json.JsonSerializer.Serialize(_config))
        {
            throw new ArgumentException("it belongs to another configuration (delete it to start the run over)");
        }
        Generation = r.ReadInt64();
        JonesCompute = r.ReadDouble();
        TrainFlops = r.ReadDouble();
        SamplesTrained = r.ReadDouble();
        ElapsedSeconds = r.ReadDouble();
        _rng = Rng.FromState([r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()]);
        var step = r.ReadInt64();
        var p = SealedFile.ReadFloats(r, _net.Parameters.Length);
        var m = SealedFile.ReadFloats(r, _net.Parameters.Length);
        var v = SealedFile.ReadFloats(r, _net.Parameters.Length);
        if (p.Length != _net.Parameters.Length) throw new ArgumentException("its weights do not fit the network");
        p.CopyTo(_net.Parameters, 0);
        _adam.Restore(step, m, v);
        int count = r.ReadInt32(), head = r.ReadInt32();
        var inputs = SealedFile.ReadFloats(r, _buffer.Inputs.Length);
        var policies = SealedFile.ReadFloats(r, _buffer.Policies.Length);
        var values = SealedFile.ReadFloats(r, _buffer.Values.Length);
        if (inputs.Length != _buffer.Inputs.Length || policies.Length != _buffer.Policies.Length || values.Length != _buffer.Values.Length
            || count < 0 || count > _buffer.Capacity || head < 0 || head >= _buffer.Capacity)
        {
            throw new ArgumentException("its replay buffer does not fit the configuration");
        }
        inputs.CopyTo(_buffer.Inputs, 0);
        policies.CopyTo(_buffer.Policies, 0);
        values.CopyTo(_buffer.Values, 0);
        _buffer.Restore(count, head);
        return true;
    });
}
