namespace ScaleLab.Lab.Sweeps;

/// <summary>Specs of a run kind other than the language model (<see cref="SweepSpecReader"/>): the kind reads its
/// own [settings].</summary>
public sealed partial class SweepSpecReader
{
    /// <summary>The keys of a spec for a kind other than the language model: the kind's own settings go in the
    /// [settings] table and are handed to the kind (<see cref="Execution.IRunKind.Expand"/>) as JSON.</summary>
    private static readonly string[] KindRootKeys = ["study", "kind", "threads_per_run", "checkpoint_interval", "settings"];

    /// <summary>A spec of another kind: study, kind, execution settings and the kind's [settings], which the kind
    /// expands here so a bad setting is refused before anything runs.</summary>
    private SweepSpec ReadKind(TomlTable root, string kindName)
    {
        CheckKeys(root, KindRootKeys, "");
        var study = String(root, "study", required: true)!;
        if (!StudyName().IsMatch(study))
        {
            throw Error(root.LineOf("study"), "study", $"'{study}' may only hold letters, digits, '_', '-' and '.'");
        }
        Execution.IRunKind kind;
        try
        {
            kind = Execution.RunKinds.Get(kindName);
        }
        catch (InvalidDataException ex)
        {
            throw Error(root.LineOf("kind"), "kind", ex.Message);
        }
        var threads = (int)(Integer(root, "threads_per_run", min: 1, max: 1024) ?? 1);
        var checkpointInterval = (int)(Integer(root, "checkpoint_interval", min: 1, max: int.MaxValue) ?? 100);
        var settingsNode = root.Get("settings") ?? new TomlTable(root.Line, "settings");
        if (settingsNode is not TomlTable table)
        {
            throw Error(root.LineOf("settings"), "settings", $"must be a table ([settings]), got {settingsNode.TypeName}");
        }
        var settings = TomlTree.ToJson(table);
        IReadOnlyList<Registry.NewRun> runs;
        try
        {
            runs = kind.Expand(study, settings);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or FormatException or System.Text.Json.JsonException)
        {
            throw Error(root.LineOf("settings"), "settings", ex.Message.ReplaceLineEndings(" "));
        }
        if (runs.Count == 0)
        {
            throw Error(root.LineOf("settings"), "settings", $"kind '{kindName}' makes no runs of these settings");
        }
        return SweepSpec.OfKind(study, kindName, settings, runs.Select(r => r with { Kind = kindName }).ToList(), threads, checkpointInterval);
    }
}
