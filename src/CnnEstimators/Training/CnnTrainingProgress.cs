namespace MLNetCnn;

/// <summary>What the trainer reports: after each batch (<see cref="IsEpochEnd"/> false) and after each epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean training loss of the epoch so far.</param>
/// <param name="Accuracy">Training accuracy of the epoch so far.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch so far.</param>
/// <param name="IsEpochEnd">True for the report at the end of an epoch (validation figures set when there is validation).</param>
/// <param name="ValidationLoss">Validation loss at the end of the epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy at the end of the epoch.</param>
/// <param name="Message">A human-readable line.</param>
public sealed record CnnTrainingProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double LearningRate, double ImagesPerSecond,
    bool IsEpochEnd, double? ValidationLoss, double? ValidationAccuracy, string Message);

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
