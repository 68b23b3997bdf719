namespace MLNetCnn;

/// <summary>Training checkpoints: where to write one after every epoch, and which to resume from.</summary>
public sealed record CnnCheckpointOptions
{
    /// <summary>Writes a checkpoint here after every epoch (atomically: write, then rename); null writes none.</summary>
    public string? Path { get; init; }

    /// <summary>Resumes from this checkpoint (weights, optimiser, epoch, RNG, schedule); reaches the weights an uninterrupted run would.</summary>
    public string? ResumeFrom { get; init; }

    internal IEnumerable<string> Problems()
    {
        if (Path is { Length: 0 } || (Path is not null && string.IsNullOrWhiteSpace(Path)))
            yield return "Checkpoint.Path must name a file, or be null for no checkpoints.";
        if (ResumeFrom is not null && string.IsNullOrWhiteSpace(ResumeFrom))
            yield return "Checkpoint.ResumeFrom must name a checkpoint file, or be null to start afresh.";
    }
}
