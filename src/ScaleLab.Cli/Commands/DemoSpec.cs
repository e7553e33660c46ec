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
    /// <summary>Model shapes (layers, d_model, heads), smallest first.</summary>
    internal static readonly (int Layers, int DModel, int Heads)[] FullModels = [(1, 16, 2), (1, 32, 2), (2, 32, 2), (2, 48, 4), (2, 64, 4)];
    internal static readonly long[] FullTokens = [150_000, 400_000, 1_000_000];
    internal static readonly (int Layers, int DModel, int Heads)[] QuickModels = [(1, 16, 2), (1, 32, 2), (2, 32, 2), (2, 48, 4)];
    internal static readonly long[] QuickTokens = [60_000, 240_000];

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
            learning_rates = [3e-3]
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
