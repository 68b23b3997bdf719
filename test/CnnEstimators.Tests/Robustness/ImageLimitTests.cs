using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Robustness;

/// <summary>Tests that change a process-wide setting run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideSettings
{
    public const string Name = "Process-wide settings";
}

/// <summary>An image larger than <see cref="CnnImageLimits.MaxPixels"/> is refused with its row and file, in training and in scoring.</summary>
[Collection(ProcessWideSettings.Name)]
public class ImageLimitTests
{
    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void ImageOverThePixelLimit_IsRefusedNamingItsFile_InTrainingAndScoring()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = Shapes.SaveAsPng(Shapes.Generate(8, seed: 81), folder.Path);
        using (var big = MLImage.CreateFromPixels(120, 100, MLPixelFormat.Rgba32, new byte[4 * 120 * 100]))
            big.Save(Path.Combine(folder.Path, "big.png"));
        rows.Add(new FileRow { Label = "square", ImagePath = "big.png" });
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        using var network = CnnZoo.Create("resnet20", numClasses: 4);
        using var classifier = new CnnClassifierTransformer(new ClassifierCheckpoint.Contents(network, CnnPreprocessing.ForImages(network, 32), "Image",
            ClassifierOutputs.ForLabelValues("Score", "PredictedLabel", Shapes.Classes), 4, false, []), CnnInferenceEngine.Auto);
        var limit = CnnImageLimits.MaxPixels;
        try
        {
            CnnImageLimits.MaxPixels = 10_000;   // the 32x32 shapes pass; the 120x100 image does not

            FluentActions.Invoking(() => ml.Data.CreateEnumerable<Scores>(classifier.Transform(data), false).ToList())
                .Should().Throw<InvalidDataException>().WithMessage("*120x100 = 12,000 pixels*10,000*CnnImageLimits.MaxPixels*big.png*");
            FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(data))
                .Should().Throw<InvalidDataException>().WithMessage("*120x100*big.png*");
        }
        finally
        {
            CnnImageLimits.MaxPixels = limit;
        }
        FluentActions.Invoking(() => CnnImageLimits.MaxPixels = 0).Should().Throw<ArgumentOutOfRangeException>();
    }
}
