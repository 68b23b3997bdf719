using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;

namespace MLNetCnn.Tests.Training;

/// <summary>The history records the loss within each epoch, step by step, so a one-epoch run has a curve, not a dot.</summary>
public class StepLossTests
{
    [Fact]
    public void OneEpoch_RecordsEveryStep_WhoseMeanIsTheEpochsLoss_AndACheckpointKeepsThem()
    {
        var ml = new MLContext(seed: 1);
        var data = Pipelines.Keyed(ml, Shapes.Generate(96, seed: 61));   // 6 steps of 16: equal batches, so the mean of the steps is the epoch's loss

        using var model = ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 1)).Fit(data);

        var epoch = model.History.Single();
        epoch.StepLosses.Should().HaveCount(6).And.OnlyContain(l => l > 0 && double.IsFinite(l));
        epoch.StepLosses!.Average().Should().BeApproximately(epoch.TrainLoss, 1e-5);
        using var folder = new TempFolder();
        model.SaveCheckpoint(folder.File("c.mlnetcnn"));
        using var reloaded = ml.Cnn().LoadClassifier(folder.File("c.mlnetcnn"));
        reloaded.History.Single().Should().Be(epoch, "the steps are saved with the history");
    }

    [Fact]
    public void Condense_LongEpochs_AveragesEqualRunsOfSteps()
    {
        var steps = Enumerable.Range(1, 250).Select(i => (double)i).ToList();

        var points = CnnEpochMetrics.Condense(steps);

        points.Should().HaveCount(CnnEpochMetrics.MaxStepPoints);
        points[0].Should().Be(1.5, "steps 1 and 2");
        points[1].Should().Be(4, "steps 3, 4 and 5");
        points[^1].Should().Be(249, "steps 248, 249 and 250");
        points.Should().BeInAscendingOrder();
        CnnEpochMetrics.Condense([3.0, 1.0]).Should().Equal(3.0, 1.0);
    }
}
