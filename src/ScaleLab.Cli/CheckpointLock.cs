namespace ScaleLab.Cli;

/// <summary>
/// An exclusive lock on a checkpoint for as long as one process trains into it: a lock file beside it
/// (<c>FILE.lock</c>) opened with <see cref="FileShare.None"/>, which .NET takes as an advisory whole-file lock that the
/// kernel releases when the process dies (so a SIGKILL leaves no stale lock, only the empty file; a normal exit removes
/// it, unlinking it before letting go so that nobody is locked out of a path another process is about to create). Without it, a run
/// restarted while the one it replaces is still writing its final checkpoint (a SIGTERM makes it write one) can have
/// its checkpoint overwritten by the dying run. Taken by <c>train</c> (--checkpoint or --resume) and <c>sae train</c> (--out).
/// </summary>
internal sealed class CheckpointLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _path;

    private CheckpointLock(FileStream stream, string path) => (_stream, _path) = (stream, path);

    /// <summary>The lock file's path for a checkpoint.</summary>
    public static string PathOf(string checkpoint) => checkpoint + ".lock";

    /// <summary>Takes the lock, or refuses in one line (exit 2) when another process (or this one) holds it.</summary>
    public static CheckpointLock Acquire(string flag, string checkpoint)
    {
        var path = PathOf(checkpoint);
        try
        {
            return new CheckpointLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path);
        }
        catch (IOException)
        {
            throw new UsageException($"{flag} {checkpoint} is in use: another scalelab process is training into it (it holds {path}); wait for it to exit, or choose another file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException($"{flag} {checkpoint}: cannot create its lock file {path} (permission denied)");
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Left behind: harmless, the lock is the open file, not its existence.
        }
        _stream.Dispose();
    }
}
