namespace ScaleLab.Cli;

/// <summary>
/// Marks a Spectre command class as the verb <see cref="Name"/>. <see cref="CliApp"/> discovers every
/// marked class, so adding a verb is adding one file.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class VerbAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
    /// <summary>Example invocations shown by --help, each one command line without the program name
    /// (arguments separated by single spaces; attribute arguments cannot be jagged arrays).</summary>
    public string[] Examples { get; init; } = [];
    /// <summary>Left out of --help (internal verbs such as the sweep's <c>worker</c>).</summary>
    public bool Hidden { get; init; }
}
