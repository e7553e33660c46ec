namespace ScaleLab.Cli;

/// <summary>
/// Checks the files a verb will write before it does any work: an output must not be one of its inputs
/// (<c>fit data.csv --out data.csv</c> would replace the data with JSON), two outputs must differ, and each
/// must be writable — so a bad path is refused at once, not after a 30-second bootstrap.
/// </summary>
internal static class OutputPaths
{
    /// <param name="inputs">Files the verb reads, each with the flag or argument that names it.</param>
    /// <param name="outputs">Files the verb will write (null entries are absent flags).</param>
    public static void Check(IEnumerable<(string Name, string? Path)> inputs, IEnumerable<(string Name, string? Path)> outputs)
    {
        var given = outputs.Where(o => !string.IsNullOrEmpty(o.Path)).ToList();
        var read = inputs.Where(i => !string.IsNullOrEmpty(i.Path)).ToList();
        for (int k = 0; k < given.Count; k++)
        {
            var (name, path) = given[k];
            foreach (var (inputName, input) in read)
            {
                if (SameFile(path!, input!))
                {
                    throw new UsageException($"{name} {path} is the input {inputName}; writing it would destroy the input (choose another file)");
                }
            }
            for (int j = 0; j < k; j++)
            {
                if (SameFile(path!, given[j].Path!))
                {
                    throw new UsageException($"{name} and {given[j].Name} are the same file ({path}); give two files");
                }
            }
            EnsureWritable(name, path!);
        }
    }

    /// <summary>Same file: equal full paths after resolving symbolic links (hard links are not detected).</summary>
    internal static bool SameFile(string a, string b) => string.Equals(Resolve(a), Resolve(b), StringComparison.Ordinal);

    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? full : Path.GetFullPath(target.FullName);
        }
        catch (IOException)
        {
            return full;
        }
    }

    /// <summary>Refuses a path that cannot be written: its folder is missing or is a file, it is a folder, or the
    /// process lacks permission. Probes without truncating an existing file or leaving a new one behind.</summary>
    internal static void EnsureWritable(string name, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new UsageException($"{name} {path} is a folder; give a file name");
        }
        var folder = Path.GetDirectoryName(full)!;
        if (File.Exists(folder))
        {
            throw new UsageException($"{name} {path}: {folder} is a file, not a folder");
        }
        if (!Directory.Exists(folder))
        {
            throw new UsageException($"{name} {path}: folder {folder} does not exist (create it first)");
        }
        try
        {
            if (File.Exists(full))
            {
                using var existing = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            }
            else
            {
                var probe = Path.Combine(folder, $".scalelab-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                {
                }
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            string why = ex is UnauthorizedAccessException ? "permission denied" : "I/O error";
            throw new UsageException($"{name} {path} cannot be written ({why})");
        }
    }
}
