using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Persistence;

/// <summary>MLNetCnn's own classifier format: reloads as the TorchSharp transformer and trains further.</summary>
public class ClassifierCheckpointTests
{
    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void SaveCheckpoint_LoadClassifier_ScoresTheSame_AndTrainsFurther()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var raw = Pipelines.ImagesView(ml, Shapes.Generate(160, seed: 41));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        using var trained = ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(data);
        var file = folder.File("classifier.mlnetcnn");

        trained.SaveCheckpoint(file);
        using var loaded = new MLContext().Cnn().LoadClassifier(file, device: "cpu");

        loaded.Preprocessing.Should().BeEquivalentTo(trained.Preprocessing);
        loaded.History.Should().HaveCount(1);
        var before = ml.Data.CreateEnumerable<Scores>(trained.Transform(data), false).ToList();
        var after = ml.Data.CreateEnumerable<Scores>(loaded.Transform(data), false).ToList();
        for (var i = 0; i < before.Count; i++)
            after[i].Score.Should().Equal(before[i].Score);
        var metrics = ml.MulticlassClassification.Evaluate(loaded.Transform(data));
        metrics.MicroAccuracy.Should().Be(ml.MulticlassClassification.Evaluate(trained.Transform(data)).MicroAccuracy);

        var further = Pipelines.FastOptions(epochs: 7);
        further = further with { Model = further.Model with { Instance = loaded.Model } };
        using var continued = ml.MulticlassClassification.Trainers.Cnn(further).Fit(data);
        ml.MulticlassClassification.Evaluate(continued.Transform(data)).MicroAccuracy.Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void LoadClassifier_OtherFileOrTruncated_NamesTheFile()
    {
        using var folder = new TempFolder();
        var ml = new MLContext();
        var text = folder.File("notes.txt");
        File.WriteAllText(text, "not a model");

        FluentActions.Invoking(() => ml.Cnn().LoadClassifier(text)).Should().Throw<InvalidDataException>().WithMessage($"*{text}*not an MLNetCnn classifier file*");
        FluentActions.Invoking(() => ml.Cnn().LoadClassifier(folder.File("missing.bin"))).Should().Throw<FileNotFoundException>();

        var raw = Pipelines.ImagesView(ml, Shapes.Generate(32, seed: 42));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        using var trained = ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(data);
        var file = folder.File("c.mlnetcnn");
        trained.SaveCheckpoint(file);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length * 2 / 3)]);

        FluentActions.Invoking(() => ml.Cnn().LoadClassifier(file)).Should().Throw<InvalidDataException>().WithMessage($"*{file}*");
    }
}
