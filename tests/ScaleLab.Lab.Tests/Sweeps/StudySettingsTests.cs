using Microsoft.Data.Sqlite;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Tests.Execution;

namespace ScaleLab.Lab.Tests.Sweeps;

public sealed class StudySettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-studyset-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private IRunStore StudyOf(string spec)
    {
        var store = RunStores.Open("sqlite:" + Path.Combine(_directory, "r.db"));
        SweepPlan.Enqueue(store, SweepSpec.Parse(spec));
        return store;
    }

    [Theory]
    [InlineData("seq_len = 16", "seq_len = 8", "seq_len 8 (study: 16)")]
    [InlineData("corpus = \"synthetic:3\"", "corpus = \"synthetic:4\"", "corpus synthetic:4 (study: synthetic:3)")]
    [InlineData("batch_size = 4", "batch_size = 8", "batch_size 8 (study: 4)")]
    [InlineData("warmup_steps = 3", "warmup_steps = 3\nmin_lr_fraction = 0.5", "min_lr_fraction 0.5 (study: 0.1)")]
    public void Enqueue_SpecWithOtherComparableSetting_RefusedInOneLineNamingIt(string from, string to, string named)
    {
        // Given: the study holds the runs of the tiny spec
        using var store = StudyOf(InProcessExecutorTests.TinySpec);
        var edited = SweepSpec.Parse(InProcessExecutorTests.TinySpec.Replace(from, to, StringComparison.Ordinal));

        // When
        var error = Assert.Throws<InvalidDataException>(() => SweepPlan.Enqueue(store, edited));

        // Then: one line naming the setting, its value in the study and the way out; nothing added
        Assert.Contains(named, error.Message);
        Assert.Contains("--add-to-study", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(6, store.ListRuns("tiny").Count);
    }

    [Fact]
    public void Enqueue_OtherSettingWithAddToStudy_Added()
    {
        // Given
        using var store = StudyOf(InProcessExecutorTests.TinySpec);
        var edited = SweepSpec.Parse(InProcessExecutorTests.TinySpec.Replace("seq_len = 16", "seq_len = 8", StringComparison.Ordinal));

        // When
        var result = SweepPlan.Enqueue(store, edited, addToStudy: true);

        // Then
        Assert.Equal(6, result.Added);
        Assert.Equal(12, store.ListRuns("tiny").Count);
    }

    [Fact]
    public void Enqueue_MoreShapesBudgetsSeedsAndLearningRates_AcceptedAsTheStudyVariesThem()
    {
        // Given
        using var store = StudyOf(InProcessExecutorTests.TinySpec);
        var grown = SweepSpec.Parse(InProcessExecutorTests.TinySpec
            .Replace("tokens = [1280, 2560, 3840]", "tokens = [1280, 5120]\nseeds = [1, 2]\nlearning_rates = [3e-3, 1e-2]", StringComparison.Ordinal)
            .Replace("[schedule]", "[[models]]\nlayers = 1\nd_model = 32\nheads = 2\n[schedule]", StringComparison.Ordinal));

        // When
        var result = SweepPlan.Enqueue(store, grown);

        // Then: 3 shapes × 2 budgets × 2 lrs × 2 seeds, of which the 2 (shape, 1280, 3e-3, seed 1) runs were there
        Assert.Equal(24, result.Runs);
        Assert.Equal(22, result.Added);
    }
}
