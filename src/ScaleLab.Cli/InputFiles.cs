using System.Runtime.InteropServices;

namespace ScaleLab.Cli;

/// <summary>
/// Reads a file the user named, refusing what is not a regular file with one line: a folder (which .NET reports
/// as "access denied" or "not found") and a FIFO, socket or device (a FIFO would block until a writer appears).
/// </summary>
internal static partial class InputFiles
{
    public static void EnsureRegularFile(string name, string path)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"{name} {path} is a folder; give a file");
        }
        if (!File.Exists(path))
        {
            throw new UsageException($"{name} {path}: file not found");
        }
        if (FileType(path) is { } type && type != RegularFile)
        {
            throw new UsageException($"{name} {path} is not a regular file (a pipe, socket or device); give a file");
        }
    }

    public static byte[] ReadAllBytes(string name, string path)
    {
        EnsureRegularFile(name, path);
        return File.ReadAllBytes(path);
    }

    private const int RegularFile = 0x8000;

    /// <summary>
    /// The S_IFMT bits of the file's mode (symbolic links followed) from Linux statx(2), whose struct layout is the
    /// same on every architecture (stx_mode: u16 at byte 28); null off Linux or if the call fails.
    /// </summary>
    internal static int? FileType(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        const int AtFdCwd = -100, StatxType = 0x1;
        var buffer = new byte[256];
        try
        {
            return Statx(AtFdCwd, path, 0, StatxType, buffer) == 0 ? BitConverter.ToUInt16(buffer, 28) & 0xF000 : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);
}
