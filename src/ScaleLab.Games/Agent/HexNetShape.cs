namespace ScaleLab.Games.Agent;

/// <summary>
/// The policy/value network's shape: a fully connected residual MLP over the (2, n, n) board planes, as Jones
/// (2021) used. Width × depth is the sweep's size axis. Parameter layout (one contiguous buffer, weights stored
/// (out, in) like torch.nn.Linear):
/// <code>
/// stem   W (W, I), b (W)              h₀ = relu(x·Wᵀ + b)            I = 2n²
/// block  W (W, W), b (W)  × depth     h_{l+1} = h_l + relu(h_l·W_lᵀ + b_l)
/// policy W (n², W), b (n²)            logits (masked softmax over empty cells)
/// value  W (1, W), b (1)              v = tanh(h·wᵀ + b), the mover's expected result in [−1, 1]
/// </code>
/// </summary>
public sealed record HexNetShape(int BoardSize, int Width, int Depth)
{
    public const int MaxWidth = 4096;
    public const int MaxDepth = 64;

    public int Cells => BoardSize * BoardSize;

    public int Inputs => 2 * Cells;

    public int StemOffset => 0;

    public int BlockOffset(int block) => Width * Inputs + Width + block * (Width * Width + Width);

    public int PolicyOffset => BlockOffset(Depth);

    public int ValueOffset => PolicyOffset + Cells * Width + Cells;

    public int ParameterCount => ValueOffset + Width + 1;

    /// <summary>Multiply-adds of one position's forward pass (the weights' count: each weight is used once).</summary>
    public long MultiplyAddsPerEvaluation => (long)Width * Inputs + (long)Depth * Width * Width + (long)Cells * Width + Width;

    /// <summary>Refuses an impossible shape in one line (<see cref="ArgumentException"/>).</summary>
    public void Validate()
    {
        Hex.HexBoard.CheckSize(BoardSize);
        if (Width is < 1 or > MaxWidth) throw new ArgumentException($"network width must be 1 to {MaxWidth}, got {Width}");
        if (Depth is < 0 or > MaxDepth) throw new ArgumentException($"network depth must be 0 to {MaxDepth}, got {Depth}");
    }
}
