using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Training;

/// <summary>The pipeline a user writes, on generated shapes, judged by ML.NET's own evaluator.</summary>
public class EndToEndTests
{
    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void Pipeline_ImageFiles_LoadImagesAndCnn_LearnsShapesAndEvaluates()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Shapes.SaveAsPng(Shapes.Generate(480, seed: 1), folder.Path));
        var test = ml.Data.LoadFromEnumerable(Shapes.SaveAsPng(Shapes.Generate(120, seed: 2), folder.Path + "/test"));
        var options = Pipelines.FastOptions();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var testWithFolder = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<FileRow>(test, false)
            .Select(r => new FileRow { Label = r.Label, ImagePath = Path.Combine("test", r.ImagePath) }).ToList());

        var model = pipeline.Fit(train);
        var scored = model.Transform(testWithFolder);
        var metrics = ml.MulticlassClassification.Evaluate(scored);

        metrics.MacroAccuracy.Should().BeGreaterThan(0.9);
        metrics.LogLoss.Should().BeLessThan(0.5);
        var engine = ml.Model.CreatePredictionEngine<FileRow, Prediction>(model);
        var rows = ml.Data.CreateEnumerable<FileRow>(testWithFolder, false).Take(8).ToList();
        var batched = ml.Data.CreateEnumerable<Prediction>(scored, false).Take(8).ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]);
            single.PredictedLabel.Should().Be(batched[i].PredictedLabel);
            single.Score.Should().Equal(batched[i].Score, (a, b) => Math.Abs(a - b) < 1e-5);
            single.Score.Sum().Should().BeApproximately(1f, 1e-4f);
        }
        batched.Select(p => p.PredictedLabel).Distinct().Should().HaveCountGreaterThan(1, "different rows get their own predictions");
    }

    [Fact]
    public void FlatOverload_TrainsResNet18At224_FromImageFiles()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var rows = Shapes.SaveAsPng(Shapes.Generate(16, seed: 3), folder.Path);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder.Path, "ImagePath"))
            .Append(ml.MulticlassClassification.Trainers.Cnn(architecture: "resnet18", labelColumnName: "Label",
                    imageColumnName: "Image", epochs: 1, batchSize: 8))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var model = pipeline.Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));

        var cnn = model.OfType<CnnClassifierTransformer>().Single();
        (cnn.Preprocessing.Height, cnn.Preprocessing.Width, cnn.Preprocessing.Channels).Should().Be((224, 224, 3), "resnet18's design size");
        cnn.Model.Architecture.Should().Be("resnet18");
        metrics.ConfusionMatrix.NumberOfClasses.Should().Be(4);
        ml.Model.CreatePredictionEngine<FileRow, Prediction>(model).Predict(rows[0]).Score.Should().HaveCount(4);
    }
}
