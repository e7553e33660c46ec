using System.Numerics;

namespace ScaleLab.Games.Hex;

/// <summary>
/// Exact solver for small Hex boards (3 ≤ n ≤ 5; 64-bit bitboards, cell bit = row·n + column). Hex has no draws,
/// so a position is a boolean AND-OR tree: the mover wins iff some move either connects its edges or leaves a
/// position the opponent loses. Negamax on that tree with:
/// <list type="bullet">
/// <item>a transposition table keyed by (black, white) stones — the side to move follows from the stone counts —
/// stored under the smaller of the position and its 180° rotation (the rotation maps both sides' edges onto
/// themselves, so it preserves the value);</item>
/// <item>fill-in bounds: if the mover's stones plus every empty cell do not connect, the mover cannot win; if the
/// opponent's do not, the opponent cannot, and with no draws the mover wins — exact, and it prunes most of the
/// tree once a few stones are down;</item>
/// <item>virtual connections (<see cref="Connection"/>): chains of groups joined by bridges, two-cell edge links and
/// ziggurats (edge template IIIa) over disjoint carriers. The mover wins at once if it is one move from such a chain;
/// it loses at once if the opponent has one needing no move; if the opponent is one move from one, only moves inside
/// that chain's carrier can stop it (the must-play region; Hayward et al. 2003 and later Hex solvers);</item>
/// <item>forced replies: when the opponent has two cells that would each connect at once, the mover (with no
/// winning move of its own) loses; with one such cell, the mover's only candidate is that cell;</item>
/// <item>moves ordered most forcing first: a move that completes a virtual connection wins without search; moves
/// that threaten one (the opponent must answer in a small carrier) come next, then the rest centre first.</item>
/// </list>
/// Measured: 5×5 (all 25 first moves) in about 0.6 M nodes and 0.56 M cached positions, 10 s on the loaded 2-core
/// machine; the earlier search without connections had not finished 5×5 after 47 M nodes. The cache grows with the
/// positions solved; the solver is not thread-safe (one per thread).
/// </summary>
public sealed partial class HexSolver
{
    // 6x6 is not attempted: its solution needs stronger virtual connections (H-search) than this solver's.
    public const int MaxSolvableSize = 5;

    private readonly int _n;
    private readonly ulong _full, _notCol0, _notColLast, _top, _bottom, _left, _right;
    private readonly int[] _order;
    private readonly int _maxPositions;
    private readonly Dictionary<(ulong Black, ulong White), bool> _table = [];

    /// <param name="size">Board size, 3 to <see cref="MaxSolvableSize"/>.</param>
    /// <param name="maxPositions">Budget on the transposition table: a search that would hold more positions stops
    /// with <see cref="SolverLimitException"/> (memory is about 40 bytes a position) rather than exhaust memory.</param>
    public HexSolver(int size, int maxPositions = 20_000_000)
    {
        HexBoard.CheckSize(size);
        if (size > MaxSolvableSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the exact solver handles boards up to {MaxSolvableSize}x{MaxSolvableSize}, got {size}x{size}");
        }
        _n = size;
        _maxPositions = maxPositions;
        var cells = size * size;
        _full = cells == 64 ? ulong.MaxValue : (1UL << cells) - 1;
        for (var r = 0; r < size; r++)
        {
            for (var c = 0; c < size; c++)
            {
                var bit = 1UL << (r * size + c);
                if (c != 0) _notCol0 |= bit;
                if (c != size - 1) _notColLast |= bit;
                if (r == 0) _top |= bit;
                if (r == size - 1) _bottom |= bit;
                if (c == 0) _left |= bit;
                if (c == size - 1) _right |= bit;
            }
        }
        // Centre first: squared distance from the centre in the board's skewed coordinates, ties by index.
        var centre = (size - 1) / 2.0;
        _order = Enumerable.Range(0, cells)
            .OrderBy(i => Distance(i / size - centre, i % size - centre))
            .ThenBy(i => i).ToArray();
        _ziggurats = Ziggurats();
    }

    public int Size => _n;

    /// <summary>Positions held in the transposition table.</summary>
    public int CachedPositions => _table.Count;

    /// <summary>Nodes expanded since construction (a measure of the search's work).</summary>
    public long Nodes { get; private set; }

    // Hex distance on the rhombus (axial coordinates dr, dc).
    private static double Distance(double dr, double dc) => (Math.Abs(dr) + Math.Abs(dc) + Math.Abs(dr + dc)) / 2 + 0.01 * (dr * dr + dc * dc);

    /// <summary>True when the side to move in <paramref name="board"/> wins with perfect play (false once the game
    /// is over: the mover has lost).</summary>
    public bool MoverWins(HexBoard board)
    {
        Check(board);
        if (board.IsOver) return false;
        var (black, white) = Bits(board);
        Release();
        return MoverWins(black, white, board.ToMove == Stone.Black);
    }

    /// <summary>
    /// One winning move for the side to move, or −1 when every move loses (or the game is over): the first move, tried
    /// most forcing first (<see cref="OrderMoves"/>), that the search proves winning — it stops there, where
    /// <see cref="WinningMoves"/> proves every move. This is what a perfect player needs, and on 5×5 game positions it
    /// is far cheaper. Deterministic: the same position gives the same move.
    /// </summary>
    public int WinningMove(HexBoard board)
    {
        Check(board);
        if (board.IsOver) return -1;
        var (black, white) = Bits(board);
        Release();
        var blackToMove = board.ToMove == Stone.Black;
        var empty = _full & ~(black | white);
        ulong mine = blackToMove ? black : white, theirs = blackToMove ? white : black;
        if (!Connects(mine | empty, blackToMove)) return -1;
        var key = Canonical(black, white);
        if (_table.TryGetValue(key, out var known) && !known) return -1;
        // The pruning of an inner node (MoverWins), keeping the move: the opponent's full connection loses, its
        // semi-connection restricts the mover to its carrier, two immediate threats lose, one must be answered.
        var candidates = empty;
        ulong threats = 0;
        foreach (var cell in _order)
        {
            var bit = 1UL << cell;
            if ((empty & bit) == 0) continue;
            if (Connects(mine | bit, blackToMove)) return cell;
            if (Connects(theirs | bit, !blackToMove)) threats |= bit;
        }
        if (BitOperations.PopCount(threats) >= 2) return -1;
        if (threats != 0) candidates = threats;
        if (Connection(theirs, empty, !blackToMove, out var carrier))
        {
            if (carrier == 0) return -1;
            candidates &= carrier;
        }
        var move = FirstWin(black, white, blackToMove, candidates);
        Store(key, move >= 0);
        return move;
    }

    // The table is a cache: between top-level queries it is emptied once it holds more than half its budget, so a
    // long run of queries (every position of many games) stays within memory; a single query still has the whole budget.
    private void Release()
    {
        if (_table.Count > _maxPositions / 2) _table.Clear();
    }

    /// <summary>The moves that win for the side to move, in cell order (empty when every move loses or the game is over).</summary>
    public IReadOnlyList<int> WinningMoves(HexBoard board)
    {
        Check(board);
        var winning = new List<int>();
        if (board.IsOver) return winning;
        var (black, white) = Bits(board);
        Release();
        var blackToMove = board.ToMove == Stone.Black;
        for (var cell = 0; cell < _n * _n; cell++)
        {
            var bit = 1UL << cell;
            if (((black | white) & bit) != 0) continue;
            if (blackToMove ? Wins(black | bit, white, true) : Wins(white | bit, black, false))
            {
                winning.Add(cell);
            }
        }
        return winning;
    }

    // Does the side that just played `mine` (Black iff mineIsBlack) win, given the opponent now moves?
    private bool Wins(ulong mine, ulong theirs, bool mineIsBlack)
    {
        if (Connects(mine, mineIsBlack)) return true;
        var (black, white) = mineIsBlack ? (mine, theirs) : (theirs, mine);
        return !MoverWins(black, white, !mineIsBlack);
    }

    private bool MoverWins(ulong black, ulong white, bool blackToMove)
    {
        Nodes++;
        var empty = _full & ~(black | white);
        ulong mine = blackToMove ? black : white, theirs = blackToMove ? white : black;
        if (!Connects(mine | empty, blackToMove)) return false;
        if (!Connects(theirs | empty, !blackToMove)) return true;
        var key = Canonical(black, white);
        if (_table.TryGetValue(key, out var known)) return known;
        // Virtual connections: the mover wins if one move connects it (a semi-connection); the opponent, who moves
        // next, wins if it is connected already (a full connection, found as a semi-connection that needed no move);
        // else, if the opponent has a semi-connection, only moves in its carrier can stop it (the must-play region).
        if (Connection(mine, empty, blackToMove, out _)) return Store(key, true);
        var candidates = empty;
        if (Connection(theirs, empty, !blackToMove, out var carrier))
        {
            if (carrier == 0) return Store(key, false);
            candidates &= carrier;
        }
        var result = false;
        ulong threats = 0;
        // Immediate wins first: they end the node without a recursion. Meanwhile collect the opponent's
        // immediate wins (threats): with two or more the mover loses; with one, the mover must play it.
        foreach (var cell in _order)
        {
            var bit = 1UL << cell;
            if ((empty & bit) == 0) continue;
            if (Connects(mine | bit, blackToMove)) { result = true; break; }
            if (Connects(theirs | bit, !blackToMove)) threats |= bit;
        }
        if (!result && BitOperations.PopCount(threats) <= 1)
        {
            candidates &= threats != 0 ? threats : empty;
            result = TryMoves(black, white, blackToMove, candidates);
        }
        return Store(key, result);
    }

    /// <summary>
    /// Tries the candidate moves, most forcing first (<see cref="OrderMoves"/>); true at the first that wins.
    /// </summary>
    private bool TryMoves(ulong black, ulong white, bool blackToMove, ulong candidates) =>
        FirstWin(black, white, blackToMove, candidates) >= 0;

    // The first candidate (most forcing first) after which the opponent loses; -1 when every candidate loses.
    private int FirstWin(ulong black, ulong white, bool blackToMove, ulong candidates)
    {
        Span<int> moves = stackalloc int[64];
        var count = OrderMoves(blackToMove ? black : white, _full & ~(black | white), blackToMove, candidates, moves, out var completing);
        if (completing >= 0) return completing;
        for (var i = 0; i < count; i++)
        {
            var bit = 1UL << moves[i];
            var child = blackToMove ? MoverWins(black | bit, white, false) : MoverWins(black, white | bit, true);
            if (!child) return moves[i];
        }
        return -1;
    }

    /// <summary>
    /// Orders the candidate moves most forcing first: a move after which the mover is connected whatever the opponent
    /// does wins at once (returned as <paramref name="completing"/>, nothing ordered); then moves that leave the mover
    /// one move from a connection (the opponent must answer inside that threat's carrier), smallest carrier first;
    /// then the rest, centre first. Returns the number of moves written.
    /// </summary>
    private int OrderMoves(ulong mine, ulong empty, bool blackToMove, ulong candidates, Span<int> moves, out int completing)
    {
        completing = -1;
        Span<int> rank = stackalloc int[64];
        var count = 0;
        foreach (var cell in _order)
        {
            var bit = 1UL << cell;
            if ((candidates & bit) == 0) continue;
            if (Connection(mine | bit, empty & ~bit, blackToMove, out var carrier))
            {
                if (carrier == 0)
                {
                    completing = cell;
                    return 0;
                }
                rank[count] = BitOperations.PopCount(carrier);
            }
            else
            {
                rank[count] = 64;
            }
            moves[count++] = cell;
        }
        // Stable insertion sort by rank (threats first, small carriers first; ties keep the centre-first order).
        for (var i = 1; i < count; i++)
        {
            var (m, r) = (moves[i], rank[i]);
            var j = i - 1;
            for (; j >= 0 && rank[j] > r; j--)
            {
                moves[j + 1] = moves[j];
                rank[j + 1] = rank[j];
            }
            moves[j + 1] = m;
            rank[j + 1] = r;
        }
        return count;
    }

    private bool Store((ulong, ulong) key, bool result)
    {
        if (_table.Count >= _maxPositions)
        {
            throw new SolverLimitException($"the {_n}x{_n} solve needs more than {_maxPositions} cached positions (after {Nodes} nodes); it is out of this solver's reach");
        }
        _table[key] = result;
        return result;
    }

    private (ulong, ulong) Canonical(ulong black, ulong white)
    {
        ulong rb = Rotate(black), rw = Rotate(white);
        return (rb < black || (rb == black && rw < white)) ? (rb, rw) : (black, white);
    }

    // 180° rotation: bit i → bit n²−1−i, i.e. the bit-reversal of the low n² bits.
    private ulong Rotate(ulong x) => ReverseBits(x) >> (64 - _n * _n);

    private static ulong ReverseBits(ulong x)
    {
        x = ((x >> 1) & 0x5555555555555555UL) | ((x & 0x5555555555555555UL) << 1);
        x = ((x >> 2) & 0x3333333333333333UL) | ((x & 0x3333333333333333UL) << 2);
        x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((x & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(x);
    }


    private (ulong Black, ulong White) Bits(HexBoard board)
    {
        ulong black = 0, white = 0;
        for (var cell = 0; cell < board.CellCount; cell++)
        {
            if (board[cell] == Stone.Black) black |= 1UL << cell;
            else if (board[cell] == Stone.White) white |= 1UL << cell;
        }
        return (black, white);
    }

    private void Check(HexBoard board)
    {
        if (board.Size != _n) throw new ArgumentException($"this solver is for {_n}x{_n} boards, got a {board.Size}x{board.Size} one");
    }
}

/// <summary>A solve that needs more cached positions than the solver's budget: the position is out of its reach.</summary>
public sealed class SolverLimitException(string message) : InvalidOperationException(message);
