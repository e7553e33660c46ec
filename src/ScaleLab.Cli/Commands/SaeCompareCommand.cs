using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ScaleLab.Engine;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Sae;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Laws;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary><c>scalelab sae compare</c>: feature universality between two SAEs on two models (seeds or sizes) over the
/// same held-out tokens — latents matched one to one by the Hungarian algorithm on the correlation of their codes (any
/// widths) and, when the SAEs read the same width, on decoder cosine; beside the same correlation measure for the two
/// models' neurons at the SAEs' sites (<see cref="SaeComparison"/>).</summary>
[Verb("sae compare", "Feature universality: match the latents of two SAEs (on two models that differ in seed or size) one to one by the Hungarian algorithm on the correlation of their codes over the same validation tokens (and on decoder cosine when the widths agree); the fraction shared above a threshold and the mean max correlation, beside the same for the models' neurons at those sites",
    Examples = ["sae compare --sae-a a.slsa --checkpoint-a a.ckpt --sae-b b.slsa --checkpoint-b b.ckpt --corpus data.txt",
        "sae compare --sae-a a.slsa --checkpoint-a a.ckpt --sae-b b.slsa --checkpoint-b b.ckpt --corpus data.txt --windows 256 --threshold 0.7 --label seed --json"])]
public sealed class SaeCompareCommand(IAnsiConsole console, Stderr stderr) : Command<SaeCompareCommand.Settings>
{
    private static readonly JsonSerializerOptions Json = JsonNumbers.With(new() { WriteIndented = true });

    /// <summary>What the decoder cosine means across two models, in words (printed and in the JSON).</summary>
    public const string DecoderCosineCaveat =
        "decoder cosine compares directions in two activation spaces as if they shared a basis: true for two SAEs of one model; across models (another seed or size) the bases are unrelated, so it measures basis alignment, not shared features";

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--sae-a <FILE>")]
        [Description("SAE A, written by scalelab sae train")]
        public string? SaeA { get; set; }

        [CommandOption("--checkpoint-a <FILE>")]
        [Description("The model SAE A was trained on")]
        public string? CheckpointA { get; set; }

        [CommandOption("--sae-b <FILE>")]
        [Description("SAE B")]
        public string? SaeB { get; set; }

        [CommandOption("--checkpoint-b <FILE>")]
        [Description("The model SAE B was trained on")]
        public string? CheckpointB { get; set; }

        [CommandOption("--corpus <CORPUS>")]
        [Description("The corpus both models were trained on (synthetic, synthetic:SEED or a text file); its validation windows are the shared tokens")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--windows <N>")]
        [Description("Validation windows to read (default 128)")]
        public int Windows { get; set; } = 128;

        [CommandOption("--seq <T>")]
        [Description("Window length (default: the shorter of the two models' contexts)")]
        public int? Seq { get; set; }

        [CommandOption("--threshold <R>")]
        [Description("A matched pair counts as shared when its correlation exceeds R (default 0.5)")]
        public double Threshold { get; set; } = 0.5;

        [CommandOption("--cosine-threshold <C>")]
        [Description("... and, for decoder cosine, when its cosine exceeds C (default 0.7)")]
        public double CosineThreshold { get; set; } = 0.7;

        [CommandOption("--label <TEXT>")]
        [Description("A name for this pair kept in the JSON (e.g. seed or size), grouped by scalelab sae universality")]
        public string? Label { get; set; }

        [CommandOption("--threads <N>")]
        [Description("Kernel threads (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        public override ValidationResult Validate()
        {
            foreach (var (name, value) in new[] { ("--sae-a", SaeA), ("--checkpoint-a", CheckpointA), ("--sae-b", SaeB), ("--checkpoint-b", CheckpointB) })
            {
                if (string.IsNullOrEmpty(value)) return ValidationResult.Error($"{name} FILE is required");
            }
            if (Windows < 1) return ValidationResult.Error($"--windows must be 1 or more, got {Windows}");
            if (Seq is < 1) return ValidationResult.Error($"--seq must be 1 or more, got {Seq}");
            if (!(Threshold is >= -1 and < 1)) return ValidationResult.Error($"--threshold must be a correlation in [-1, 1), got {Threshold}");
            if (!(CosineThreshold is >= -1 and < 1)) return ValidationResult.Error($"--cosine-threshold must be a cosine in [-1, 1), got {CosineThreshold}");
            return Threads < 1 ? ValidationResult.Error($"--threads must be 1 or more, got {Threads}") : ValidationResult.Success();
        }
    }

    /// <summary>One side of the comparison: an SAE, its model, and the model's activations at the SAE's site.</summary>
    private sealed record Side(string Name, SaeCheckpoint Sae, Checkpoint Model);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        foreach (var (name, path) in new[] { ("--sae-a", settings.SaeA!), ("--checkpoint-a", settings.CheckpointA!), ("--sae-b", settings.SaeB!), ("--checkpoint-b", settings.CheckpointB!) })
        {
            InputFiles.EnsureRegularFile(name, path);
        }
        var a = Load("A", settings.SaeA!, settings.CheckpointA!);
        var b = Load("B", settings.SaeB!, settings.CheckpointB!);
        if (a.Sae.Site.Kind != b.Sae.Site.Kind)
        {
            throw new UsageException($"the SAEs read different kinds of site ({a.Sae.Site} and {b.Sae.Site}); compare SAEs of the same site kind");
        }
        if (a.Model.CorpusFingerprint != b.Model.CorpusFingerprint)
        {
            throw new UsageException($"{settings.CheckpointA} and {settings.CheckpointB} were trained on different corpora; compare models of one corpus");
        }
        if (a.Model.Config.Vocab != b.Model.Config.Vocab)
        {
            throw new UsageException($"the models have different vocabularies ({a.Model.Config.Vocab} and {b.Model.Config.Vocab} tokens)");
        }
        var context2 = Math.Min(a.Model.Config.SeqLen, b.Model.Config.SeqLen);
        var seq = settings.Seq ?? context2;
        if (seq > context2) throw new UsageException($"--seq {seq} is longer than the shorter model context {context2}");
        var corpus = Corpora.Open(settings.Corpus);
        if (corpus.Fingerprint != a.Model.CorpusFingerprint)
        {
            throw new UsageException($"--corpus {settings.Corpus} is not the corpus the models were trained on (its fingerprint differs from the checkpoints'); give that corpus");
        }
        var (inputs, _) = SaeInputs.ValidationWindows(corpus, settings.Windows, seq);
        var tokens = settings.Windows * seq;
        stderr.WriteLine($"sae compare: A = {a.Sae.Config.Describe()} at {a.Sae.Site}, B = {b.Sae.Config.Describe()} at {b.Sae.Site}, on {settings.Windows} validation windows of {seq} tokens");
        var (xa, za) = Encode(a, inputs, settings.Windows, seq, settings.Threads);
        var (xb, zb) = Encode(b, inputs, settings.Windows, seq, settings.Threads);
        stderr.WriteLine("sae compare: matching latents by correlation");
        var features = SaeComparison.ByCorrelation(za, a.Sae.Config.Latents, zb, b.Sae.Config.Latents, settings.Threshold);
        stderr.WriteLine("sae compare: matching neurons by correlation");
        var neurons = SaeComparison.ByCorrelation(xa, a.Sae.Config.Inputs, xb, b.Sae.Config.Inputs, settings.Threshold);
        var cosine = a.Sae.Config.Inputs == b.Sae.Config.Inputs
            ? SaeComparison.ByDecoderCosine(a.Sae.Config, a.Sae.Parameters.AsSpan(a.Sae.Config.DecoderWeightOffset, a.Sae.Config.Latents * a.Sae.Config.Inputs),
                b.Sae.Config, b.Sae.Parameters.AsSpan(b.Sae.Config.DecoderWeightOffset, b.Sae.Config.Latents * b.Sae.Config.Inputs), settings.CosineThreshold)
            : null;
        var sameModel = a.Sae.ModelIdentity == b.Sae.ModelIdentity;
        var note = CosineNote(a.Sae, b.Sae, cosine is not null, sameModel);
        var document = Document(settings, a, b, corpus, seq, tokens, features, neurons, cosine, note);
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, Json));
            return CliApp.ExitOk;
        }
        console.WriteLine(Inv($"sae compare: A = {a.Sae.Config.Describe()} at {a.Sae.Site} of {Path.GetFileName(settings.CheckpointA)}; B = {b.Sae.Config.Describe()} at {b.Sae.Site} of {Path.GetFileName(settings.CheckpointB)}{(sameModel ? " (the same model)" : "")}"));
        console.WriteLine(Inv($"shared tokens: {tokens} ({settings.Windows} validation windows of {seq}) of {corpus.Description}; ± are standard errors over the units only (not over SAE or model seeds: one pair)"));
        console.WriteLine(Line("features, activation correlation", features, "r"));
        console.WriteLine(Line("neurons,  activation correlation", neurons, "r"));
        console.WriteLine(cosine is null
            ? "features, decoder cosine: not computed (the SAEs read different widths)"
            : Line("features, decoder cosine", cosine, "cos") + (note is null ? "" : $" — {note}"));
        console.WriteLine(Verdict(features, neurons));
        return CliApp.ExitOk;
    }

    /// <summary>What the decoder cosine can mean for these two SAEs, or null when it needs no warning (two SAEs of one
    /// model from different initialisations): another model's basis, and/or the same initial decoder (equal seed,
    /// width and n: sae train draws the decoder from the seed alone).</summary>
    internal static string? CosineNote(SaeCheckpoint a, SaeCheckpoint b, bool computed, bool sameModel)
    {
        if (!computed) return "not computed: the SAEs read different widths";
        var sameInit = a.Options.Seed == b.Options.Seed && a.Config.Inputs == b.Config.Inputs && a.Config.Latents == b.Config.Latents;
        var init = sameInit
            ? Inv($"both SAEs were trained from seed {a.Options.Seed} at the same width and n, so they started from the same decoder: cosines above chance can be that shared initialisation (a latent that never fired keeps its initial row); train one with another --seed")
            : null;
        return (sameModel, init) switch
        {
            (true, null) => null,
            (true, _) => init,
            (false, null) => DecoderCosineCaveat,
            _ => DecoderCosineCaveat + "; " + init,
        };
    }

    private static Side Load(string name, string saePath, string checkpointPath)
    {
        var (sae, model) = SaeInputs.LoadMatched(saePath, checkpointPath, "give", side: name);
        return new Side(name, sae, model);
    }

    private static (float[] X, float[] Z) Encode(Side side, int[] inputs, int windows, int seq, int threads)
    {
        using var model = Gpt.FromCheckpoint(side.Model, maxBatch: 16, seq, threads);
        var x = Activations.Collect(model, side.Sae.Site, inputs, windows, seq);
        using var sae = side.Sae.ToModel(1024, threads);
        return (x, SaeComparison.Codes(sae, x));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Line(string what, UnitMatching m, string symbol) => Inv(
        $"{what}: {m.UnitsA} × {m.UnitsB} units, {m.Pairs} Hungarian pairs; shared ({symbol} > {m.Threshold:0.##}) {m.SharedFraction:0.000} ± {m.SharedFractionSe:0.000}; mean matched {symbol} {m.MeanMatched:0.000}; mean max {symbol} A→B {m.MeanMaxA:0.000} ± {m.MeanMaxASe:0.000}, B→A {m.MeanMaxB:0.000} ± {m.MeanMaxBSe:0.000}")
        + (m.ConstantA + m.ConstantB > 0 ? Inv($"; constant over these tokens (never fired; r = 0): A {m.ConstantA}, B {m.ConstantB}; shared among the smaller side's fired units {m.SharedOfFired:0.000} ± {m.SharedOfFiredSe:0.000}") : "");

    /// <summary>Features against neurons in words: the difference of the shared fractions with its standard error (units
    /// as independent draws), called a difference only beyond 2 standard errors.</summary>
    internal static string Verdict(UnitMatching features, UnitMatching neurons)
    {
        var diff = features.SharedFraction - neurons.SharedFraction;
        var se = Math.Sqrt(features.SharedFractionSe * features.SharedFractionSe + neurons.SharedFractionSe * neurons.SharedFractionSe);
        var word = !(se > 0) ? (diff == 0 ? "features and neurons equally shared" : diff > 0 ? "features more shared than neurons" : "features less shared than neurons")
            : Math.Abs(diff) <= 2 * se ? "features and neurons not distinguishable (within 2 standard errors)"
            : diff > 0 ? "features more shared than neurons" : "features less shared than neurons";
        var pools = features.UnitsA == features.UnitsB && neurons.UnitsA == neurons.UnitsB ? ""
            : Inv($"; pools differ in size (features {features.UnitsA} × {features.UnitsB}, neurons {neurons.UnitsA} × {neurons.UnitsB}): the smaller side picks its partners among more candidates, which raises its fraction");
        return Inv($"features vs neurons: shared fraction {features.SharedFraction:0.000} vs {neurons.SharedFraction:0.000}, difference {diff:+0.000;-0.000;0.000} ± {se:0.000}: {word} here{pools}");
    }

    private static Dictionary<string, object?> Matching(UnitMatching m, bool pairs) => new()
    {
        ["method"] = m.Method,
        ["units_a"] = m.UnitsA,
        ["units_b"] = m.UnitsB,
        ["pairs"] = m.Pairs,
        ["threshold"] = m.Threshold,
        ["shared_fraction"] = m.SharedFraction,
        ["shared_fraction_se"] = m.SharedFractionSe,
        ["shared_fraction_of_fired"] = m.SharedOfFired,
        ["shared_fraction_of_fired_se"] = m.SharedOfFiredSe,
        ["mean_matched"] = m.MeanMatched,
        ["mean_max_a_to_b"] = m.MeanMaxA,
        ["mean_max_a_to_b_se"] = m.MeanMaxASe,
        ["mean_max_b_to_a"] = m.MeanMaxB,
        ["mean_max_b_to_a_se"] = m.MeanMaxBSe,
        ["constant_a"] = m.ConstantA,
        ["constant_b"] = m.ConstantB,
        ["matches"] = pairs ? m.RowA.Select((r, p) => new { a = r, b = m.ColumnB[p], similarity = m.Similarity[p] }).ToList() : null,
    };

    private static Dictionary<string, object?> Document(Settings settings, Side a, Side b, ICorpus corpus, int seq, int tokens,
        UnitMatching features, UnitMatching neurons, UnitMatching? cosine, string? note) => new()
    {
        ["command"] = "sae compare",
        ["label"] = settings.Label,
        ["a"] = SideDocument(settings.SaeA!, settings.CheckpointA!, a),
        ["b"] = SideDocument(settings.SaeB!, settings.CheckpointB!, b),
        ["same_model"] = a.Sae.ModelIdentity == b.Sae.ModelIdentity,
        ["corpus"] = corpus.Description,
        ["windows"] = settings.Windows,
        ["seq"] = seq,
        ["tokens"] = tokens,
        ["se_definition"] = "standard errors count the units as independent draws (binomial for the fraction, s/sqrt(n) for means); they do not cover SAE or model training seeds",
        ["shared_fraction_definition"] = "fraction of the min(n_A, n_B) Hungarian pairs whose similarity exceeds the threshold",
        ["features_correlation"] = Matching(features, pairs: true),
        ["neurons_correlation"] = Matching(neurons, pairs: false),
        ["features_decoder_cosine"] = cosine is null ? null : Matching(cosine, pairs: false),
        ["decoder_cosine_note"] = note,
        ["verdict"] = Verdict(features, neurons),
    };

    private static Dictionary<string, object?> SideDocument(string sae, string checkpoint, Side s) => new()
    {
        ["sae"] = sae,
        ["checkpoint"] = checkpoint,
        ["model"] = Checkpoint.Describe(s.Model.Config),
        ["d_model"] = s.Model.Config.DModel,
        ["layers"] = s.Model.Config.Layers,
        ["seed"] = s.Model.Options.Seed,
        ["site"] = s.Sae.Site.ToString(),
        ["family"] = SaeInputs.FamilyName(s.Sae.Config),
        ["latents"] = s.Sae.Config.Latents,
        ["k"] = s.Sae.Config.Family == SaeFamily.TopK ? s.Sae.Config.K : null,
        ["width"] = s.Sae.Config.Inputs,
    };
}
