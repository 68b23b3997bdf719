using Microsoft.ML;
using MLNetCnn.Internal;

namespace MLNetCnn;

/// <summary>The CNN entries of ML.NET's catalogs.</summary>
public static class CnnCatalog
{
    /// <summary>Trains a zoo CNN (AlexNet, VGG, GoogLeNet, ResNet; see <c>CnnZoo.Names</c>) on images and a key label.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="architecture">Registry name, for example <c>resnet18</c> or <c>resnet20</c>.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <param name="imageColumnName">The image column (MLImage).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="learningRate">Peak learning rate of the default recipe (AdamW, one epoch of warm-up, cosine decay; see <see cref="CnnTrainerOptions"/>).</param>
    /// <param name="weights">Pretrained weights to start from (e.g. <c>IMAGENET1K_V1</c>; see <see cref="CnnModelOptions.Weights"/>); null for none.</param>
    public static CnnTrainer Cnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string architecture = "resnet18", string labelColumnName = "Label", string imageColumnName = "Image",
        int epochs = 10, int batchSize = 32, double learningRate = 0.002, string? weights = null)
        => catalog.Cnn(new CnnTrainerOptions
        {
            Model = new() { Architecture = architecture, Weights = weights },
            Columns = new() { Label = labelColumnName, Image = imageColumnName },
            Schedule = new() { Epochs = epochs, BatchSize = batchSize },
            Optimizer = new() { LearningRate = learningRate },
        });

    /// <summary>Trains a CNN with every option (optimiser, schedule, augmentation, validation, checkpoints, device...).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options; all are checked here, and all problems reported at once.</param>
    public static CnnTrainer Cnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CnnTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CnnTrainer(MLNetInternals.EnvironmentOf(catalog), options);
    }
}
