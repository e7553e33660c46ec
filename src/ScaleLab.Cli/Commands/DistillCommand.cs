using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Studies.Distillation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>scalelab distill</c>: trains one student GPT by knowledge distillation (Hinton et al. 2015): per step the student's
/// forward pass, the teacher's forward pass on the same inputs (no gradient), the fused loss (1 − λ)·CE + λ·T²·KL and the
/// student's backward pass. The teacher is a checkpoint file, a run of the registry (its checkpoint where sweep wrote it),
/// or <c>oracle</c>: the synthetic corpus's exact next-token distribution. The student trains in this process; its
/// validation loss is the plain cross-entropy, beside the corpus's floors and the compute 6·N_S·D + 2·N_T·D.
/// </summary>
[Verb("distill", "Train one student GPT by knowledge distillation from a teacher (a checkpoint, a registry run, or the synthetic corpus's exact source: oracle), loss (1-λ)·CE + λ·T²·KL(teacher_T ‖ student_T). Model and schedule flags and defaults are train's (2x64x4, T 64, B 16, 1000 steps, lr 3e-3); the student must share the teacher's vocabulary and context length",
    Examples = ["distill --teacher oracle --steps 300",
        "distill --teacher teacher.ckpt --temperature 2 --lambda 0.5 --layers 1 --d-model 32 --heads 2",
        "distill --teacher 3f2a9c1d0b7e4a55 --registry sqlite:runs.db --json",
        "distill --teacher oracle --top-k 4 --steps 300",
        "distill --teacher teacher.ckpt --top-k 8 --steps 300 --write-teacher-cache teacher-top8.sltk",
        "distill --teacher-cache teacher-top8.sltk --steps 300 --temperature 2",
        "distill --study distill-study --spec distill.toml --registry sqlite:runs.db --workers 2",
        "distill --study distill-study --registry sqlite:runs.db --plot distill.svg"])]
public sealed class DistillCommand(IAnsiConsole console, Stderr stderr) : Command<DistillCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        private static readonly RunDefaults Defaults = RunDefaults.Shared;

        [CommandOption("--teacher <TEACHER>")]
        [Description("oracle (the synthetic corpus's exact source), a checkpoint file, or the key of a run in --registry (required)")]
        public string? Teacher { get; set; }

        [CommandOption("--temperature <T>")]
        [Description("Softmax temperature of the soft targets, > 0 (default 1)")]
        public double Temperature { get; set; } = 1.0;

        [CommandOption("--lambda <L>")]
        [Description("Weight λ of the distillation term, 0 to 1; 1 − λ weighs the cross-entropy on the sampled tokens (default 1)")]
        public double Lambda { get; set; } = 1.0;

        [CommandOption("--top-k <K>")]
        [Description("Truncate the teacher to its K most probable tokens per position, renormalised (what a top-k logit cache keeps); default: the full distribution")]
        public int? TopK { get; set; }

        [CommandOption("--write-teacher-cache <FILE>")]
        [Description("Write the teacher's top --top-k logits for every window this run would draw (the same --corpus, --seq, --batch, --steps, --seed) to FILE, with the probability mass the cut keeps, and stop without training")]
        public string? WriteTeacherCache { get; set; }

        [CommandOption("--teacher-cache <FILE>")]
        [Description("Train from a teacher logit cache written by --write-teacher-cache: no teacher forward pass, the truncation it states; --teacher, if given, must be the teacher it was written from")]
        public string? TeacherCache { get; set; }

        [CommandOption("--corpus <CORPUS>")]
        [Description("synthetic (default: the built-in Markov corpus) or a text file")]
        public string Corpus { get; set; } = "synthetic";

        [CommandOption("--layers <L>")]
        [Description("Student transformer blocks (default 2)")]
        public int Layers { get; set; } = Defaults.Layers;

        [CommandOption("--d-model <C>")]
        [Description("Student channels (default 64)")]
        public int DModel { get; set; } = Defaults.DModel;

        [CommandOption("--heads <H>")]
        [Description("Student attention heads (default 4)")]
        public int Heads { get; set; } = Defaults.Heads;

        [CommandOption("--seq <T>")]
        [Description("Context length; a model teacher's must be the same (default 64)")]
        public int Seq { get; set; } = Defaults.SeqLen;

        [CommandOption("--batch <B>")]
        [Description("Sequences per step (default 16)")]
        public int Batch { get; set; } = Defaults.Batch;

        [CommandOption("--steps <S>")]
        [Description("Optimizer steps (default 1000)")]
        public long Steps { get; set; } = Defaults.Steps;

        [CommandOption("--lr <LR>")]
        [Description("Peak learning rate (default 3e-3)")]
        public double LearningRate { get; set; } = Defaults.LearningRate;

        [CommandOption("--warmup <W>")]
        [Description("Warmup steps (default 10% of the run)")]
        public int? Warmup { get; set; }

        [CommandOption("--seed <S>")]
        [Description("Seed for initialisation and data (default 1)")]
        public ulong Seed { get; set; } = Defaults.Seed;

        [CommandOption("--threads <N>")]
        [Description("Worker threads, shared by student and teacher (default 1)")]
        public int Threads { get; set; } = 1;

        [CommandOption("--registry <REGISTRY>")]
        [Description("Where a --teacher run key is looked up: sqlite:PATH (default sqlite:scalelab.db, or $SCALELAB_REGISTRY) or postgres:CONNSTRING")]
        public string? Registry { get; set; }

        [CommandOption("--checkpoint-dir <DIR>")]
        [Description("Checkpoint folder of the registry's runs (default: scalelab-checkpoints beside a SQLite registry, else the current folder)")]
        public string? CheckpointDir { get; set; }

        [CommandOption("--json")]
        [Description("Write one JSON document to stdout")]
        public bool Json { get; set; }

        [CommandOption("--study <NAME>")]
        [Description("Read back a registry study of distill runs (a sweep spec of kind = \"distill\": student sizes × token budgets × teachers, \"none\" among them) and report the crossover compute per student size and teacher with bootstrap intervals over seeds, the capacity gap, and the fitted laws: L(N, D) per teacher, the crossovers they imply, their back-tests and Busbridge et al.'s law. No --teacher")]
        public string? Study { get; set; }

        [CommandOption("--spec <FILE>")]
        [Description("With --study: enqueue this distill sweep spec first and train what is unfinished on --workers threads of this process")]
        public string? Spec { get; set; }

        [CommandOption("--plot <FILE>")]
        [Description("With --study: write the loss-against-compute figure (crossovers and the oracle-teacher limit marked) to FILE (.png or .svg) and the capacity-gap figure beside it (FILE-capacity-gap)")]
        public string? Plot { get; set; }

        [CommandOption("--workers <N>")]
        [Description("With --spec: runs trained at once (default 1)")]
        public int Workers { get; set; } = 1;

        [CommandOption("--law-draws <N>")]
        [Description("With --study: bootstrap resamples of each fitted student law, Busbridge's law and the back-tests (default 400; 0 fits no laws)")]
        public int? LawDraws { get; set; }

        public override ValidationResult Validate()
        {
            if (Study is not null)
            {
                if (Teacher is not null) return ValidationResult.Error("--study reads a study's runs, each with its own teacher; drop --teacher");
                if (TeacherCache is not null || WriteTeacherCache is not null) return ValidationResult.Error("--study reads a study's runs; the teacher caches belong to one run: drop --teacher-cache and --write-teacher-cache");
                if (LawDraws is < 0 or (> 0 and < 20)) return ValidationResult.Error($"--law-draws must be 0 (no laws) or at least 20, got {LawDraws}");
                return Workers < 1 ? ValidationResult.Error($"--workers must be positive, got {Workers}") : ValidationResult.Success();
            }
            if (Spec is not null) return ValidationResult.Error("--spec needs --study");
            if (Plot is not null) return ValidationResult.Error("--plot needs --study: it draws a study's curves");
            if (LawDraws is not null) return ValidationResult.Error("--law-draws needs --study");
            if (string.IsNullOrWhiteSpace(Teacher) && TeacherCache is null) return ValidationResult.Error("--teacher is required: oracle, a checkpoint file or a registry run key (or --teacher-cache FILE)");
            if (WriteTeacherCache is not null)
            {
                if (TeacherCache is not null) return ValidationResult.Error("--write-teacher-cache writes a cache from --teacher; drop --teacher-cache");
                if (string.IsNullOrWhiteSpace(Teacher)) return ValidationResult.Error("--write-teacher-cache needs --teacher: the model or oracle whose logits to cache");
                if (TopK is null) return ValidationResult.Error("--write-teacher-cache needs --top-k K: the logits kept per position");
            }
            if (!(Temperature > 0) || !double.IsFinite(Temperature)) return ValidationResult.Error($"--temperature must be positive, got {Temperature.ToString(CultureInfo.InvariantCulture)}");
            if (!(Lambda is >= 0 and <= 1)) return ValidationResult.Error($"--lambda must be in 0..1, got {Lambda.ToString(CultureInfo.InvariantCulture)}");
            if (TopK is < 1) return ValidationResult.Error($"--top-k must be positive, got {TopK}");
            if (Layers < 1 || DModel < 1 || Heads < 1 || Seq < 1 || Batch < 1 || Steps < 1 || Threads < 1)
            {
                return ValidationResult.Error("--layers, --d-model, --heads, --seq, --batch, --steps and --threads must be positive");
            }
            if (DModel % Heads != 0) return ValidationResult.Error($"--d-model ({DModel}) must be a multiple of --heads ({Heads})");
            if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) return ValidationResult.Error($"--lr must be positive, got {LearningRate.ToString(CultureInfo.InvariantCulture)}");
            return Warmup is < 0 ? ValidationResult.Error($"--warmup must be ≥ 0, got {Warmup}") : ValidationResult.Success();
        }

        internal ICorpus OpenCorpus() => Corpus == "synthetic" ? SyntheticCorpus.Default
            : File.Exists(Corpus) ? TextCorpus.Load(Corpus) : throw new UsageException($"--corpus {Corpus}: no such file");

        internal TrainOptions ToTrainOptions() => Defaults.NewRun(new Engine.GptConfig(Layers, DModel, Heads, Seq), Batch, Steps) with
        {
            LearningRate = LearningRate,
            WarmupSteps = Warmup,
            Seed = Seed,
            Threads = Threads,
        };
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Study is not null)
        {
            return DistillStudyOutput.Run(console, stderr, settings.Study, settings.Spec, settings.Registry, settings.CheckpointDir, settings.Workers,
                settings.Threads, settings.Json, cancellationToken, settings.Plot, settings.LawDraws);
        }
        var corpus = settings.OpenCorpus();
        var options = settings.ToTrainOptions();
        if (settings.WriteTeacherCache is not null) return DistillTeacherCacheOutput.Write(console, stderr, settings, corpus, options, cancellationToken);
        var (teacher, teacherLoss) = settings.TeacherCache is null ? OpenTeacher(settings, corpus, options, measureLoss: true)
            : DistillTeacherCacheOutput.Open(settings, corpus, options);
        var cache = (teacher as CachedTopKTeacher)?.Cache;
        using var objective = new DistillationObjective(teacher, new DistillationOptions(settings.Temperature, settings.Lambda, cache is null ? settings.TopK : null));
        try
        {
            objective.CheckStudent(options.Model);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        using var trainer = new Trainer(options, corpus) { Objective = objective };
        stderr.WriteLine($"distill: student {Checkpoint.Describe(options.Model)} from {objective.Teacher.Description}, T = {Inv($"{settings.Temperature}")}, λ = {Inv($"{settings.Lambda}")}");
        var every = Math.Max(1, settings.Steps / 10);
        var summary = trainer.Run(step =>
        {
            if (!settings.Json && step.Step % every == 0)
            {
                stderr.WriteLine(Inv($"step {step.Step}/{settings.Steps}: loss {step.Loss:F4}, train CE {objective.LastCrossEntropy:F4}, KL {objective.LastKl:F4}"));
            }
        }, cancellationToken: cancellationToken);
        var d = (double)summary.Tokens;
        var studentFlops = 6.0 * summary.NonEmbeddingParameters * d;
        var teacherFlops = 2.0 * objective.Teacher.NonEmbeddingParameters * d;
        if (settings.Json)
        {
            var doc = new JsonObject
            {
                ["command"] = "distill",
                ["corpus"] = summary.Corpus,
                ["student"] = Checkpoint.Describe(options.Model),
                ["student_non_embedding_parameters"] = summary.NonEmbeddingParameters,
                ["teacher"] = objective.Teacher.Description,
                ["teacher_non_embedding_parameters"] = objective.Teacher.NonEmbeddingParameters,
                ["teacher_validation_loss"] = teacherLoss,
                ["temperature"] = settings.Temperature,
                ["lambda"] = settings.Lambda,
                ["top_k"] = cache?.TopK ?? settings.TopK,
                ["teacher_cache"] = settings.TeacherCache,
                ["teacher_mass_kept_mean"] = cache?.MeanMassKept,
                ["steps"] = summary.Steps,
                ["tokens"] = summary.Tokens,
                ["validation_loss"] = summary.FinalValidationLoss,
                ["validation_floor"] = summary.ValidationFloor,
                ["entropy_rate"] = summary.EntropyRate,
                ["final_train_ce"] = objective.LastCrossEntropy,
                ["final_kl"] = objective.LastKl,
                ["student_flops"] = studentFlops,
                ["teacher_forward_flops"] = teacherFlops,
                ["flops"] = studentFlops + teacherFlops,
                ["wall_seconds"] = summary.WallSeconds,
                ["threads"] = summary.Threads,
            };
            console.Profile.Out.Writer.WriteLine(doc.ToJsonString());
            return CliApp.ExitOk;
        }
        var table = new Table().AddColumns("", "value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("corpus", summary.Corpus);
        Row("student", Inv($"{Checkpoint.Describe(options.Model)}, N = {summary.NonEmbeddingParameters:N0} non-embedding"));
        Row("teacher", objective.Teacher.Description);
        if (teacherLoss is { } tl) Row("teacher validation loss", Inv($"{tl:F4} nats/token"));
        Row("temperature / lambda", Inv($"{settings.Temperature} / {settings.Lambda}"));
        Row("steps / tokens", Inv($"{summary.Steps:N0} / {summary.Tokens:N0}"));
        Row("student validation loss (cross-entropy)", Inv($"{summary.FinalValidationLoss:F4} nats/token"));
        if (summary.ValidationFloor is { } vf) Row("Bayes-optimal loss on these windows", Inv($"{vf:F4} (paired gap {summary.FinalValidationLoss - vf:F4})"));
        if (summary.EntropyRate is { } h) Row("entropy rate", Inv($"{h:F4} nats/token"));
        Row("last step: train CE / KL at T", Inv($"{objective.LastCrossEntropy:F4} / {objective.LastKl:F4}"));
        Row("compute 6·N_S·D + 2·N_T·D", Inv($"{studentFlops:0.###e+0} + {teacherFlops:0.###e+0} = {studentFlops + teacherFlops:0.###e+0} FLOP"));
        Row("wall time", Inv($"{summary.WallSeconds:F1} s ({summary.Threads} threads)"));
        console.Write(table);
        return CliApp.ExitOk;
    }

    /// <summary>The teacher --teacher names, and its own validation loss when it is a model and <paramref name="measureLoss"/>.
    /// A missing file or run, a corrupt checkpoint, or an oracle on a text corpus is a usage error.</summary>
    internal static (ITeacher Teacher, double? Loss) OpenTeacher(Settings settings, ICorpus corpus, TrainOptions options, bool measureLoss)
    {
        var name = settings.Teacher!;
        if (name == DistillationTeacher.Oracle)
        {
            return corpus is SyntheticCorpus synthetic ? (new OracleTeacher(synthetic), null)
                : throw new UsageException($"--teacher oracle needs the synthetic corpus (its exact source); {corpus.Description} has none");
        }
        var path = name;
        if (!File.Exists(path))
        {
            var registry = RunStores.Resolve(settings.Registry);
            // A SQLite registry that does not exist holds no run; opening it would create it.
            if (RunStores.Parse(registry) is ("sqlite", var file) && !File.Exists(file))
            {
                throw new UsageException($"--teacher {name}: no such checkpoint file, and no registry at {registry} to hold a run {name}");
            }
            using var store = RunStores.Open(registry);
            var run = store.GetRun(name) ?? throw new UsageException($"--teacher {name}: no such checkpoint file, and no run {name} in {registry}");
            path = new ExecutorOptions { CheckpointDirectory = settings.CheckpointDir ?? ExecutorOptions.DefaultCheckpointDirectory(registry) }.CheckpointPath(run.Study, run.Key);
            if (!File.Exists(path)) throw new UsageException($"--teacher {name}: run {name} of study {run.Study} has no checkpoint at {path}");
        }
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new UsageException($"--teacher {name}: {ex.Message}", ex);
        }
        var teacher = new GptTeacher(checkpoint, options.MicroBatchSize, options.Threads, Path.GetFileName(path));
        try
        {
            TeacherCompatibility.Check(teacher, options.Model);
        }
        catch (ArgumentException ex)
        {
            teacher.Dispose();
            throw new UsageException(ex.Message, ex);
        }
        return (teacher, measureLoss && checkpoint.CorpusFingerprint == corpus.Fingerprint ? teacher.ValidationLoss(corpus, options.EvalSequences) : null);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
