namespace ScaleLab.Cli.Tests;

/// <summary><c>distill --study S --plot FILE</c>: both figures written for a trained study; a plot without a study, or to
/// a folder that does not exist, refused in one line before any work.</summary>
public sealed class DistillStudyPlotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scalelab-distill-plot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void DistillStudy_Plot_WritesLossVsComputeAndCapacityGap()
    {
        // Given: one student size, two budgets, two seeds, on samples and from the oracle.
        var spec = Path.Combine(_directory, "study.toml");
        File.WriteAllText(spec, """
            study = "plot-distill"
            kind = "distill"
            [settings]
            teachers = ["none", "oracle"]
            student = { corpus = "synthetic", seq_len = 16, batch_size = 4, tokens = [640, 1280], seeds = [1, 2], eval_batches = 2, models = [{ layers = 1, d_model = 16, heads = 2 }] }
            """);
        var registry = "sqlite:" + Path.Combine(_directory, "study.db");
        var plot = Path.Combine(_directory, "distill.svg");

        // When
        var (code, _, err) = FitCli.Run("distill", "--study", "plot-distill", "--spec", spec, "--registry", registry, "--plot", plot);

        // Then: two SVG files; the oracle-teacher limit is drawn (its legend names the floor).
        Assert.True(code == 0, err);
        var curves = File.ReadAllText(plot);
        Assert.Contains("<svg", curves, StringComparison.Ordinal);
        Assert.Contains("oracle-teacher limit", curves, StringComparison.Ordinal);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(_directory, "distill-capacity-gap.svg")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "--plot needs --study")]
    [InlineData(true, "--plot")]
    public void Distill_BadPlot_ExitTwoWithOneLine(bool withStudy, string expected)
    {
        // Given: --plot without --study, or into a folder that does not exist.
        string[] args = withStudy
            ? ["distill", "--study", "s", "--registry", "sqlite:" + Path.Combine(_directory, "none.db"), "--plot", Path.Combine(_directory, "no", "such", "d.svg")]
            : ["distill", "--teacher", "oracle", "--plot", Path.Combine(_directory, "d.svg")];

        // When
        var (code, _, err) = FitCli.Run(args);

        // Then
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_directory, "none.db")));
    }
}
