namespace MLNetCnn.Zoo;

/// <summary>
/// Writes a file so that readers see the old file or the new one, never half of one: the content goes to a temporary
/// file in the target's folder, which is renamed over the target once complete and deleted on any failure. A process
/// killed mid-write cannot delete its temporary file, so each write first removes those an earlier writer of the same
/// target left (one writer per target at a time, as for a training run's checkpoint).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which receives the stream of the temporary file.</summary>
    public static void Write(string path, Action<Stream> write)
        => WriteThroughPath(path, temporary =>
        {
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
            write(stream);
        });

    /// <summary>Writes <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void Write(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>For writers that take a file name: <paramref name="writeFile"/> receives the temporary file's path.</summary>
    public static void WriteThroughPath(string path, Action<string> writeFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{folder}' does not exist. Create it first.");
        var prefix = $".{Path.GetFileName(full)}.";
        foreach (var stale in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
            File.Delete(stale);
        var temporary = Path.Combine(folder, $"{prefix}{Guid.NewGuid():N}.tmp");
        try
        {
            writeFile(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
