namespace MLNetCnn;

/// <summary>Where a trial of a search ended.</summary>
public enum CnnSearchTrialStatus
{
    /// <summary>Trained to the end of its schedule (the strategy's largest rung).</summary>
    Completed,

    /// <summary>Stopped before the end: not promoted at a rung, over the latency limit once measured, or cut by the budget; it keeps what it learned.</summary>
    StoppedEarly,

    /// <summary>Not trained: its parameters, or its latency estimated from its multiply-accumulates, exceed a limit.</summary>
    Rejected,

    /// <summary>Training or measuring it threw; <see cref="CnnSearchTrial.Reason"/> says what.</summary>
    Failed,
}

/// <summary>
/// One configuration a search tried and how far it got: its options as JSON, its status and the reason, the epochs it reached,
/// its validation metrics (of the weights it holds), cost and a measured latency.
/// </summary>
/// <param name="Number">0-based trial number: the n-th configuration the search's seed draws.</param>
/// <param name="OptionsJson">The whole trainer configuration (<see cref="CnnTrainerOptions.FromJson"/> reads it back), its schedule's full length included.</param>
/// <param name="Architecture">Registry name.</param>
/// <param name="Candidate">The network in words (architecture, variant, weights).</param>
/// <param name="ImageSize">Input size in pixels.</param>
/// <param name="Status">Where it ended.</param>
/// <param name="Reason">Why it stopped, was rejected or failed; null when completed.</param>
/// <param name="Rung">The last rung it finished (0-based; -1 before the first).</param>
/// <param name="Epochs">Epochs trained (a part of an epoch cut short counts as a fraction).</param>
/// <param name="ValidationAccuracy">Micro accuracy on the validation rows; null when no epoch was validated.</param>
/// <param name="ValidationMacroAccuracy">Accuracy averaged over the classes.</param>
/// <param name="ValidationLogLoss">Mean cross-entropy on the validation rows.</param>
/// <param name="TrainSeconds">Wall time of its training, over all its rungs.</param>
/// <param name="LatencyMs">Median milliseconds per image of single-image scorings through a <c>PredictionEngine</c> on the search's engine, measured on this machine; null when not measured.</param>
/// <param name="Parameters">Learnable parameters.</param>
/// <param name="Macs">Multiply-accumulates per image at <paramref name="ImageSize"/>.</param>
/// <param name="History">Its epochs, across rungs.</param>
public sealed record CnnSearchTrial(
    int Number, string OptionsJson, string Architecture, string Candidate, int ImageSize, CnnSearchTrialStatus Status, string? Reason, int Rung,
    double Epochs, double? ValidationAccuracy, double? ValidationMacroAccuracy, double? ValidationLogLoss, double TrainSeconds, double? LatencyMs,
    long Parameters, long Macs, IReadOnlyList<CnnEpochMetrics> History)
{
    /// <summary>The trial's configuration.</summary>
    public CnnTrainerOptions Options => CnnTrainerOptions.FromJson(OptionsJson);
}
