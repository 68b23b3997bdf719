using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Training;

/// <summary>Runs that stop on a deadline or on request keep a usable model and say why; runs side by side do not disturb each other.</summary>
public class RunControlTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = Pipelines.Keyed(Ml, Shapes.Generate(96, seed: 23));


    /// <summary>A clock that moves only when told to: here, one second per training batch.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }

    private static CnnTrainerOptions SmallNet(int epochs, int seed = 7)
    {
        var options = Pipelines.FastOptions(epochs, seed);
        // 6 batches an epoch
        options = options with
        {
            Model = options.Model with { Arguments = new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 } },
            Schedule = options.Schedule with { BatchSize = 16 },
        };
        return options;
    }

    [Fact]
    public void Deadline_StopsWithinOneBatch_AndTheModelScores()
    {
        var clock = new SteppedClock();
        var batches = 0;
        var options = SmallNet(epochs: 100);
        options = options with
        {
            Clock = clock,
            Runtime = options.Runtime with { MaxTrainingTime = TimeSpan.FromSeconds(8.5) },
        };
        options = options with { Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
        {
            if (!p.IsEpochEnd)
            {
                batches++;
                clock.Advance(TimeSpan.FromSeconds(1));
            }
        }) };

        using var model = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        batches.Should().Be(9, "the 9th batch ends at 9 s, past the 8.5 s deadline, and no batch starts after it");
        var end = model.TrainingEnd!;
        end.Reason.Should().Be(CnnTrainingEndReason.Deadline);
        (end.EpochsCompleted, end.StepsIntoNextEpoch, end.StepsPerEpoch).Should().Be((1, 3, 6));
        end.EpochsTrained.Should().Be(1.5);
        end.Message.Should().Contain("MaxTrainingTime (8.5 s)").And.Contain("3 step(s) into epoch 2");
        model.History.Should().HaveCount(1, "the epoch cut short is not in the history");
        var metrics = Ml.MulticlassClassification.Evaluate(model.Transform(Data));
        metrics.LogLoss.Should().BeInRange(0, 10, "a stopped run still scores every row with probabilities");
    }

    [Fact]
    public void Deadline_OnTheRealClock_EndsAHundredEpochRun()
    {
        var options = SmallNet(epochs: 100);
        options = options with { Runtime = options.Runtime with { MaxTrainingTime = TimeSpan.FromSeconds(2) } };

        using var model = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        model.TrainingEnd!.Reason.Should().Be(CnnTrainingEndReason.Deadline);
        model.TrainingEnd.Seconds.Should().BeGreaterThanOrEqualTo(2);
        model.History.Count.Should().BeLessThan(100);
    }

    [Fact]
    public void EpochEnd_CanStopTheRun_KeepingTheBestValidatedWeights()
    {
        var seen = new List<int>();
        var options = SmallNet(epochs: 10);
        options = options with { Validation = options.Validation with { Fraction = 0.25 } };
        options = options with { EpochEnd = end =>
        {
            seen.Add(end.Metrics.Epoch);
            end.History.Should().HaveCount(end.Metrics.Epoch);
            end.Metrics.ValidationAccuracy.Should().NotBeNull("the callback sees the validated epoch");
            if (end.Metrics.Epoch == 3)
                end.Stop("rung 3 of a search: not promoted");
        } };

        using var model = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        seen.Should().Equal(1, 2, 3);
        model.History.Should().HaveCount(3);
        var end = model.TrainingEnd!;
        end.Reason.Should().Be(CnnTrainingEndReason.Requested);
        end.Message.Should().Contain("after epoch 3 of 10").And.Contain("not promoted");
        var best = model.History.MaxBy(e => e.ValidationAccuracy)!.Epoch;
        end.WeightsFromEpoch.Should().Be(best);
    }

    [Fact]
    public void CompletedAndEarlyStoppedRuns_SaySo_AndTheCheckpointKeepsIt()
    {
        using var folder = new TempFolder();
        using var completed = Ml.MulticlassClassification.Trainers.Cnn(SmallNet(epochs: 2)).Fit(Data);
        var patient = SmallNet(epochs: 50);
        // nothing improves after the first epoch
        patient = patient with
        {
            Validation = patient.Validation with { Fraction = 0.25, EarlyStoppingPatience = 1 },
            Optimizer = patient.Optimizer with { LearningRate = 1e-9 },
        };
        using var stopped = Ml.MulticlassClassification.Trainers.Cnn(patient).Fit(Data);

        completed.TrainingEnd!.Reason.Should().Be(CnnTrainingEndReason.Completed);
        completed.TrainingEnd.EpochsCompleted.Should().Be(2);
        stopped.TrainingEnd!.Reason.Should().Be(CnnTrainingEndReason.EarlyStopping);
        stopped.TrainingEnd.EpochsCompleted.Should().BeLessThan(50);
        var file = folder.File("stopped.mlnetcnn");
        stopped.SaveCheckpoint(file);
        using var loaded = Ml.Cnn().LoadClassifier(file, device: "cpu");
        loaded.TrainingEnd.Should().Be(stopped.TrainingEnd);
    }

    [Theory]
    [InlineData("resnet20")]
    [InlineData("vgg11")]   // with dropout, which draws from the run's generator
    public void TwoRuns_InParallelThreads_GiveTheWeightsEachGivesAlone(string architecture)
    {
        Dictionary<string, float[]> Weights(int seed)
        {
            var options = SmallNet(epochs: 2, seed);
            if (architecture != "resnet20")
                options = options with
                {
                    Model = new() { Architecture = architecture, Arguments = new VggArguments { WidthMultiplier = 0.125, HiddenUnits = 32, Dropout = 0.5 } },
                };
            using var model = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);
            return model.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu().to(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray());
        }

        var alone = new[] { Weights(11), Weights(12) };
        var side = new Dictionary<string, float[]>[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => side[i] = Weights(11 + i))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        for (var i = 0; i < 2; i++)
            foreach (var (key, value) in alone[i])
                side[i][key].Should().Equal(value, $"run {i}'s {key} must not depend on the run beside it");
        var firstWeight = alone[0].Keys.First(key => key.EndsWith(".weight", StringComparison.Ordinal));
        alone[0][firstWeight].Should().NotEqual(alone[1][firstWeight], "the seeds differ");
    }

    [Fact]
    public void ARun_DrawsFromItsOwnGenerators_LeavingTheProcessGeneratorAsItWas()
    {
        float[] Fitted(long processSeed)
        {
            TorchSharp.torch.manual_seed(processSeed);
            using var model = Ml.MulticlassClassification.Trainers.Cnn(SmallNet(epochs: 1, seed: 11)).Fit(Data);
            return model.Model.state_dict()["conv1.weight"].cpu().to(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray();
        }

        TorchSharp.torch.manual_seed(31);
        using var expected = TorchSharp.torch.rand(8);
        var first = Fitted(31);
        using var after = TorchSharp.torch.rand(8);

        after.eq(expected).all().item<bool>().Should().BeTrue("training neither reseeds nor draws from libtorch's default generator");
        Fitted(32).Should().Equal(first, "the weights come from the run's seed alone");
    }

    [Fact]
    public void MaxTrainingTime_OfZero_IsRefused()
    {
        var options = SmallNet(epochs: 1);
        options = options with { Runtime = options.Runtime with { MaxTrainingTime = TimeSpan.Zero } };

        FluentActions.Invoking(() => Ml.MulticlassClassification.Trainers.Cnn(options))
            .Should().Throw<ArgumentException>().WithMessage("*MaxTrainingTime must be greater than zero*");
    }
}
