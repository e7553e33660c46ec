namespace ScaleLab.Games.Hex;

/// <summary>A cell's content, and a player: Black moves first and joins the top edge to the bottom edge, White
/// joins the left edge to the right edge.</summary>
public enum Stone : sbyte
{
    Empty = 0,
    Black = 1,
    White = 2,
}

/// <summary>
/// A Hex position on an n×n rhombus (3 ≤ n ≤ 11), no swap rule. Cells are a flat array indexed
/// <c>cell = row·n + column</c>; the six neighbours of (r, c) are (r−1, c), (r−1, c+1), (r, c−1), (r, c+1),
/// (r+1, c−1), (r+1, c). Win detection is incremental union-find over the cells plus four virtual edge nodes
/// (top, bottom, left, right): a move unions the new stone with its same-coloured neighbours (and its edges),
/// and the mover has won when its two edges share a root. Only the mover's groups change, so only the mover
/// can have just won; a full board has exactly one winner (the Hex theorem), which the tests check.
/// </summary>
public sealed class HexBoard
{
    public const int MinSize = 3;
    public const int MaxSize = 11;

    private readonly Stone[] _cells;     // (n·n)
    private readonly int[] _parent;      // (n·n + 4): cells, then top, bottom, left, right
    private readonly int[][] _neighbours;

    public HexBoard(int size)
    {
        CheckSize(size);
        Size = size;
        _cells = new Stone[size * size];
        _parent = new int[size * size + 4];
        for (var i = 0; i < _parent.Length; i++) _parent[i] = i;
        _neighbours = HexGeometry.Neighbours(size);
        ToMove = Stone.Black;
    }

    private HexBoard(HexBoard other)
    {
        Size = other.Size;
        _cells = (Stone[])other._cells.Clone();
        _parent = (int[])other._parent.Clone();
        _neighbours = other._neighbours;
        ToMove = other.ToMove;
        Winner = other.Winner;
        MoveCount = other.MoveCount;
    }

    public int Size { get; }

    /// <summary>A position from its cells (row-major, length n·n) and the side to move: every stone is joined
    /// to its groups by the same union-find as <see cref="Play"/>, and a side whose edges are joined has won. Both
    /// sides connected is impossible in Hex and is refused with <see cref="ArgumentException"/>.</summary>
    public static HexBoard FromCells(int size, ReadOnlySpan<Stone> cells, Stone toMove)
    {
        var board = new HexBoard(size);
        if (cells.Length != board.CellCount) throw new ArgumentException($"a {size}x{size} board has {board.CellCount} cells, got {cells.Length}");
        if (toMove == Stone.Empty) throw new ArgumentException("the side to move must be Black or White");
        var n2 = board.CellCount;
        for (var cell = 0; cell < n2; cell++)
        {
            var s = cells[cell];
            if (s == Stone.Empty) continue;
            board._cells[cell] = s;
            board.JoinStone(cell, s);
            board.MoveCount++;
        }
        var black = board.Find(n2) == board.Find(n2 + 1);
        var white = board.Find(n2 + 2) == board.Find(n2 + 3);
        if (black && white) throw new ArgumentException("both sides connected: not a Hex position");
        board.Winner = black ? Stone.Black : white ? Stone.White : Stone.Empty;
        board.ToMove = toMove;
        return board;
    }


    public int CellCount => _cells.Length;

    public Stone ToMove { get; private set; }

    /// <summary>The side that has connected its edges, or <see cref="Stone.Empty"/> while the game goes on.</summary>
    public Stone Winner { get; private set; }

    public bool IsOver => Winner != Stone.Empty;

    public int MoveCount { get; private set; }

    public Stone this[int cell] => _cells[cell];

    public Stone this[int row, int column] => _cells[row * Size + column];

    public static void CheckSize(int size)
    {
        if (size is < MinSize or > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"board size must be {MinSize} to {MaxSize}, got {size}");
        }
    }

    public static Stone Opponent(Stone player) => player == Stone.Black ? Stone.White : Stone.Black;

    public HexBoard Clone() => new(this);

    /// <summary>Overwrites this board with <paramref name="other"/> (same size) without allocating.</summary>
    public void CopyFrom(HexBoard other)
    {
        if (other.Size != Size) throw new ArgumentException($"cannot copy a {other.Size}x{other.Size} board into a {Size}x{Size} one");
        other._cells.CopyTo(_cells, 0);
        other._parent.CopyTo(_parent, 0);
        ToMove = other.ToMove;
        Winner = other.Winner;
        MoveCount = other.MoveCount;
    }

    public bool IsLegal(int cell) => !IsOver && (uint)cell < (uint)_cells.Length && _cells[cell] == Stone.Empty;

    /// <summary>The empty cells in index order (none once the game is over).</summary>
    public List<int> LegalMoves()
    {
        var moves = new List<int>(_cells.Length - MoveCount);
        if (IsOver) return moves;
        for (var i = 0; i < _cells.Length; i++)
        {
            if (_cells[i] == Stone.Empty) moves.Add(i);
        }
        return moves;
    }

    /// <summary>Places the mover's stone on <paramref name="cell"/>; an occupied cell, a cell off the board or a
    /// finished game raises <see cref="InvalidOperationException"/>.</summary>
    public void Play(int cell)
    {
        if (!IsLegal(cell))
        {
            throw new InvalidOperationException(IsOver
                ? "the game is over"
                : (uint)cell >= (uint)_cells.Length ? $"cell {cell} is off the {Size}x{Size} board" : $"{HexMoves.Format(Size, cell)} is occupied");
        }
        var me = ToMove;
        _cells[cell] = me;
        JoinStone(cell, me);
        var cells = Size * Size;
        MoveCount++;
        var won = me == Stone.Black ? Find(cells) == Find(cells + 1) : Find(cells + 2) == Find(cells + 3);
        if (won) Winner = me;
        ToMove = Opponent(me);
    }

    /// <summary>Unions a new stone with its edges and its same-coloured neighbours.</summary>
    private void JoinStone(int cell, Stone me)
    {
        var n = Size;
        int row = cell / n, col = cell % n;
        var cells = n * n;
        if (me == Stone.Black)
        {
            if (row == 0) Union(cell, cells);
            if (row == n - 1) Union(cell, cells + 1);
        }
        else
        {
            if (col == 0) Union(cell, cells + 2);
            if (col == n - 1) Union(cell, cells + 3);
        }
        foreach (var nb in _neighbours[cell])
        {
            if (_cells[nb] == me) Union(cell, nb);
        }
    }

    private int Find(int x)
    {
        // Path halving: every other node on the path points to its grandparent.
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    private void Union(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra != rb) _parent[ra] = rb;
    }

    /// <summary>The board drawn as a rhombus: columns lettered a.., rows numbered 1.. (moves are typed <c>c3</c>),
    /// Black 'X' (top–bottom), White 'O' (left–right), empty '.'.</summary>
    public string Render()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("   ");
        for (var c = 0; c < Size; c++) sb.Append((char)('a' + c)).Append(' ');
        sb.Append('\n');
        for (var r = 0; r < Size; r++)
        {
            sb.Append(new string(' ', r));
            sb.Append((r + 1).ToString().PadLeft(2)).Append(' ');
            for (var c = 0; c < Size; c++)
            {
                sb.Append(this[r, c] switch { Stone.Black => 'X', Stone.White => 'O', _ => '.' }).Append(' ');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
