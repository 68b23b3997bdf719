namespace MLNetCnn.Cli;

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
        CnnTrainerOptions recipe;
        if (s.Weights is null)
            recipe = CnnRecipes.Default(s.Architecture);
        else
        {
            if (s.Size < 32)
                throw new CliUserException($"--weights needs --size of at least 32 (got {s.Size}): pretrained networks downsample by 32.");
            recipe = CnnRecipes.FineTuning(s.Architecture, s.Weights, s.Size);
            // The recipe's frozen epochs, leaving at least one in which the whole network learns.
            recipe = recipe with { FineTuning = recipe.FineTuning with { FreezeEpochs = s.FreezeEpochs ?? Math.Min(recipe.FineTuning.FreezeEpochs, s.Epochs - 1) } };
        }
        return recipe with
        {
            Columns = recipe.Columns with { Image = "Image" },
            // Pretrained weights take colour; the trainer repeats grey into it.
            Input = recipe.Input with { ImageSize = s.Size, Channels = s.Weights is null ? s.Channels : null },
            Schedule = recipe.Schedule with { Epochs = s.Epochs, BatchSize = s.BatchSize ?? recipe.Schedule.BatchSize },
            Optimizer = recipe.Optimizer with { LearningRate = s.LearningRate ?? recipe.Optimizer.LearningRate },
            Runtime = recipe.Runtime with { Seed = s.Seed, Device = s.Device, SkipUnreadableImages = s.SkipUnreadable },
            CancellationToken = cancellation,
        };
    }
}
