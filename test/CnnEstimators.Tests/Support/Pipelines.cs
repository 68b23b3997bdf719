using Microsoft.ML;

namespace MLNetCnn.Tests.Support;

/// <summary>Small, fast trainer settings for the generated shapes (resnet20 at 32x32).</summary>
public static class Pipelines
{
    /// <summary>
    /// The library's default recipe (<see cref="CnnRecipes.Default"/>: AdamW 0.002, warm-up, cosine) at 32x32, batch 16, on two
    /// threads: 8 epochs learn the random-colour shapes (97.5% and 98.8% held out for two seeds on 320 rows); fewer epochs are for
    /// tests that do not judge accuracy.
    /// </summary>
    public static CnnTrainerOptions FastOptions(int epochs = 8, int seed = 7, string architecture = "resnet20")
    {
        var recipe = CnnRecipes.Default(architecture);
        return recipe with
        {
            Input = recipe.Input with { ImageSize = 32 },
            Schedule = recipe.Schedule with { Epochs = epochs, BatchSize = 16 },
            Runtime = recipe.Runtime with { Seed = seed, Threads = 2 },
        };
    }

    public static IDataView ImagesView(MLContext ml, IEnumerable<ShapeExample> examples)
        => ml.Data.LoadFromEnumerable(examples.Select(e => e.AsImage()).ToList());

    public static IDataView VectorsView(MLContext ml, IEnumerable<ShapeExample> examples)
        => ml.Data.LoadFromEnumerable(examples.Select(e => e.AsVector()).ToList());

    /// <summary>The examples as images with a key label (MapValueToKey fitted on them).</summary>
    public static IDataView Keyed(MLContext ml, IEnumerable<ShapeExample> examples)
    {
        var raw = ImagesView(ml, examples);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    /// <summary>Label to key, then the CNN trainer.</summary>
    public static IEstimator<ITransformer> Classifier(MLContext ml, CnnTrainerOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Cnn(options));
}
