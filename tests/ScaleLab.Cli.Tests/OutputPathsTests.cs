using ScaleLab.Cli;

namespace ScaleLab.Cli.Tests;

/// <summary>An output that is an input, or that cannot be written, is refused before any work.</summary>
public sealed class OutputPathsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("scalelab-outputs-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Fit_OutIsTheDataFile_ExitsTwoAndLeavesTheDataUntouched()
    {
        // Given
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var before = File.ReadAllBytes(csv);

        // When: the same file, spelled differently.
        var relative = Path.Combine(_dir.FullName, ".", Path.GetFileName(csv));
        var result = FitCli.Run("fit", csv, "--law", "powerlaw", "--out", relative);

        // Then
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "is the input DATA");
        Assert.Equal(before, File.ReadAllBytes(csv));
    }

    [Fact]
    public void Fit_PlotIsASymlinkToTheData_ExitsTwo()
    {
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var link = Path.Combine(_dir.FullName, "figure.svg");
        File.CreateSymbolicLink(link, csv);
        var before = File.ReadAllBytes(csv);
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "powerlaw", "--plot", link), CliApp.ExitUsage, "is the input DATA");
        Assert.Equal(before, File.ReadAllBytes(csv));
    }

    [Fact]
    public void Fit_OutAndPlotSameFile_ExitsTwo()
    {
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var svg = Path.Combine(_dir.FullName, "x.svg");
        FitCli.AssertOneLineError(FitCli.Run("fit", csv, "--law", "powerlaw", "--out", svg, "--plot", svg), CliApp.ExitUsage, "are the same file");
    }

    [Fact]
    public void Fit_OutInMissingFolder_RefusedBeforeTheBootstrapStarts()
    {
        // Given: a bootstrap that would print progress on stderr once it starts.
        var csv = FitCli.PowerLawCsv(_dir.FullName, 12);
        var outFile = Path.Combine(_dir.FullName, "no-such-folder", "fit.json");

        // When: the real program, so that its progress lines on stderr are seen.
        var (code, _, err) = CliProcess.Run(["fit", csv, "--law", "powerlaw", "--bootstrap", "200", "--out", outFile]);

        // Then: one line, and no "bootstrap: k/200" before it.
        Assert.Equal(CliApp.ExitUsage, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist", line);
        Assert.False(Directory.Exists(Path.GetDirectoryName(outFile)));
    }

    [Fact]
    public void Isoflop_PlotIsAFolder_ExitsTwo()
    {
        var csv = FitCli.PowerLawCsv(_dir.FullName, 8);
        var folder = Directory.CreateDirectory(Path.Combine(_dir.FullName, "plot.png")).FullName;
        FitCli.AssertOneLineError(FitCli.Run("isoflop", csv, "--plot", folder), CliApp.ExitUsage, "is a folder");
    }

    [Fact]
    public void Train_CheckpointIsTheCorpus_ExitsTwoAndLeavesTheCorpusUntouched()
    {
        var corpus = FitCli.Write(_dir.FullName, "corpus.txt", string.Concat(Enumerable.Repeat("to be or not to be, that is the question. ", 200)));
        var before = File.ReadAllBytes(corpus);
        var result = FitCli.Run("train", "--corpus", corpus, "--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
            "--steps", "2", "--checkpoint", corpus);
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "--checkpoint");
        Assert.Equal(before, File.ReadAllBytes(corpus));
    }

    [Fact]
    public void Report_OutBesideARegistryNamedLikeItsJson_ExitsTwo()
    {
        // report.html writes report.json beside it: a registry at that path would be replaced.
        var registry = Path.Combine(_dir.FullName, "report.json");
        File.WriteAllText(registry, "not a database");
        var result = FitCli.Run("report", "--study", "s", "--registry", "sqlite:" + registry, "--out", Path.Combine(_dir.FullName, "report.html"));
        FitCli.AssertOneLineError(result, CliApp.ExitUsage, "is the input --registry");
        Assert.Equal("not a database", File.ReadAllText(registry));
    }

    [Fact]
    public void EnsureWritable_ExistingFile_NotTruncated_NewFile_NotLeftBehind()
    {
        var existing = FitCli.Write(_dir.FullName, "keep.json", "{}");
        OutputPaths.EnsureWritable("--out", existing);
        Assert.Equal("{}", File.ReadAllText(existing));
        var fresh = Path.Combine(_dir.FullName, "new.json");
        OutputPaths.EnsureWritable("--out", fresh);
        Assert.False(File.Exists(fresh));
        Assert.Single(_dir.GetFiles());
    }
}
