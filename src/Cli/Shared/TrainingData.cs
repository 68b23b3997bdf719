using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Cli;

/// <summary>
/// Training and validation images as the trainer takes them: Label as a key, Image loaded from ImagePath. For --images a
/// seeded split holds a fraction out; Fashion-MNIST validates on its test set.
/// </summary>
internal sealed record TrainingData(IDataView RawTrain, IDataView RawValidation, ITransformer Loading, long TrainCount, long ValidationCount)
{
    public IDataView Train => Loading.Transform(RawTrain);

    public IDataView Validation => Loading.Transform(RawValidation);

    public static TrainingData Load(MLContext ml, ImageSource source, ParseResult parse, double validationFraction, int seed)
    {
        IDataView train, validation;
        if (source.IsFashionMnist(parse))
            (train, validation) = (source.Load(ml, parse, trainingSet: true), source.Load(ml, parse, trainingSet: false));
        else
        {
            var split = ml.Data.TrainTestSplit(source.Load(ml, parse, trainingSet: true), validationFraction, seed: seed);
            (train, validation) = (split.TrainSet, split.TestSet);
        }
        var (trainCount, validationCount) = (Count(train), Count(validation));
        if (trainCount == 0 || validationCount == 0)
            throw new CliUserException($"--validation-fraction: {validationFraction} of the images leaves an empty training or validation set; add images or change the fraction.");
        var loading = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageFolderRow.ImagePath)))
            .Fit(train);
        return new TrainingData(train, validation, loading, trainCount, validationCount);
    }

    // A split view does not know its row count: counted once here, on the light ImagePath/Label rows.
    private static long Count(IDataView rows) => rows.GetRowCount() ?? rows.GetColumn<string>(nameof(ImageFolderRow.Label)).LongCount();
}
