using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Experiment;

/// <summary>mlContext.Cnn().CreateExperiment: comparing architectures on the user's data.</summary>
public class ExperimentTests
{
    [Fact]
    public void Execute_TwoTinyArchitecturesAndAFailingOne_RecordsEveryRunAndTheBest()
    {
        var ml = new MLContext(seed: 1);
        var raw = Pipelines.ImagesView(ml, Shapes.Generate(160, seed: 91));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        var train = keys.Transform(raw);
        var validation = keys.Transform(Pipelines.ImagesView(ml, Shapes.Generate(60, seed: 92)));
        var reported = new List<CnnRunResult>();
        var settings = new CnnExperimentSettings
        {
            Architectures = ["resnet20", "plain20", "alexnet"],  // alexnet cannot take 32x32 images: recorded, not fatal
            TrainerOptions = architecture => Pipelines.FastOptions(epochs: 2, architecture: architecture),
        };

        var result = ml.Cnn().CreateExperiment(settings).Execute(train, validation, new SynchronousProgress<CnnRunResult>(reported.Add));

        result.Runs.Select(r => r.Architecture).Should().Equal("resnet20", "plain20", "alexnet");
        reported.Should().HaveCount(3);
        foreach (var run in result.Runs.Take(2))
        {
            run.Exception.Should().BeNull();
            run.Accuracy.Should().BeInRange(0, 1);
            run.LogLoss.Should().BeGreaterThan(0);
            run.Parameters.Should().Be(269_722 - 650 + 4 * 64 + 4);  // resnet20 and plain20 with a 4-class head
            run.Macs.Should().BeGreaterThan(40_000_000);
            run.ImagesPerSecond.Should().BeGreaterThan(0);
        }
        var failed = result.Runs[2];
        failed.Exception.Should().BeOfType<ArgumentException>().Which.Message.Should().Contain("at least 63x63");
        failed.Model.Should().BeNull();
        result.BestRun.Should().Be(result.Runs.Take(2).MaxBy(r => r.Accuracy));
        var table = result.ToString();
        table.Should().Contain("resnet20").And.Contain("plain20").And.Contain("failed: ArgumentException");
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(4);
        foreach (var run in result.Runs)
            run.Model?.Dispose();
    }

    [Fact]
    public void Settings_Invalid_AreAllReported()
    {
        var settings = new CnnExperimentSettings { Architectures = ["resnet20", "resnet20"], Epochs = 0, MaxExperimentTime = TimeSpan.Zero };

        FluentActions.Invoking(() => new MLContext().Cnn().CreateExperiment(settings))
            .Should().Throw<ArgumentException>().WithMessage("*must not repeat*Epochs must be at least 1*MaxExperimentTime must be positive*");
    }
}
