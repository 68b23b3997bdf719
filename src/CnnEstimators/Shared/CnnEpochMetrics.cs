namespace MLNetCnn;

/// <summary>One epoch of the training history.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy (with augmentation and dropout on).</param>
/// <param name="ValidationLoss">Validation loss, when there is validation.</param>
/// <param name="ValidationAccuracy">Validation accuracy, when there is validation.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall time of the epoch, validation included.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="ValidationMacroAccuracy">Validation accuracy averaged over the classes (each class's recall, as ML.NET's MacroAccuracy), when there is validation.</param>
/// <param name="StepLosses">
/// The training loss within the epoch, step by step: the mean loss of each of up to <see cref="MaxStepPoints"/> equal runs of
/// consecutive steps (every step when there are fewer), so a curve over one epoch is a line, not a dot. Null in histories written
/// before it was recorded.
/// </param>
public sealed record CnnEpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds, double ImagesPerSecond,
    double? ValidationMacroAccuracy = null, IReadOnlyList<double>? StepLosses = null)
{
    /// <summary>The most points <see cref="StepLosses"/> holds for one epoch.</summary>
    public const int MaxStepPoints = 100;

    /// <summary>Equal when every figure is, the step losses compared point by point.</summary>
    public bool Equals(CnnEpochMetrics? other)
        => other is not null && Epoch == other.Epoch && TrainLoss.Equals(other.TrainLoss) && TrainAccuracy.Equals(other.TrainAccuracy)
           && Nullable.Equals(ValidationLoss, other.ValidationLoss) && Nullable.Equals(ValidationAccuracy, other.ValidationAccuracy)
           && LearningRate.Equals(other.LearningRate) && Seconds.Equals(other.Seconds) && ImagesPerSecond.Equals(other.ImagesPerSecond)
           && Nullable.Equals(ValidationMacroAccuracy, other.ValidationMacroAccuracy)
           && (StepLosses is null ? other.StepLosses is null : other.StepLosses is not null && StepLosses.SequenceEqual(other.StepLosses));

    /// <summary>A hash of the figures (the step losses by their count).</summary>
    public override int GetHashCode()
        => HashCode.Combine(Epoch, TrainLoss, TrainAccuracy, ValidationLoss, ValidationAccuracy, LearningRate, Seconds, HashCode.Combine(ImagesPerSecond, ValidationMacroAccuracy, StepLosses?.Count));

    /// <summary>
    /// Step losses as <see cref="StepLosses"/> holds them: each step's loss when there are at most <see cref="MaxStepPoints"/>, else the
    /// mean of each of <see cref="MaxStepPoints"/> runs of consecutive steps of (nearly) equal length.
    /// </summary>
    internal static IReadOnlyList<double> Condense(IReadOnlyList<double> steps)
    {
        if (steps.Count <= MaxStepPoints)
            return steps.ToArray();
        return Enumerable.Range(0, MaxStepPoints).Select(i =>
        {
            var (from, to) = ((long)i * steps.Count / MaxStepPoints, (long)(i + 1) * steps.Count / MaxStepPoints);
            return Enumerable.Range((int)from, (int)(to - from)).Average(k => steps[k]);
        }).ToArray();
    }
}

/// <summary>The validation measure that keep-best weights, early stopping and the plateau schedule follow.</summary>
public enum CnnSelectionMetric
{
    /// <summary>The share of validation rows classified right (ML.NET's MicroAccuracy).</summary>
    Accuracy,

    /// <summary>The mean over classes of each class's share classified right (ML.NET's MacroAccuracy): rare classes count as much as common ones.</summary>
    MacroAccuracy,

    /// <summary>The mean cross-entropy of the validation rows (ML.NET's LogLoss, lower is better): follows confidence, not only the top class.</summary>
    LogLoss,
}
