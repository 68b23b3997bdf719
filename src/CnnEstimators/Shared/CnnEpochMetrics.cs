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
public sealed record CnnEpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds, double ImagesPerSecond,
    double? ValidationMacroAccuracy = null);

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
