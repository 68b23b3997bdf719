namespace MLNetCnn;

/// <summary>
/// What <see cref="CnnTrainerOptions.EpochEnd"/> sees after each epoch (validated, when there is validation): the epoch's
/// metrics, the history so far and the time spent; <see cref="Stop"/> ends the run after this epoch with a usable model
/// (the best weights so far when <see cref="CnnValidationOptions.KeepBestWeights"/>), as a search stops a weak trial at a rung.
/// </summary>
public sealed class CnnEpochEnd
{
    internal CnnEpochEnd(CnnEpochMetrics metrics, IReadOnlyList<CnnEpochMetrics> history, TimeSpan elapsed)
    {
        Metrics = metrics;
        History = history;
        Elapsed = elapsed;
    }

    /// <summary>The epoch that just ended.</summary>
    public CnnEpochMetrics Metrics { get; }

    /// <summary>Every epoch so far, this one last.</summary>
    public IReadOnlyList<CnnEpochMetrics> History { get; }

    /// <summary>Wall time since <c>Fit</c> started (reading the data included).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The reason given to <see cref="Stop"/>, or null while the run goes on.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Ends the run after this epoch; <paramref name="reason"/> goes into the log and <see cref="CnnTrainingEnd.Message"/>.</summary>
    /// <exception cref="ArgumentException">The reason is empty.</exception>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        StopReason = reason;
    }
}
