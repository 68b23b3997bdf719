namespace MLNetCnn.Cli;

/// <summary>Writes a single output file whole or not at all: into a temporary file beside it, then renamed over it.</summary>
internal static class AtomicFileWriter
{
    /// <summary>Checks that <paramref name="path"/> may be written: its folder exists, and it does not exist unless <paramref name="force"/>.</summary>
    /// <exception cref="CliUserException">It may not.</exception>
    public static string Check(string path, bool force, string option)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new CliUserException($"{option}: the folder '{folder}' does not exist.");
        if (Directory.Exists(full))
            throw new CliUserException($"{option}: '{full}' is a folder; give a file path.");
        if (File.Exists(full) && !force)
            throw new CliUserException($"{option}: '{full}' exists; pass --force to replace it.");
        return full;
    }

    /// <summary>Runs <paramref name="write"/> on a temporary stream, then renames the file to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                write(stream);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
