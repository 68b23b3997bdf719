namespace MLNetCnn.Cli;

/// <summary>
/// An output folder that appears whole or not at all: files are written into a staging folder beside it
/// (<c>DIR.partial</c>), which is renamed to <c>DIR</c> when everything is there. An interrupted run leaves only the
/// staging folder, whose training checkpoint <c>--resume</c> continues from.
/// </summary>
internal sealed class OutputFolder
{
    private OutputFolder(string target)
    {
        Target = target;
        Staging = target + ".partial";
    }

    /// <summary>The folder the outputs end up in.</summary>
    public string Target { get; }

    /// <summary>Where they are written first.</summary>
    public string Staging { get; }

    /// <summary>A path inside the staging folder.</summary>
    public string File(string name) => Path.Combine(Staging, name);

    /// <summary>Prepares the staging folder for <paramref name="target"/>.</summary>
    /// <param name="target">The output folder (the option's value).</param>
    /// <param name="force">Replace <paramref name="target"/> if it exists.</param>
    /// <param name="resume">Keep what an interrupted run left in the staging folder (it must be there).</param>
    /// <exception cref="CliUserException">The target exists without <paramref name="force"/>, its parent is missing, or there is nothing to resume.</exception>
    public static OutputFolder Begin(string target, bool force, bool resume = false)
    {
        var folder = new OutputFolder(Path.GetFullPath(target.TrimEnd('/', '\\')));
        if (System.IO.File.Exists(folder.Target))
            throw new CliUserException($"--out: '{folder.Target}' is a file; give a folder path.");
        if (Directory.Exists(folder.Target) && !force)
            throw new CliUserException($"--out: '{folder.Target}' exists; pass --force to replace it, or choose another folder.");
        var parent = Path.GetDirectoryName(folder.Target);
        if (parent is not null && !Directory.Exists(parent))
            throw new CliUserException($"--out: the folder '{parent}' that would hold '{Path.GetFileName(folder.Target)}' does not exist.");
        if (resume)
        {
            if (!Directory.Exists(folder.Staging))
                throw new CliUserException($"--resume: no interrupted run to resume ('{folder.Staging}' does not exist); run without --resume.");
        }
        else
        {
            if (Directory.Exists(folder.Staging))
                Directory.Delete(folder.Staging, recursive: true);  // an earlier run's leftovers: this run starts afresh
            Directory.CreateDirectory(folder.Staging);
        }
        return folder;
    }

    /// <summary>Moves the staging folder into place (replacing an existing target, which --force allowed).</summary>
    public void Publish()
    {
        string? replaced = null;
        if (Directory.Exists(Target))
        {
            replaced = $"{Target}.replaced-{Environment.ProcessId}";
            Directory.Move(Target, replaced);
        }
        Directory.Move(Staging, Target);
        if (replaced is not null)
            Directory.Delete(replaced, recursive: true);
    }

    /// <summary>Removes the staging folder (a run that failed: nothing half-written stays).</summary>
    public void Abandon()
    {
        if (Directory.Exists(Staging))
            Directory.Delete(Staging, recursive: true);
    }
}
