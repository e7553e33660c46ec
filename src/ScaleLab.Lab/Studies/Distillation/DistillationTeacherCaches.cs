using System.Text.Json;
using ScaleLab.Engine.Data;
using ScaleLab.Engine.Training;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Studies.Distillation;

/// <summary>A distillation run's teacher logit cache: the file (full path) and its SHA-256 at planning, so a cache written
/// again after planning is refused rather than silently changing the run.</summary>
public sealed record DistillationTeacherCache(string Path, string Sha256);

/// <summary>
/// The <c>teacher_cache</c> setting of a distill sweep spec: one teacher logit cache file (<see cref="TeacherLogitCache"/>,
/// written by <c>distill --write-teacher-cache</c>) or an array of them. A cache serves the checkpoint teacher it was written
/// from (teacher identity = SHA-256 of shape and weights); a cache that matches none of the spec's teachers is refused. Each
/// run of that teacher uses the first of its caches that covers the run's windows (same corpus, context length, data seed,
/// micro-batch, and at least steps × batch windows: a cache written for the largest budget of a seed serves every smaller
/// budget of that seed); when none does, the run is refused with the first cache's reason, in the words
/// <c>distill --teacher-cache</c> uses. A <c>top_k</c> that differs from the cache's k is refused. Every refusal is one line
/// (<see cref="InvalidDataException"/>) at planning, before anything trains.
/// </summary>
public sealed class DistillationTeacherCaches
{
    private readonly Dictionary<DistillationTeacher, List<(string Path, string Sha256, TeacherLogitCache Cache)>> _byTeacher;
    private readonly Dictionary<string, ICorpus> _corpora = new(StringComparer.Ordinal);

    private DistillationTeacherCaches(Dictionary<DistillationTeacher, List<(string, string, TeacherLogitCache)>> byTeacher) => _byTeacher = byTeacher;

    /// <summary>The caches the settings name, matched to <paramref name="teachers"/> (none named: no cache for any run).</summary>
    public static DistillationTeacherCaches Read(JsonElement settings, IReadOnlyList<DistillationTeacher> teachers)
    {
        ArgumentNullException.ThrowIfNull(teachers);
        var byTeacher = new Dictionary<DistillationTeacher, List<(string, string, TeacherLogitCache)>>();
        if (!settings.TryGetProperty("teacher_cache", out var setting)) return new DistillationTeacherCaches(byTeacher);
        var paths = setting.ValueKind switch
        {
            JsonValueKind.String => [setting.GetString()!],
            JsonValueKind.Array when setting.GetArrayLength() > 0 && setting.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                setting.EnumerateArray().Select(e => e.GetString()!).ToList(),
            _ => throw new InvalidDataException("distill setting teacher_cache must be a file name or a non-empty array of file names"),
        };
        var models = teachers.Where(t => t.Checkpoint is not null).Distinct()
            .Select(t => (Teacher: t, Gpt: new GptTeacher(Checkpoint.Load(t.Checkpoint!), 1, 1, t.Name))).ToList();
        try
        {
            foreach (var path in paths)
            {
                if (!File.Exists(path)) throw new InvalidDataException($"distill setting teacher_cache: {path} does not exist (write it with distill --write-teacher-cache)");
                var cache = TeacherLogitCache.Load(path);
                var owner = models.FirstOrDefault(m => m.Gpt.Identity == cache.TeacherIdentity);
                if (owner.Teacher is null)
                {
                    // One model teacher: the words of distill --teacher-cache with --teacher; several: name them all.
                    if (models.Count == 1) cache.EnsureTeacher(models[0].Gpt.Identity, models[0].Gpt.Description, path);
                    throw new InvalidDataException($"teacher logit cache {path} was written from {cache.TeacherDescription}, none of this spec's checkpoint teachers ({(models.Count == 0 ? "there are none" : string.Join(", ", models.Select(m => m.Teacher.Name)))}); write it from one of them or drop it");
                }
                if (!byTeacher.TryGetValue(owner.Teacher, out var list)) byTeacher[owner.Teacher] = list = [];
                list.Add((System.IO.Path.GetFullPath(path), RunExecution.Sha256(path), cache));
            }
        }
        finally
        {
            foreach (var m in models) m.Gpt.Dispose();
        }
        return new DistillationTeacherCaches(byTeacher);
    }

    /// <summary>The cache a run of <paramref name="teacher"/> with <paramref name="student"/> reads and its k (null: the teacher runs).</summary>
    public (DistillationTeacherCache Cache, int TopK)? For(DistillationTeacher teacher, RunSpec student, int? topK)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        if (!_byTeacher.TryGetValue(teacher, out var caches)) return null;
        if (!_corpora.TryGetValue(student.Corpus, out var corpus)) _corpora[student.Corpus] = corpus = Corpora.Open(student);
        var options = RunExecution.ToTrainOptions(student, 1);
        InvalidDataException? first = null;
        foreach (var (path, sha, cache) in caches)
        {
            try
            {
                cache.EnsureCovers(corpus, options, path);
            }
            catch (InvalidDataException ex)
            {
                first ??= ex;
                continue;
            }
            if (topK is { } k && k != cache.TopK)
            {
                throw new InvalidDataException($"distill setting top_k = {k} differs from teacher logit cache {path}'s top {cache.TopK}; drop top_k or write a cache with --top-k {k}");
            }
            return (new DistillationTeacherCache(path, sha), cache.TopK);
        }
        throw new InvalidDataException($"{first!.Message} (student {student.Model.Layers}x{student.Model.DModel}, seed {student.Seed}, {student.Tokens} tokens)", first);
    }

    /// <summary>The cached teacher of a planned run, checked again: the file unchanged since planning and covering the run.</summary>
    internal static CachedTopKTeacher Open(DistillationTeacherCache cached, ICorpus corpus, TrainOptions options)
    {
        if (!File.Exists(cached.Path)) throw new IOException($"teacher logit cache {cached.Path} does not exist");
        if (RunExecution.Sha256(cached.Path) != cached.Sha256)
        {
            throw new InvalidDataException($"teacher logit cache {cached.Path} changed since the run was planned (its SHA-256 differs); plan the run again");
        }
        var cache = TeacherLogitCache.Load(cached.Path);
        cache.EnsureCovers(corpus, options, cached.Path);
        return new CachedTopKTeacher(cache, cached.Path);
    }
}
