using ScaleLab.Games.Agent;
using ScaleLab.Games.Hex;

namespace ScaleLab.Games.Search;

/// <summary>What the search asks of a position: priors over its cells (board coordinates, 0 on occupied cells,
/// summing to 1) and the mover's expected result in [−1, 1]. A batch of positions is one call.</summary>
public interface IHexEvaluator
{
    /// <summary>priors (B, n²), values (B), for boards that are not over.</summary>
    void Evaluate(IReadOnlyList<HexBoard> boards, Span<float> priors, Span<float> values);

    /// <summary>Positions evaluated so far (the search's nodes, for compute accounting).</summary>
    long Evaluations { get; }
}

/// <summary>The network as an evaluator: each batch is encoded from the mover's side, evaluated in one forward pass
/// (one GEMM per layer) and its canonical priors mapped back to board cells.</summary>
public sealed class NetEvaluator(HexNet net) : IHexEvaluator
{
    private float[] _inputs = [], _priors = [], _values = [];

    public HexNet Net { get; } = net;

    public long Evaluations { get; private set; }

    public void Evaluate(IReadOnlyList<HexBoard> boards, Span<float> priors, Span<float> values)
    {
        var s = Net.Shape;
        var batch = boards.Count;
        if (_inputs.Length < batch * s.Inputs)
        {
            _inputs = new float[batch * s.Inputs];
            _priors = new float[batch * s.Cells];
            _values = new float[batch];
        }
        for (var b = 0; b < batch; b++)
        {
            if (boards[b].Size != s.BoardSize) throw new ArgumentException($"a {s.BoardSize}x{s.BoardSize} network cannot evaluate a {boards[b].Size}x{boards[b].Size} board");
            HexEncoding.Encode(boards[b], _inputs.AsSpan(b * s.Inputs, s.Inputs));
        }
        Net.Evaluate(_inputs, batch, _priors, _values);
        for (var b = 0; b < batch; b++)
        {
            var board = boards[b];
            for (var cell = 0; cell < s.Cells; cell++)
            {
                priors[b * s.Cells + cell] = _priors[b * s.Cells + HexEncoding.CanonicalCell(board, cell)];
            }
            values[b] = _values[b];
        }
        Evaluations += batch;
    }
}

/// <summary>A perfect value oracle from the exact solver (uniform priors, value ±1): with it the search must find
/// the solver's moves, which tests the search apart from any network.</summary>
public sealed class SolverEvaluator(HexSolver solver) : IHexEvaluator
{
    public long Evaluations { get; private set; }

    public void Evaluate(IReadOnlyList<HexBoard> boards, Span<float> priors, Span<float> values)
    {
        for (var b = 0; b < boards.Count; b++)
        {
            var board = boards[b];
            var cells = board.CellCount;
            var legal = board.LegalMoves();
            for (var cell = 0; cell < cells; cell++) priors[b * cells + cell] = 0f;
            foreach (var m in legal) priors[b * cells + m] = 1f / legal.Count;
            values[b] = solver.MoverWins(board) ? 1f : -1f;
        }
        Evaluations += boards.Count;
    }
}
