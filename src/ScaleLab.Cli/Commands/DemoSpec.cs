using System.Globalization;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// The built-in study behind `scalelab demo`: tiny GPTs on the engine's synthetic Markov corpus (whose
/// irreducible loss is known exactly), a grid of model sizes × token budgets so that N and D vary
/// independently (the Chinchilla L(N,D) fit needs both) and compute spans about two decades.
/// The spec is written to OUT/demo.toml so a user can edit it and run it with `scalelab sweep`.
/// </summary>
internal static class DemoSpec
{
    // Sizes and budgets were chosen on a 2-core machine (one thread per run, ~100k tokens/s for the smallest
    // model, ~25k for the largest): the full study trains 18 runs over 2.5 decades of compute in about five
    // minutes; the quick one 12 runs in well under a minute. lr 1e-2 beat 3e-3 and matched 2e-2 for these
    // widths over 1,000 steps (validation 1.79 vs 1.87 for L2 C48), so it is the one learning rate used.
    // Largest model first: workers claim runs in spec order, so the longest runs start first and the
    // sweep does not end with one worker training the biggest model alone.
    /// <summary>Model shapes (layers, d_model, heads), largest first.</summary>
    internal static readonly (int Layers, int DModel, int Heads)[] FullModels = [(3, 96, 4), (2, 64, 4), (2, 48, 4), (2, 32, 2), (1, 32, 2), (1, 16, 2)];
    internal static readonly long[] FullTokens = [250_000, 1_000_000, 3_000_000];
    internal static readonly (int Layers, int DModel, int Heads)[] QuickModels = [(2, 48, 4), (2, 32, 2), (1, 32, 2), (1, 16, 2)];
    internal static readonly long[] QuickTokens = [50_000, 150_000, 450_000];

    public static string Study(bool quick) => quick ? "demo-quick" : "demo";

    public static string Toml(bool quick)
    {
        var models = quick ? QuickModels : FullModels;
        var tokens = quick ? QuickTokens : FullTokens;
        var inv = CultureInfo.InvariantCulture;
        var text = $"""
            # ScaleLab demo study ({(quick ? "quick" : "full")}): {models.Length} model sizes x {tokens.Length} token budgets on the
            # built-in synthetic corpus. Edit and run with `scalelab sweep demo.toml`.
            study = "{Study(quick)}"
            corpus = "synthetic"
            seq_len = 32
            batch_size = 16
            tokens = [{string.Join(", ", tokens.Select(t => t.ToString(inv)))}]
            seeds = [1]
            learning_rates = [1e-2]
            eval_interval = 25
            eval_batches = 8
            threads_per_run = 1
            checkpoint_interval = 100

            [schedule]
            warmup_fraction = 0.05
            min_lr_fraction = 0.1
            weight_decay = 0.0
            grad_clip = 1.0

            """;
        foreach (var (l, c, h) in models)
        {
            text += $"""

                [[models]]
                layers = {l}
                d_model = {c}
                heads = {h}

                """;
        }
        return text;
    }
}
