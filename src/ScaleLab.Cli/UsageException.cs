namespace ScaleLab.Cli;

/// <summary>A user mistake (bad flag value, missing file, malformed data): one line on stderr, exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
    public UsageException() { }
}
