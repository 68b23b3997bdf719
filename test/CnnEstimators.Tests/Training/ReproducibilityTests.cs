using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>Seeds, checkpoints, resumption and cancellation.</summary>
public class ReproducibilityTests
{
    private static readonly List<ShapeExample> Examples = Shapes.Generate(160, seed: 5);

    private static CnnClassifierTransformer Train(CnnTrainerOptions options)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Pipelines.ImagesView(ml, Examples)).Transform(Pipelines.ImagesView(ml, Examples));
        return ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);
    }

    private static CnnTrainerOptions Options(int epochs, int seed = 7) => Pipelines.FastOptions(epochs, seed);

    private static bool SameWeights(CnnClassifierTransformer a, CnnClassifierTransformer b)
    {
        var left = a.Model.state_dict();
        var right = b.Model.state_dict();
        return left.Keys.SequenceEqual(right.Keys) && left.All(kv => kv.Value.eq(right[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void Fit_SameSeed_GivesBitIdenticalWeights_WithAugmentation()
    {
        CnnTrainerOptions WithAugmentation() { var o = Options(2); return o with { Augmentation = o.Augmentation with { RandomCropPadding = 4, HorizontalFlip = true } }; }

        using var first = Train(WithAugmentation());
        using var second = Train(WithAugmentation());
        var other = WithAugmentation();
        other = other with { Runtime = other.Runtime with { Seed = 8 } };
        using var third = Train(other);

        SameWeights(first, second).Should().BeTrue();
        SameWeights(first, third).Should().BeFalse("another seed gives another run");
    }

    [Fact]
    public void Fit_ResumedFromCheckpoint_ReachesTheUninterruptedWeights()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("run.ckpt");
        var uninterrupted = Options(3);
        uninterrupted = uninterrupted with { Augmentation = uninterrupted.Augmentation with { HorizontalFlip = true } };
        using var full = Train(uninterrupted);

        var firstPart = Options(3);
        firstPart = firstPart with
        {
            Augmentation = firstPart.Augmentation with { HorizontalFlip = true },
            Checkpoint = firstPart.Checkpoint with { Path = checkpoint },
        };
        var batches = 0;
        using var cancellation = new CancellationTokenSource();
        firstPart = firstPart with { CancellationToken = cancellation.Token };
        firstPart = firstPart with { Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
        {
            if (!p.IsEpochEnd && p.Epoch == 2 && ++batches == 2)
                cancellation.Cancel();  // stop in the middle of epoch 2: the checkpoint of epoch 1 must stay intact
        }) };
        FluentActions.Invoking(() => Train(firstPart)).Should().Throw<OperationCanceledException>();
        batches.Should().Be(2, "cancellation stops within one batch");
        File.Exists(checkpoint).Should().BeTrue();

        var rest = Options(3);
        rest = rest with
        {
            Augmentation = rest.Augmentation with { HorizontalFlip = true },
            Checkpoint = rest.Checkpoint with { ResumeFrom = checkpoint },
        };
        using var resumed = Train(rest);

        SameWeights(full, resumed).Should().BeTrue();
        resumed.History.Select(h => h.Epoch).Should().Equal(1, 2, 3);
        resumed.History[0].TrainLoss.Should().Be(full.History[0].TrainLoss);
    }

    [Fact]
    public void Fit_ResumeFromCorruptCheckpoint_SaysWhatIsWrong()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("bad.ckpt");
        File.WriteAllText(checkpoint, "not a checkpoint");
        var options = Options(1);
        options = options with { Checkpoint = options.Checkpoint with { ResumeFrom = checkpoint } };

        FluentActions.Invoking(() => Train(options)).Should().Throw<InvalidDataException>().WithMessage($"*{checkpoint}*not a usable MLNetCnn training checkpoint*");
    }
}
