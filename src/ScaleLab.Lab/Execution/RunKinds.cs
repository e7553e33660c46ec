using System.Collections.Concurrent;
using System.Reflection;

namespace ScaleLab.Lab.Execution;

/// <summary>
/// Marks a kind an assembly defines, so a worker process that loads the assembly (<see cref="RunKinds.Load"/>)
/// registers it: <c>[assembly: RunKindExport(typeof(MyKind))]</c>, with MyKind an <see cref="IRunKind"/> that has
/// a public parameterless constructor.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class RunKindExportAttribute(Type kind) : Attribute
{
    public Type Kind { get; } = kind;
}

/// <summary>
/// The kinds of run this process knows, by name. Lab registers its own (<see cref="LanguageModelRunKind"/>,
/// the default for a spec or run without a kind, <see cref="Studies.Speculative.SpeculativePairKind"/> and <see cref="Studies.Distillation.DistillationRunKind"/>); an assembly that defines kinds registers them itself, either by
/// calling <see cref="Register"/> at start-up (the CLI does for the assemblies it references) or through
/// <see cref="RunKindExportAttribute"/> and the environment variable <see cref="AssembliesVariable"/>
/// (assembly paths separated by <see cref="Path.PathSeparator"/>), which every worker process, local or under
/// Slurm, reads when it first looks a kind up; child processes and Slurm jobs inherit it. Lab itself never
/// references the assemblies that define other kinds.
/// </summary>
public static class RunKinds
{
    /// <summary>Assemblies whose exported kinds a worker process loads before looking a kind up.</summary>
    public const string AssembliesVariable = "SCALELAB_RUN_KINDS";

    private static readonly ConcurrentDictionary<string, IRunKind> Kinds = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static string? _loadedVariable;

    static RunKinds()
    {
        Register(new LanguageModelRunKind());
        Register(new Studies.Speculative.SpeculativePairKind());
        Register(new Studies.Distillation.DistillationRunKind());
        Register(new Studies.Sae.SaeRunKind());
    }

    /// <summary>The names of the registered kinds, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            LoadFromEnvironment();
            return Kinds.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Registers a kind; registering the same instance or type again is a no-op, another kind under a
    /// taken name is refused.</summary>
    public static void Register(IRunKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (string.IsNullOrWhiteSpace(kind.Name) || kind.Name != kind.Name.Trim())
        {
            throw new ArgumentException($"run kind name '{kind.Name}' must be non-empty without surrounding spaces");
        }
        var existing = Kinds.GetOrAdd(kind.Name, kind);
        if (!ReferenceEquals(existing, kind) && existing.GetType() != kind.GetType())
        {
            throw new ArgumentException($"run kind '{kind.Name}' is already registered by {existing.GetType().FullName}");
        }
    }

    /// <summary>The kind of this name; an unknown one raises <see cref="InvalidDataException"/> naming the known kinds.</summary>
    public static IRunKind Get(string name)
    {
        if (Kinds.TryGetValue(name, out var kind))
        {
            return kind;
        }
        LoadFromEnvironment();
        return Kinds.TryGetValue(name, out kind)
            ? kind
            : throw new InvalidDataException(
                $"unknown run kind '{name}' (known: {string.Join(", ", Names)}; a kind from another assembly is registered by it, or named in ${AssembliesVariable})");
    }

    /// <summary>Loads an assembly by path and registers every kind it exports; returns their names.</summary>
    public static IReadOnlyList<string> Load(string assemblyPath)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.LoadFrom(Path.GetFullPath(assemblyPath));
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException)
        {
            throw new InvalidDataException($"{assemblyPath}: cannot load run kinds from it ({ex.Message.TrimEnd('.')})", ex);
        }
        var names = new List<string>();
        foreach (var export in assembly.GetCustomAttributes<RunKindExportAttribute>())
        {
            if (!typeof(IRunKind).IsAssignableFrom(export.Kind) || Activator.CreateInstance(export.Kind) is not IRunKind kind)
            {
                throw new InvalidDataException($"{assemblyPath}: exported run kind {export.Kind.FullName} is not an IRunKind with a public parameterless constructor");
            }
            Register(kind);
            names.Add(kind.Name);
        }
        return names;
    }

    /// <summary>The assemblies of <see cref="AssembliesVariable"/>, loaded once per value of the variable.</summary>
    private static void LoadFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(AssembliesVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        lock (Gate)
        {
            if (value == _loadedVariable)
            {
                return;
            }
            foreach (var path in value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Load(path);
            }
            _loadedVariable = value;
        }
    }
}
