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
