using System.Globalization;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// One training recipe of the vintage study: optimizer, schedule, weight decay and learning rate, everything else
/// (corpus, model family, context, batch, clipping, evaluation) shared by all recipes.
/// </summary>
/// <param name="Name">Study suffix (the study is <c>vintage-NAME</c>, or <c>vintage-quick-NAME</c>).</param>
/// <param name="Title">What the recipe is, in words, with its source.</param>
/// <param name="Sgd">Heavy-ball SGD (momentum <see cref="VintageSpec.SgdMomentum"/>) instead of Adam(W).</param>
/// <param name="Constant">Constant rate (no warmup, no decay) instead of 20% linear warmup then cosine to 10%.</param>
/// <param name="RateRule">The rate lr = 1.2e-2·√(24/d_model) per width instead of the single <paramref name="Rate"/>.</param>
public sealed record Vintage(string Name, string Title, bool Sgd, bool Constant, double WeightDecay, double Rate, bool RateRule)
{
    /// <summary>The learning rate of a width under this recipe.</summary>
    public double RateFor(int dModel) => RateRule ? DemoSpec.LearningRate(dModel) : Rate;

    /// <summary>The rate in words, for the spec's comment and the report.</summary>
    public string RateText => RateRule ? "1.2e-2·√(24/d_model)" : Rate.ToString("0.###e+0", CultureInfo.InvariantCulture);
}

/// <summary>
/// The built-in recipe-vintage study (issue 17, after Hernandez &amp; Brown 2020, "Measuring the Algorithmic Efficiency
/// of Neural Networks": the compute each recipe needs to reach a fixed loss). Four recipes, oldest first, each its own
/// registry study on the synthetic Markov corpus, each swept over the same compute budgets and sizes so that each finds
/// its own compute-efficient frontier (the lowest loss per budget over the sizes; <c>compare</c>'s frontier):
/// <list type="number">
/// <item>SGD with heavy-ball momentum 0.9 (Polyak 1964; Sutskever et al. 2013), constant rate 0.2, no weight decay.
/// The rate is from a check at C = 1.9e10 FLOP, constant rate, momentum 0.9, no decay, 1 seed (2026-12-01, shared
/// 2-core machine): final validation loss at rates 0.03 / 0.1 / 0.3 / 1.0 was 2.066 / 2.059 / 2.066 / 2.152 at width 12
/// (N = 3,792, 1,632 steps) and 2.133 / 2.103 / 2.097 / 2.143 at width 24 (N = 14,496, 243 steps): flat between 0.1 and
/// 0.3 (each within 0.007 nats of the best at both widths), 1.0 worst at both, so 0.2, between the two winners (0.2
/// itself was not run in the check).</item>
/// <item>Adam (Kingma &amp; Ba 2015): AdamW with weight decay 0, constant rate 3e-3 (the engine's default rate, not tuned
/// here: the same check with Adam gave 2.056 / 1.987 / 1.910 at rates 1e-3 / 3e-3 / 1e-2 at width 12 and 2.080 / 2.051 /
/// 2.062 at width 24, so 3e-3 is the best of the three at width 24 and 0.08 nats behind 1e-2 at width 12).</item>
/// <item>AdamW (Loshchilov &amp; Hutter 2019), weight decay 0.1, 20% linear warmup (Goyal et al. 2017) then cosine decay to
/// 10% (Loshchilov &amp; Hutter 2017), rate 3e-3: the engine's default recipe, with the demo's warmup.</item>
/// <item>That plus the learning-rate rule of the trust issue (issue 10), lr = 1.2e-2·√(24/d_model), as in <see cref="DemoSpec"/>.</item>
/// </list>
/// All four clip the gradient norm at 1 (the sweep spec has no "off"), so the ladder measures optimizer, schedule, decay
/// and rate, not clipping. Steps 1→2 and 3→4 change one thing each; step 2→3 changes the schedule and the decay together.
/// <para>Design: at each budget the sizes of <see cref="ShapeFamily"/> nearest to fixed multiples of a centre
/// N_c = 6,000·(C/3e10)^0.4, the best N the demo measured (2,680 at 4e9, 8,280 at 8.6e10, 16,952 at 4e11 FLOP; closing
/// note of issue 10), each trained on D = C/(6N). Full: 6 budgets 3e9–3e11 FLOP, a factor 10^0.4 apart (2 decades;
/// 6 frontier runs per recipe, the compare line's minimum being 4), 4 sizes at N_c × 0.3, 0.6, 1.2, 2.4 (a factor 8 in N,
/// reaching lower than above the centre: in the quick study SGD's best size at 3.2e10 FLOP was the smallest tried, 0.44
/// N_c, while Adam's was 1.08 N_c), at least 120 steps.
/// Quick: 4 budgets 1e9–3.2e10 (1.5 decades, a factor 10^0.5 apart: the ladder needs a loss every recipe's frontier
/// reaches, and a gain of 10× over the oldest recipe leaves only half a decade in common), 3 sizes at N_c × 0.5, 1, 2,
/// at least 100 steps; the sizes bracket the centre N_c, not necessarily each recipe's own optimum (the report says
/// which budgets are bracketed, for the full design too). One seed: the frontier line's residual bootstrap carries the
/// seed-to-seed scatter of the frontier runs, not a separate seed term.</para>
/// </summary>
internal static class VintageSpec
{
    internal const int SeqLen = DemoSpec.SeqLen;
    internal const int BatchSize = DemoSpec.BatchSize;
    internal const double SgdMomentum = 0.9;
    internal const double SgdRate = 0.2;
    internal const double AdamRate = 3e-3;

    /// <summary>The recipes, oldest first: the gain ladder is measured against the first.</summary>
    public static IReadOnlyList<Vintage> Recipes { get; } =
    [
        new("sgd", "SGD, heavy-ball momentum 0.9, constant rate 0.2, no weight decay", Sgd: true, Constant: true, WeightDecay: 0, Rate: SgdRate, RateRule: false),
        new("adam", "Adam (AdamW, weight decay 0), constant rate 3e-3", Sgd: false, Constant: true, WeightDecay: 0, Rate: AdamRate, RateRule: false),
        new("adamw-cosine", "AdamW, weight decay 0.1, 20% warmup then cosine to 10%, rate 3e-3", Sgd: false, Constant: false, WeightDecay: 0.1, Rate: AdamRate, RateRule: false),
        new("adamw-cosine-rule", "AdamW, weight decay 0.1, warmup + cosine, rate 1.2e-2·√(24/d_model) (issue 10's rule)", Sgd: false, Constant: false, WeightDecay: 0.1, Rate: 0, RateRule: true),
    ];

    public static string Study(Vintage recipe, bool quick) => (quick ? "vintage-quick-" : "vintage-") + recipe.Name;

    /// <summary>The centre of each budget's sizes: the demo's measured best N (see the class remarks).</summary>
    public static double CentreN(double compute) => 6000 * Math.Pow(compute / 3e10, 0.4);

    /// <summary>The compute budgets, smallest first: full 6 over 2 decades from 3e9; quick 4 over 1.5 decades from 1e9.</summary>
    public static IReadOnlyList<double> Budgets(bool quick)
    {
        var (smallest, count, step) = quick ? (1e9, 4, 0.5) : (3e9, 6, 0.4);
        return [.. Enumerable.Range(0, count).Select(k => double.Parse((smallest * Math.Pow(10, step * k)).ToString("0.##e+0", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))];
    }

    public static int MinSteps(bool quick) => quick ? 100 : 120;

    /// <summary>Multiples of the centre N tried at each budget.</summary>
    public static IReadOnlyList<double> SizeMultiples(bool quick) => quick ? [0.5, 1, 2] : [0.3, 0.6, 1.2, 2.4];

    /// <summary>The shapes tried at one budget, smallest first: the family's nearest to each multiple of the centre
    /// that the budget buys at least <see cref="MinSteps"/> steps.</summary>
    public static IReadOnlyList<ModelShape> SizesAt(double compute, bool quick)
    {
        var centre = CentreN(compute);
        return [.. SizeMultiples(quick)
            .Select(m => ShapeFamily.Nearest(centre * m, SeqLen))
            .Distinct()
            .Where(s => compute / (6.0 * ShapeFamily.NonEmbedding(s, SeqLen)) / (SeqLen * BatchSize) >= MinSteps(quick))];
    }

    /// <summary>Each shape with the budgets it runs at, longest runs first (most tokens: workers claim runs in spec
    /// order, so the sweep does not end with one worker training a long run alone).</summary>
    public static IReadOnlyList<(ModelShape Shape, List<double> Compute)> Design(bool quick)
    {
        var budgets = Budgets(quick);
        var sizes = budgets.Select(c => SizesAt(c, quick)).ToList();
        return [.. sizes.SelectMany(s => s).Distinct()
            .Select(shape => (shape, budgets.Where((c, k) => sizes[k].Contains(shape)).ToList()))
            .OrderByDescending(e => e.Item2.Max() / ShapeFamily.NonEmbedding(e.shape, SeqLen))];
    }

    public static string Toml(Vintage recipe, bool quick)
    {
        var inv = CultureInfo.InvariantCulture;
        var schedule = recipe.Constant
            ? "lr_schedule = \"constant\""
            : $"warmup_fraction = {DemoSpec.WarmupFraction.ToString(inv)}\nmin_lr_fraction = 0.1";
        var optimizer = recipe.Sgd ? $"optimizer = \"sgd\"\nmomentum = {SgdMomentum.ToString(inv)}\n" : "";
        var text = $"""
            # ScaleLab recipe-vintage study ({(quick ? "quick" : "full")}), recipe "{recipe.Name}": {recipe.Title}.
            # One of {Recipes.Count} recipes swept over the same budgets and sizes (scalelab compare --vintages); each trains
            # D = C / (6N) tokens. Edit and run with `scalelab sweep` (an edited spec is a new study: change `study`).
            study = "{Study(recipe, quick)}"
            corpus = "synthetic"
            seq_len = {SeqLen}
            batch_size = {BatchSize}
            compute = [{string.Join(", ", Budgets(quick).Select(c => c.ToString("0.###e+0", inv)))}]
            seeds = [1]
            eval_interval = 100
            eval_batches = 32
            threads_per_run = 1
            checkpoint_interval = 200

            [schedule]
            {optimizer}{schedule}
            weight_decay = {recipe.WeightDecay.ToString(inv)}
            grad_clip = 1.0

            """;
        foreach (var (shape, compute) in Design(quick))
        {
            text += $"""

                [[models]]
                layers = {shape.Layers}
                d_model = {shape.DModel}
                heads = {shape.Heads}
                compute = [{string.Join(", ", compute.Select(c => c.ToString("0.###e+0", inv)))}]
                learning_rates = [{recipe.RateFor(shape.DModel).ToString("0.####e+0", inv)}]

                """;
        }
        return text;
    }
}
