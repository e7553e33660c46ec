namespace ScaleLab.Laws.Tests;

/// <summary>Locates ../shared/data next to the repository (the folder holding ScaleLab.slnx).</summary>
internal static class SharedData
{
    public static string Path(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ScaleLab.slnx")))
        {
            dir = dir.Parent;
        }
        if (dir?.Parent is null)
        {
            throw new InvalidOperationException("ScaleLab.slnx not found above " + AppContext.BaseDirectory);
        }
        return System.IO.Path.Combine(dir.Parent.FullName, "shared", "data", file);
    }

    /// <summary>Epoch's Chinchilla points with D = C/(6N) and the 5 highest-loss points dropped (240 left).</summary>
    public static ScalingDataset Chinchilla240() =>
        ScalingDataset.Load(Path("chinchilla_points.csv"), new ColumnSelection(N: "Model Size", C: "Training FLOP", Y: "loss"),
            LawInputs.N | LawInputs.D).DropHighestLoss(5);
}
