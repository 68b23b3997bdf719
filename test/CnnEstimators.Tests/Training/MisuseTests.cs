using FluentAssertions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Training;

/// <summary>Where users trip: a classifier a PredictionEngine disposed, a rate meant for SGD given to Adam.</summary>
public class MisuseTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = Pipelines.Keyed(Ml, Shapes.Generate(48, seed: 31));


    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    // A classifier as a user ends up with one after `using var engine = ml.Model.CreatePredictionEngine<,>(classifier)`.
    private static CnnClassifierTransformer DisposedByAnEngine()
    {
        var classifier = Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(Data);
        using (var engine = Ml.Model.CreatePredictionEngine<ImageRow, Scores>(classifier))
            engine.Predict(Shapes.Generate(1, seed: 3)[0].AsImage()).Score.Should().HaveCount(4);
        classifier.IsDisposed.Should().BeTrue("ML.NET's engine owns its transformer by default");
        return classifier;
    }

    [Fact]
    public void DisposedClassifier_EveryUse_SaysItWasDisposed_AndByWhat()
    {
        var classifier = DisposedByAnEngine();
        using var folder = new TempFolder();

        Action[] uses =
        [
            () => classifier.Transform(Data),
            () => Ml.Transforms.CnnFeaturize("Features", "Image", classifier),
            () => classifier.Quantize(Data),
            () => classifier.SaveCheckpoint(folder.File("c.mlnetcnn")),
            () => Ml.Model.Save(classifier, Data.Schema, folder.File("model.zip")),
            () => Ml.Transforms.CnnExplain("Heatmap", classifier),
            () => Ml.Transforms.CnnEnsemble([classifier]),
        ];
        foreach (var use in uses)
            FluentActions.Invoking(use).Should().Throw<ObjectDisposedException>()
                .WithMessage("*CnnClassifierTransformer (resnet20), but it was disposed*PredictionEngine*OwnsTransformer = false*");
        File.Exists(folder.File("c.mlnetcnn")).Should().BeFalse();
    }

    [Fact]
    public void AnEngineThatDoesNotOwnTheClassifier_LeavesItUsable()
    {
        using var classifier = Ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(Data);
        using (Ml.Model.CreatePredictionEngine<ImageRow, Scores>(classifier, new PredictionEngineOptions { OwnsTransformer = false })) { }

        classifier.IsDisposed.Should().BeFalse();
        Ml.Data.CreateEnumerable<Scores>(classifier.Transform(Data), reuseRowObject: false).Should().HaveCount(48);
    }

    [Theory]
    [InlineData(CnnOptimizer.AdamW, 0.05, true)]
    [InlineData(CnnOptimizer.Adam, 0.1, true)]
    [InlineData(CnnOptimizer.AdamW, 0.002, false)]
    [InlineData(CnnOptimizer.Sgd, 0.1, false)]
    public void AnSgdScaleRate_ForAdam_IsWarnedOf(CnnOptimizer optimizer, double rate, bool warned)
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Optimizer = options.Optimizer with { Kind = optimizer, LearningRate = rate } };

        using (ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data)) { }

        var rateWarnings = warnings.Where(w => w.Contains("is high for", StringComparison.Ordinal)).ToList();
        if (warned)
            rateWarnings.Should().ContainSingle().Which.Should().Contain($"LearningRate {rate:G3} is high for {optimizer}").And.Contain("CnnOptimizer.Sgd");
        else
            rateWarnings.Should().BeEmpty();
    }
}
