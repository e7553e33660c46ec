using ScaleLab.Lab.Registry;

namespace ScaleLab.Cli;

/// <summary>A registry a command reads from: a SQLite file that does not exist is refused in one line instead of
/// being created empty as a side effect of opening it (a command that reads must leave nothing behind).</summary>
internal static class RegistryToRead
{
    /// <summary>Opens <paramref name="flag"/> (or the default registry, named in <paramref name="registry"/>) with its
    /// schema current; a missing SQLite file is a <see cref="UsageException"/> "--registry R: <paramref name="missing"/>".</summary>
    public static IRunStore Open(string? flag, out string registry, string missing = "no such registry file")
    {
        registry = RunStores.Resolve(flag);
        var (backend, target) = RunStores.Parse(registry);
        if (backend == "sqlite" && !File.Exists(target))
        {
            throw new UsageException($"--registry {registry}: {missing}");
        }
        var store = RunStores.Open(registry);
        store.EnsureSchema();
        return store;
    }
}
