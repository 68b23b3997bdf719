using Microsoft.ML;

namespace MLNetCnn.Tests.Support;

/// <summary>Small, fast trainer settings for the generated shapes (resnet20 at 32x32).</summary>
public static class Pipelines
{
    public static CnnTrainerOptions FastOptions(int epochs = 3, int seed = 7, string architecture = "resnet20") => new()
    {
        Architecture = architecture,
        ImageSize = 32,
        Epochs = epochs,
        BatchSize = 32,
        Optimizer = CnnOptimizer.Sgd,
        LearningRate = 0.05,
        Schedule = CnnLearningRateSchedule.Cosine,
        WarmupEpochs = 0,
        Seed = seed,
        Threads = 2,
    };

    public static IDataView ImagesView(MLContext ml, IEnumerable<ShapeExample> examples)
        => ml.Data.LoadFromEnumerable(examples.Select(e => e.AsImage()).ToList());

    public static IDataView VectorsView(MLContext ml, IEnumerable<ShapeExample> examples)
        => ml.Data.LoadFromEnumerable(examples.Select(e => e.AsVector()).ToList());

    /// <summary>Label to key, then the CNN trainer.</summary>
    public static IEstimator<ITransformer> Classifier(MLContext ml, CnnTrainerOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Cnn(options));
}
