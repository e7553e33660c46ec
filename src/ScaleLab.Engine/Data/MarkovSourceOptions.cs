namespace ScaleLab.Engine.Data;

/// <summary>Parameters of the random variable-order Markov source behind the synthetic corpus.</summary>
public sealed record MarkovSourceOptions
{
    /// <summary>Number of symbols A; symbol i is the byte <c>Alphabet[i]</c> ('a', 'b', ...).</summary>
    public int AlphabetSize { get; init; } = 16;

    /// <summary>Longest context K (the source is an order-K Markov chain over full states of K symbols).</summary>
    public int MaxOrder { get; init; } = 4;

    /// <summary>
    /// Entry d is the probability that a context of length d is refined into A longer contexts (one per
    /// preceding symbol); one entry per depth 0..K−1. Decreasing values give a few deep contexts among
    /// many shallow ones: structure at every order, each harder to learn than the last.
    /// </summary>
    public IReadOnlyList<double> SplitProbabilities { get; init; } = [1.0, 0.75, 0.5, 0.3];

    /// <summary>Dirichlet concentration per symbol of the root (order-0) distribution.</summary>
    public double RootConcentration { get; init; } = 1.0;

    /// <summary>Total concentration c of a child's Dirichlet(c·m): smaller is peakier.</summary>
    public double ChildConcentration { get; init; } = 4.0;

    /// <summary>
    /// Weight λ of the parent in a child's prior mean m = λ·p_parent + (1−λ)·uniform: 1 makes a longer
    /// context a sharpening of its parent, 0 makes it an independent draw.
    /// </summary>
    public double Inheritance { get; init; } = 0.5;

    /// <summary>
    /// Mixing weight η of the uniform distribution in every context, p = (1−η)·p' + η/A. It makes every
    /// transition possible, so the chain over full states is irreducible and aperiodic: its stationary
    /// distribution is unique and power iteration converges to it, and every log-loss is finite.
    /// </summary>
    public double Smoothing { get; init; } = 0.01;

    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (AlphabetSize is < 2 or > MarkovSource.MaxAlphabetSize)
        {
            throw new ArgumentException($"alphabet size {AlphabetSize} must be in 2..{MarkovSource.MaxAlphabetSize}");
        }
        if (MaxOrder < 1 || Math.Pow(AlphabetSize, MaxOrder) > MarkovSource.MaxStates)
        {
            throw new ArgumentException($"max order {MaxOrder} must be ≥ 1 with A^K ≤ {MarkovSource.MaxStates} full states (A = {AlphabetSize})");
        }
        if (SplitProbabilities.Count != MaxOrder || SplitProbabilities.Any(p => p is < 0 or > 1 || double.IsNaN(p)))
        {
            throw new ArgumentException($"split probabilities need {MaxOrder} values in [0, 1], one per context length 0..{MaxOrder - 1}");
        }
        if (!(RootConcentration > 0) || !(ChildConcentration > 0) || Smoothing is <= 0 or > 1 || double.IsNaN(Smoothing)
            || Inheritance is < 0 or > 1 || double.IsNaN(Inheritance))
        {
            throw new ArgumentException("concentrations must be > 0, smoothing in (0, 1] and inheritance in [0, 1]");
        }
    }
}
