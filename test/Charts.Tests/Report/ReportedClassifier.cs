using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Charts.Tests.Report;

/// <summary>A barely trained classifier (so it makes mistakes to show), its report, written once for the tests of a class.</summary>
public sealed class ReportedClassifier : IDisposable
{
    public ReportedClassifier()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Shapes.Generate(96, seed: 31).Select(e => e.AsImage()).ToList());
        var options = new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet20" },
            Input = new() { ImageSize = 32 },
            Schedule = new() { Epochs = 2, BatchSize = 32 },
            Validation = new() { Fraction = 0.25 },
            Runtime = new() { Seed = 7, Threads = 2 },
        };
        Classifier = ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train));
        TestData = ml.Data.LoadFromEnumerable(Shapes.Generate(40, seed: 32).Select(e => e.AsImage()).ToList());
        CnnReport.Write(Path, Classifier, TestData, new CnnReportOptions { TrainingImages = 96, Mistakes = 6 });
        Html = File.ReadAllText(Path);
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("mlnetcnn-report-").FullName;

    public string Path => System.IO.Path.Combine(Folder, "report.html");

    public CnnClassifierTransformer Classifier { get; }

    public IDataView TestData { get; }

    public string Html { get; }

    public void Dispose()
    {
        Classifier.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
