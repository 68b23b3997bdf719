using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Training;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>The moving average of the weights against its closed form, and through a checkpoint.</summary>
public class WeightAverageTests
{
    [Fact]
    public void Average_FollowsTheRecurrenceWithWarmUp()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        void Fill(float value)
        {
            using var noGrad = no_grad();
            foreach (var p in model.parameters())
                p.fill_(value);
        }
        Fill(0);
        using var average = new WeightAverage(model, decay: 0.9);
        double expected = 0;   // the average starts at the weights it was created with
        float[] values = [1, 5, -2, 3, 8, 0.5f, 4];
        for (var k = 1; k <= values.Length; k++)
        {
            Fill(values[k - 1]);
            average.Update();
            var d = Math.Min(0.9, (1.0 + k) / (10.0 + k));
            expected = d * expected + (1 - d) * values[k - 1];
        }

        average.Average["layer2.0.conv1.weight"].mean().item<float>().Should().BeApproximately((float)expected, 1e-5f);
        average.Average["fc.bias"].max().item<float>().Should().BeApproximately((float)expected, 1e-5f);
        WeightAverage.DecayAt(0.9, 1).Should().BeApproximately(2.0 / 11, 1e-12, "the first updates follow the weights closely");
        WeightAverage.DecayAt(0.9, 1000).Should().Be(0.9);
    }

    [Fact]
    public void TrainingWithAnAverage_ResumedMidRun_ReachesTheUninterruptedWeights()
    {
        var examples = Shapes.Generate(96, seed: 27);
        CnnClassifierTransformer Train(CnnTrainerOptions options)
        {
            var ml = new MLContext(seed: 1);
            var view = Pipelines.ImagesView(ml, examples);
            return ml.MulticlassClassification.Trainers.Cnn(options).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view));
        }
        CnnTrainerOptions Options()
        {
            var options = Pipelines.FastOptions(epochs: 3, seed: 8);
            options = options with { Regularization = options.Regularization with { EmaDecay = 0.9 }, Validation = options.Validation with { Fraction = 0.25 } };
            return options;
        }
        using var folder = new TempFolder();
        using var full = Train(Options());

        var interrupted = Options();
        interrupted = interrupted with { Checkpoint = interrupted.Checkpoint with { Path = folder.File("ema.ckpt") } };
        using var cancellation = new CancellationTokenSource();
        interrupted = interrupted with { CancellationToken = cancellation.Token };
        interrupted = interrupted with { Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
        {
            if (!p.IsEpochEnd && p.Epoch == 2 && p.Batch == 1)
                cancellation.Cancel();
        }) };
        FluentActions.Invoking(() => Train(interrupted)).Should().Throw<OperationCanceledException>();
        var rest = Options();
        rest = rest with { Checkpoint = rest.Checkpoint with { ResumeFrom = folder.File("ema.ckpt") } };
        using var resumed = Train(rest);

        foreach (var (key, value) in full.Model.state_dict())
            resumed.Model.state_dict()[key].eq(value).all().item<bool>().Should().BeTrue(key);
        full.History.Select(h => h.ValidationAccuracy).Should().Equal(resumed.History.Select(h => h.ValidationAccuracy));
    }
}
