using System.Numerics;

namespace ScaleLab.Games.Hex;

/// <summary>The solver's virtual connections: bridges, two-cell edge links and ziggurats over disjoint carriers, and the
/// fill-in connectivity check (see <see cref="HexSolver"/>).</summary>
public sealed partial class HexSolver
{
    // Ziggurats (edge template IIIa): a stone on the third row from an edge with 8 empty cells joins that edge.
    // Index: [0 Black, 1 White][0 start edge (top, left), 1 goal edge (bottom, right)].
    private readonly (ulong Stone, ulong Carrier)[][][] _ziggurats;

    /// <summary>
    /// The ziggurats of every edge: for Black's top edge, a stone at (2, c) with the cells (2, c−1), (1, c−1..c+1),
    /// (0, c−1..c+2), or its mirror (2, c+1), (1, c..c+2), (0, c..c+3) (found minimal by exhaustive search of the
    /// defender-moves-first game); the bottom edge by the 180° rotation, White's edges by the transpose, both of which
    /// map the hex grid onto itself.
    /// </summary>
    private (ulong, ulong)[][][] Ziggurats()
    {
        var n = _n;
        var top = new List<(int R, int C)[]>();
        for (var c = 0; c < n; c++)
        {
            if (n < 3) break;
            if (c - 1 >= 0 && c + 2 < n) top.Add([(2, c), (2, c - 1), (1, c - 1), (1, c), (1, c + 1), (0, c - 1), (0, c), (0, c + 1), (0, c + 2)]);
            if (c + 3 < n) top.Add([(2, c), (2, c + 1), (1, c), (1, c + 1), (1, c + 2), (0, c), (0, c + 1), (0, c + 2), (0, c + 3)]);
        }
        (ulong, ulong)[] Make(Func<(int R, int C), (int R, int C)> map) => top.Select(t =>
        {
            var cells = t.Select(map).Select(x => 1UL << (x.R * n + x.C)).ToArray();
            return (cells[0], cells.Skip(1).Aggregate(0UL, (a, b) => a | b));
        }).ToArray();
        (int, int) Rotate((int R, int C) x) => (n - 1 - x.R, n - 1 - x.C);
        (int, int) Transpose((int R, int C) x) => (x.C, x.R);
        return
        [
            [Make(x => x), Make(Rotate)],
            [Make(Transpose), Make(x => Transpose(Rotate(x)))],
        ];
    }

    /// <summary>
    /// Looks for a chain of <paramref name="mine"/>'s groups from one of its edges to the other whose links are
    /// virtual: a group touching an edge is joined to it; two groups (or a group and an edge row) with two empty
    /// common neighbours are joined by a bridge (if the opponent takes one cell, the other joins them), with one
    /// they are joined once the player takes it (a semi link). Links use disjoint carriers, so each can be defended
    /// independently. A chain with at most one semi link is found greedily (depth first, first fitting carrier
    /// cells): true means a connection exists (sound; not finding one proves nothing). <paramref name="carrier"/> is
    /// 0 when the chain needs no move (the player is connected whatever the opponent does, the player to answer),
    /// else the chain's carrier cells, the semi link's cell among them: a player to move wins by taking that cell;
    /// an opponent to move must play inside the carrier or lose.
    /// </summary>
    internal bool Connection(ulong mine, ulong empty, bool black, out ulong carrier)
    {
        var groups = 0;
        for (var rest = mine; rest != 0;)
        {
            var group = rest & (~rest + 1);
            while (true)
            {
                var next = group | (Expand(group) & mine);
                if (next == group) break;
                group = next;
            }
            _nodes[groups++] = group;
            rest &= ~group;
        }
        // Nodes: the groups, then the start edge row and the goal edge row (as pseudo-groups whose reach is the row's empty cells).
        ulong start = black ? _top : _left, goal = black ? _bottom : _right;
        _groups = groups;
        _nodes[groups] = start;
        _nodes[groups + 1] = goal;
        for (var i = 0; i < groups; i++) _reach[i] = Expand(_nodes[i]) & empty;
        _reach[groups] = start & empty;
        _reach[groups + 1] = goal & empty;
        _budget = 4096;
        _empty = empty;
        _colour = black ? 0 : 1;
        return Chain(groups, 1u << groups, 0, false, out carrier);
    }

    private readonly ulong[] _nodes = new ulong[40];
    private readonly ulong[] _reach = new ulong[40];
    private int _groups, _budget, _colour;
    private ulong _empty;

    // Depth first from node `at` to an unvisited node over a link whose carrier is disjoint from `used`.
    private bool Chain(int at, uint visited, ulong used, bool semiUsed, out ulong carrier)
    {
        carrier = 0;
        if (--_budget < 0) return false;
        int start = _groups, goal = _groups + 1;
        for (var k = 0; k <= goal; k++)
        {
            if ((visited & (1u << k)) != 0 || k == start) continue;
            ulong link;
            var semi = false;
            // A group touching an edge row is joined to it (two groups never touch: they are maximal).
            if ((at >= _groups) != (k >= _groups) && (_nodes[at] & _nodes[k]) != 0)
            {
                link = 0;
            }
            else
            {
                var common = _reach[at] & _reach[k] & ~used;
                var n = BitOperations.PopCount(common);
                if (n >= 2)
                {
                    var first = common & (~common + 1);
                    var rest = common & ~first;
                    link = first | (rest & (~rest + 1));
                }
                else if (Ziggurat(at, k, used) is var zig and not 0)
                {
                    link = zig;
                }
                else if (n == 1 && !semiUsed)
                {
                    link = common;
                    semi = true;
                }
                else
                {
                    continue;
                }
            }
            if (k == goal)
            {
                carrier = semiUsed || semi ? used | link : 0;
                return true;
            }
            if (Chain(k, visited | (1u << k), used | link, semiUsed || semi, out carrier)) return true;
        }
        return false;
    }

    // A ziggurat joining a group and an edge node (either order), its carrier empty and disjoint from `used`; 0 if none.
    private ulong Ziggurat(int a, int b, ulong used)
    {
        if ((a >= _groups) == (b >= _groups)) return 0;
        var (group, edge) = a < _groups ? (a, b) : (b, a);
        foreach (var (stone, carrier) in _ziggurats[_colour][edge - _groups])
        {
            if ((_nodes[group] & stone) != 0 && (carrier & ~_empty) == 0 && (carrier & used) == 0) return carrier;
        }
        return 0;
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
}
