using System.Globalization;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// The built-in study behind `scalelab demo`: tiny GPTs on the engine's synthetic Markov corpus (whose
/// irreducible loss is known exactly), designed to identify what the report leads with.
/// <list type="bullet">
/// <item>An isoFLOP design (Hoffmann et al. 2022 Approach 2): 4 compute budgets a factor 10^(2/3) apart (2 decades,
/// 4e9 to 4e11 FLOP: at 2e9 the best size was the family's smallest, so that budget had no interior optimum; at 4e9
/// the best width sits between two others; the verification run at 10x the largest costs about as much as the whole
/// sweep on one core, and this range keeps sweep, fits and verification within 10 minutes on 2 cores),
/// and at each budget the sizes of <see cref="ShapeFamily"/> from a third to 3.5 times a guess of the
/// compute-optimal N, each trained on D = C/(6N) tokens, so every budget's profile has its minimum inside it.
/// The guess, N ≈ 3,800·(C / 3e10)^0.4, comes from pilot sweeps on this corpus: the best sizes were 2.7k at
/// C = 6.5e9, 3.8k at 3e10 and at most 14.5k at 2e11 (this corpus favours many tokens per parameter, 100–400 at
/// these budgets); the report checks the bracketing on the data.</item>
/// <item>A learning rate per width by one rule, lr = 1.2e-2·√(24 / d_model) (Adam's best rate falls with width:
/// in the pilots at C = 2e11, 1e-2 beat 2e-2 at widths 24, 32 and 48, and 4e-2 lost by 0.02–0.03 nats). The rule
/// is checked in the study itself: at the second budget every size also runs at half and twice its rate, and at
/// the third budget the largest size does too; the report shows the loss at each rate tried.</item>
/// <item>A warmup of 20% of the steps and at least 120 steps per run. With 10%, 2 of the 39 runs had a one-batch loss
/// spike early in training (2x26 at step 59 of 1,655, +2.1 nats, gradient norm 100; 2x22 at twice the rule's rate,
/// step 36 of 495, +1.9 nats); with 20% neither spikes, nor does any other run of the design over its first 400 steps
/// at seeds 1 and 2.</item>
/// </list>
/// The spec is written to OUT/demo.toml so a user can edit it and run it with `scalelab sweep`.
/// </summary>
internal static class DemoSpec
{
    /// <summary>Largest compute budget of the full and the quick study (FLOP, 6·N·D).</summary>
    internal const double FullLargestCompute = 4e11;
    internal const double QuickLargestCompute = 3e10;
    internal const int SeqLen = 32;
    internal const int BatchSize = 16;
    internal const double WarmupFraction = 0.2;

    public static string Study(bool quick) => quick ? "demo-quick" : "demo";

    /// <summary>The rule's learning rate for a width.</summary>
    public static double LearningRate(int dModel) => 1.2e-2 * Math.Sqrt(24.0 / dModel);

    /// <summary>The pilots' guess of the compute-optimal N at a budget (see the class remarks).</summary>
    public static double OptimalNGuess(double compute) => 3800 * Math.Pow(compute / 3e10, 0.4);

    /// <summary>The compute budgets, smallest first: 4 over 2 decades (quick: 3 over 1.3 decades).</summary>
    public static IReadOnlyList<double> Budgets(bool quick)
    {
        var largest = quick ? QuickLargestCompute : FullLargestCompute;
        var count = quick ? 3 : 4;
        return Enumerable.Range(0, count).Select(k => largest / Math.Pow(10, 2.0 * (count - 1 - k) / 3)).ToList();
    }

    /// <summary>
    /// Each shape's budgets and learning rates. At each budget the candidate sizes are those with N within
    /// [guess/3, 3.5·guess] that the budget buys at least <c>minSteps</c> steps; from the largest down, a size is
    /// kept when its N is at least 1.3× below the last kept one, so a budget holds 5–7 sizes spread evenly in log N.
    /// </summary>
    public static IReadOnlyList<(ModelShape Shape, List<double> Compute, List<double> Rates)> Design(bool quick)
    {
        var budgets = Budgets(quick);
        var minSteps = quick ? 100 : 120;
        var chosen = budgets.Select(c => SizesAt(c, minSteps)).ToList();
        var design = new List<(ModelShape, List<double>, List<double>)>();
        foreach (var shape in ShapeFamily.Shapes.Reverse())
        {
            var rule = LearningRate(shape.DModel);
            // The rate check (full study): every size of the second budget, and the largest size of the third; the
            // shape is listed once more for those budgets with three rates.
            bool IsChecked(int k) => !quick && (k == 1 || (k == 2 && chosen[2].MaxBy(s => s.DModel) == shape));
            var plain = budgets.Where((c, k) => chosen[k].Contains(shape) && !IsChecked(k)).ToList();
            var checkedBudgets = budgets.Where((c, k) => chosen[k].Contains(shape) && IsChecked(k)).ToList();
            if (plain.Count > 0)
            {
                design.Add((shape, plain, [rule]));
            }
            if (checkedBudgets.Count > 0)
            {
                design.Add((shape, checkedBudgets, [rule / 2, rule, rule * 2]));
            }
        }
        // Longest runs first (most tokens; the small models at the largest budget): workers claim runs in spec order,
        // so the sweep does not end with one worker training a long run alone.
        return design.OrderByDescending(e => e.Item2.Max() / ShapeFamily.NonEmbedding(e.Item1, SeqLen)).ToList();
    }

    private static List<ModelShape> SizesAt(double compute, int minSteps)
    {
        var guess = OptimalNGuess(compute);
        var kept = new List<ModelShape>();
        long last = 0;
        foreach (var shape in ShapeFamily.Shapes.Reverse())
        {
            var n = ShapeFamily.NonEmbedding(shape, SeqLen);
            var steps = compute / (6.0 * n) / (SeqLen * BatchSize);
            if (n >= guess / 3 && n <= guess * 4 && steps >= minSteps && (last == 0 || last >= 1.3 * n))
            {
                kept.Add(shape);
                last = n;
            }
        }
        return kept;
    }

    public static string Toml(bool quick)
    {
        var inv = CultureInfo.InvariantCulture;
        var budgets = Budgets(quick);
        var text = $"""
            # ScaleLab demo study ({(quick ? "quick" : "full")}): an isoFLOP design on the built-in synthetic corpus,
            # {budgets.Count} compute budgets, the sizes near each budget's expected optimum trained on D = C / (6N),
            # learning rate 1.2e-2 * sqrt(24 / d_model), checked at half and twice that rate where two rates are listed.
            # Edit and run with `scalelab sweep demo.toml` (an edited spec is a new study: change `study`).
            study = "{Study(quick)}"
            corpus = "synthetic"
            seq_len = {SeqLen}
            batch_size = {BatchSize}
            compute = [{string.Join(", ", budgets.Select(c => c.ToString("0.###e+0", inv)))}]
            seeds = [1]
            eval_interval = 100
            eval_batches = 32
            threads_per_run = 1
            checkpoint_interval = 200

            [schedule]
            warmup_fraction = {WarmupFraction.ToString(inv)}
            min_lr_fraction = 0.1
            weight_decay = 0.0
            grad_clip = 1.0

            """;
        foreach (var (shape, compute, rates) in Design(quick))
        {
            text += $"""

                [[models]]
                layers = {shape.Layers}
                d_model = {shape.DModel}
                heads = {shape.Heads}
                compute = [{string.Join(", ", compute.Select(c => c.ToString("0.###e+0", inv)))}]
                learning_rates = [{string.Join(", ", rates.Select(r => r.ToString("0.####e+0", inv)))}]

                """;
        }
        return text;
    }
}
