using System.Numerics;

namespace ScaleLab.Games.Hex;

/// <summary>
/// Exact solver for small Hex boards (3 ≤ n ≤ 4; 64-bit bitboards, cell bit = row·n + column). Hex has no draws,
/// so a position is a boolean AND-OR tree: the mover wins iff some move either connects its edges or leaves a
/// position the opponent loses. Negamax on that tree with:
/// <list type="bullet">
/// <item>a transposition table keyed by (black, white) stones — the side to move follows from the stone counts —
/// stored under the smaller of the position and its 180° rotation (the rotation maps both sides' edges onto
/// themselves, so it preserves the value);</item>
/// <item>fill-in bounds: if the mover's stones plus every empty cell do not connect, the mover cannot win; if the
/// opponent's do not, the opponent cannot, and with no draws the mover wins — exact, and it prunes most of the
/// tree once a few stones are down;</item>
/// <item>forced replies: when the opponent has two cells that would each connect at once, the mover (with no
/// winning move of its own) loses; with one such cell, the mover's only candidate is that cell;</item>
/// <item>moves ordered centre first (centre moves win most often on small boards).</item>
/// </list>
/// The cache grows with the positions solved; the solver is not thread-safe (one per thread).
/// </summary>
public sealed class HexSolver
{
    // 5x5 is out of reach of this search: measured, it had not finished after 47 M nodes and 25 M cached positions
    // (2 min on the loaded 2-core machine); a solver with virtual connections (Hayward et al.) would be needed.
    public const int MaxSolvableSize = 4;

    private readonly int _n;
    private readonly ulong _full, _notCol0, _notColLast, _top, _bottom, _left, _right;
    private readonly int[] _order;
    private readonly int _maxPositions;
    private readonly Dictionary<(ulong Black, ulong White), bool> _table = [];

    /// <param name="size">Board size, 3 to <see cref="MaxSolvableSize"/>.</param>
    /// <param name="maxPositions">Budget on the transposition table: a search that would hold more positions stops
    /// with <see cref="InvalidOperationException"/> (memory is about 40 bytes a position) rather than exhaust memory.</param>
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
        return MoverWins(black, white, board.ToMove == Stone.Black);
    }

    /// <summary>The moves that win for the side to move, in cell order (empty when every move loses or the game is over).</summary>
    public IReadOnlyList<int> WinningMoves(HexBoard board)
    {
        Check(board);
        var winning = new List<int>();
        if (board.IsOver) return winning;
        var (black, white) = Bits(board);
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
            var candidates = threats != 0 ? threats : empty;
            foreach (var cell in _order)
            {
                var bit = 1UL << cell;
                if ((candidates & bit) == 0) continue;
                var child = blackToMove ? MoverWins(black | bit, white, false) : MoverWins(black, white | bit, true);
                if (!child) { result = true; break; }
            }
        }
        if (_table.Count >= _maxPositions)
        {
            throw new InvalidOperationException($"the {_n}x{_n} solve needs more than {_maxPositions} cached positions (after {Nodes} nodes); it is out of this solver's reach");
        }
        _table[key] = result;
        return result;
    }

    /// <summary>Does <paramref name="stones"/> join Black's edges (top–bottom) or White's (left–right)? A flood
    /// fill by bit shifts over the six neighbour directions, to a fixed point.</summary>
    internal bool Connects(ulong stones, bool black)
    {
        ulong start = black ? _top : _left, goal = black ? _bottom : _right;
        var reached = stones & start;
        while (reached != 0)
        {
            if ((reached & goal) != 0) return true;
            var next = reached | (Expand(reached) & stones);
            if (next == reached) return false;
            reached = next;
        }
        return false;
    }

    // Cells adjacent to x: (r, c±1), (r±1, c), (r−1, c+1), (r+1, c−1); the column masks stop row wrap-around.
    private ulong Expand(ulong x) =>
        (((x << 1) & _notCol0) | ((x >> 1) & _notColLast) | (x << _n) | (x >> _n)
         | ((x << (_n - 1)) & _notColLast) | ((x >> (_n - 1)) & _notCol0)) & _full;

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
