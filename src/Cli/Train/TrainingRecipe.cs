namespace MLNetCnn.Cli.Train;

/// <summary>What the user chose on the command line for a training run.</summary>
internal sealed record TrainSettings(
    string Architecture, int Epochs, int BatchSize, double LearningRate, int Size, int Channels, int Seed, string Device, bool SkipUnreadable,
    string? Weights, int FreezeEpochs);

/// <summary>The command line's training recipe, shared by <c>train</c> and <c>compare</c>.</summary>
internal static class TrainingRecipe
{
    /// <summary>
    /// SGD with Nesterov momentum, a tenth of the epochs (at most one) of warm-up then cosine decay, random crops (padding an
    /// eighth of the size) and horizontal flips: the recipe that takes ResNet-20 over 90% on Fashion-MNIST in two epochs.
    /// With pretrained weights: the head alone for the first epochs, then the backbone at a tenth of the rate.
    /// </summary>
    public static CnnTrainerOptions Options(TrainSettings s, CancellationToken cancellation) => new()
    {
        Architecture = s.Architecture,
        ImageColumnName = "Image",
        ImageSize = s.Size,
        Channels = s.Weights is null ? s.Channels : null,   // pretrained weights take colour; the trainer repeats grey into it
        Weights = s.Weights,
        FreezeEpochs = s.FreezeEpochs,
        BackboneLearningRateFactor = s.Weights is null ? 1 : 0.1,
        Epochs = s.Epochs,
        BatchSize = s.BatchSize,
        Optimizer = CnnOptimizer.Sgd,
        LearningRate = s.LearningRate,
        Nesterov = true,
        Schedule = CnnLearningRateSchedule.Cosine,
        WarmupEpochs = Math.Min(1, 0.1 * s.Epochs),
        RandomCropPadding = Math.Max(1, s.Size / 8),
        HorizontalFlip = true,
        Seed = s.Seed,
        Device = s.Device,
        SkipUnreadableImages = s.SkipUnreadable,
        CancellationToken = cancellation,
    };
}
