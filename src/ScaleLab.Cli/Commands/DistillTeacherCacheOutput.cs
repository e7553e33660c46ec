using System.Globalization;
using System.Text.Json.Nodes;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using Spectre.Console;

namespace ScaleLab.Cli.Commands;

/// <summary>
/// <c>distill --write-teacher-cache FILE</c> (the teacher's top-k logits for every window of the run the flags describe,
/// <see cref="TeacherLogitCache"/>) and <c>distill --teacher-cache FILE</c> (a <see cref="CachedTopKTeacher"/> for training,
/// checked against the run and, when --teacher is given, against that teacher). Every refusal is one line, exit 2, with
/// nothing written.
/// </summary>
internal static class DistillTeacherCacheOutput
{
    public static int Write(IAnsiConsole console, Stderr stderr, DistillCommand.Settings settings, ICorpus corpus, TrainOptions options,
        CancellationToken cancellationToken)
    {
        var path = settings.WriteTeacherCache!;
        OutputPaths.Check([("--corpus", settings.Corpus), ("--teacher", settings.Teacher)], [("--write-teacher-cache", path)]);
        var k = settings.TopK!.Value;
        var (teacher, _) = DistillCommand.OpenTeacher(settings, corpus, options, measureLoss: false);
        using (teacher)
        {
            if (k > teacher.Vocab) throw new UsageException($"--top-k must be at most the vocabulary {teacher.Vocab}, got {k}");
            var windows = options.Steps * options.Batch;
            stderr.WriteLine(Inv($"distill: caching the top {k} logits of {teacher.Description} for {windows:N0} windows of {options.Model.SeqLen} tokens"));
            var every = Math.Max(1, windows / 10);
            var next = every;
            var started = DateTime.UtcNow;
            TeacherLogitCache cache;
            try
            {
                cache = TeacherLogitCache.Capture(teacher, corpus, options, k, done =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (settings.Json || done < next) return;
                    stderr.WriteLine(Inv($"windows {done:N0}/{windows:N0}"));
                    next = done + every;
                });
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message, ex);
            }
            cache.Save(path);
            var bytes = new FileInfo(path).Length;
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            if (settings.Json)
            {
                var doc = new JsonObject
                {
                    ["command"] = "distill",
                    ["teacher_cache"] = path,
                    ["teacher"] = cache.TeacherDescription,
                    ["teacher_identity"] = cache.TeacherIdentity,
                    ["corpus"] = corpus.Description,
                    ["windows"] = cache.Windows,
                    ["seq_len"] = cache.SeqLen,
                    ["top_k"] = cache.TopK,
                    ["mass_kept_mean"] = cache.MeanMassKept,
                    ["mass_kept_min"] = cache.MinMassKept,
                    ["bytes"] = bytes,
                    ["wall_seconds"] = seconds,
                };
                console.Profile.Out.Writer.WriteLine(doc.ToJsonString());
                return CliApp.ExitOk;
            }
            var table = new Table().AddColumns("", "value");
            void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
            Row("teacher logit cache", path);
            Row("teacher", cache.TeacherDescription);
            Row("windows", Inv($"{cache.Windows:N0} of {cache.SeqLen} tokens ({options.Steps:N0} steps × {options.Batch}, seed {options.Seed}) on {corpus.Description}"));
            Row("truncation", cache.Truncation);
            Row("size", Inv($"{bytes / 1e6:F1} MB"));
            Row("wall time", Inv($"{seconds:F1} s ({options.Threads} threads)"));
            console.Write(table);
            return CliApp.ExitOk;
        }
    }

    /// <summary>The cached teacher for the run the flags describe; no validation loss (the teacher is not run).</summary>
    public static (ITeacher Teacher, double? Loss) Open(DistillCommand.Settings settings, ICorpus corpus, TrainOptions options)
    {
        var path = settings.TeacherCache!;
        TeacherLogitCache cache;
        try
        {
            cache = TeacherLogitCache.Load(path);
            cache.EnsureCovers(corpus, options, path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new UsageException($"--teacher-cache {ex.Message}", ex);
        }
        if (settings.TopK is { } k && k != cache.TopK)
        {
            throw new UsageException($"--top-k {k} differs from the cache's top {cache.TopK}; drop --top-k or write a cache with --top-k {k}");
        }
        if (settings.Teacher is not null)
        {
            var (named, _) = DistillCommand.OpenTeacher(settings, corpus, options, measureLoss: false);
            using (named)
            {
                try
                {
                    cache.EnsureTeacher(named.Identity, named.Description, path);
                }
                catch (InvalidDataException ex)
                {
                    throw new UsageException($"--teacher-cache {ex.Message}", ex);
                }
            }
        }
        var teacher = new CachedTopKTeacher(cache, path);
        try
        {
            TeacherCompatibility.Check(teacher, options.Model);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        return (teacher, null);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
