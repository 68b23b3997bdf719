namespace MLNetCnn.Cli.Train;

/// <summary>What the user chose on the command line for a training run; null leaves the recipe's value.</summary>
internal sealed record TrainSettings(
    string Architecture, int Epochs, int? BatchSize, double? LearningRate, int Size, int Channels, int Seed, string Device, bool SkipUnreadable,
    string? Weights, int? FreezeEpochs);

/// <summary>The command line's training options, shared by <c>train</c> and <c>compare</c>: the library's named recipes.</summary>
internal static class TrainingRecipe
{
    /// <summary>
    /// From scratch, <see cref="CnnRecipes.Default"/> (the recipe that learns small folders: AdamW 0.002, batch 32, warm-up,
    /// cosine); with pretrained weights, <see cref="CnnRecipes.FineTuning"/> (the head alone for the first epochs, then the whole
    /// network with Adam). The command line's epochs, size, seed and device, and the batch size and rate when given, replace
    /// the recipe's.
    /// </summary>
    /// <exception cref="CliUserException">The size is too small for fine-tuning.</exception>
    public static CnnTrainerOptions Options(TrainSettings s, CancellationToken cancellation)
    {
        CnnTrainerOptions options;
        if (s.Weights is null)
            options = CnnRecipes.Default(s.Architecture);
        else
        {
            if (s.Size < 32)
                throw new CliUserException($"--weights needs --size of at least 32 (got {s.Size}): pretrained networks downsample by 32.");
            options = CnnRecipes.FineTuning(s.Architecture, s.Weights, s.Size);
            // The recipe's frozen epochs, leaving at least one in which the whole network learns.
            options.FreezeEpochs = s.FreezeEpochs ?? Math.Min(options.FreezeEpochs, s.Epochs - 1);
        }
        options.ImageColumnName = "Image";
        options.ImageSize = s.Size;
        options.Channels = s.Weights is null ? s.Channels : null;   // pretrained weights take colour; the trainer repeats grey into it
        options.Epochs = s.Epochs;
        options.BatchSize = s.BatchSize ?? options.BatchSize;
        options.LearningRate = s.LearningRate ?? options.LearningRate;
        options.Seed = s.Seed;
        options.Device = s.Device;
        options.SkipUnreadableImages = s.SkipUnreadable;
        options.CancellationToken = cancellation;
        return options;
    }
}
