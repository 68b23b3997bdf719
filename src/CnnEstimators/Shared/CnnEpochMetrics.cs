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
public sealed record CnnEpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds, double ImagesPerSecond);
