using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Training;

/// <summary>Each option of the trainer changes what it should, judged on the generated shapes.</summary>
public class TrainerOptionsTests
{
    private static readonly List<ShapeExample> TrainExamples = Shapes.Generate(320, seed: 11);
    private static readonly List<ShapeExample> TestExamples = Shapes.Generate(80, seed: 12);

    private static (MLContext Ml, IDataView Train, IDataView Test) Data(bool vectors = false)
    {
        var ml = new MLContext(seed: 1);
        var train = vectors ? Pipelines.VectorsView(ml, TrainExamples) : Pipelines.ImagesView(ml, TrainExamples);
        var test = vectors ? Pipelines.VectorsView(ml, TestExamples) : Pipelines.ImagesView(ml, TestExamples);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        return (ml, keys.Transform(train), keys.Transform(test));
    }

    private static double Accuracy(MLContext ml, ITransformer model, IDataView test)
        => ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;

    [Fact]
    public void VectorInput_WithShape_Learns()
    {
        var (ml, train, test) = Data(vectors: true);
        var options = Pipelines.FastOptions();
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (3, Shapes.Size, Shapes.Size) },
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Preprocessing.InputKind.Should().Be(CnnInputKind.Vector);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void Streaming_WhenOverTheMemoryBudget_LearnsAsWell()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options = options with
        {
            Runtime = options.Runtime with { MemoryBudgetBytes = 0, ShuffleBufferRows = 64 },
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        Accuracy(ml, model, test).Should().BeGreaterThan(0.9);
        model.History.Should().HaveCount(options.Schedule.Epochs);
    }

    [Fact]
    public void Channels1_TrainsAGreyNetworkOnColourImages()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options = options with { Input = options.Input with { Channels = 1 } };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Model.InChannels.Should().Be(1);
        model.Preprocessing.Channels.Should().Be(1);
        model.Preprocessing.Mean.Should().HaveCount(1);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.85, "the shapes still differ in grey (their random colours do not tell them apart); chance is 0.25");
    }

    [Fact]
    public void ImageSize_ResizesTheImages()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options = options with { Input = options.Input with { ImageSize = 20 } };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        (model.Preprocessing.Height, model.Preprocessing.Width).Should().Be((20, 20));
        Accuracy(ml, model, test).Should().BeGreaterThan(0.8, "the resized images still show the shapes");
    }

    [Fact]
    public void Model_PretrainedWithOtherClassCount_IsFineTunedWithANewHead()
    {
        var (ml, train, test) = Data();
        // Pretrained for real: on three of the four shapes, so its head has three classes.
        var threeShapes = ml.Data.LoadFromEnumerable(Shapes.Generate(240, seed: 13, classes: 3).Select(e => e.AsImage()).ToList());
        using var pretraining = ml.MulticlassClassification.Trainers.Cnn(Pipelines.FastOptions(epochs: 4))
            .Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(threeShapes).Transform(threeShapes));
        var pretrained = pretraining.Model;
        pretrained.NumClasses.Should().Be(3);
        var conv1 = pretrained.state_dict()["conv1.weight"].detach().clone();
        var options = Pipelines.FastOptions();
        options = options with { Model = options.Model with { Instance = pretrained } };
        var firstBatch = true;
        options = options with
        {
            Progress = new SynchronousProgress<CnnTrainingProgress>(_ =>
            {
                if (!firstBatch) return;
                firstBatch = false;
                // After one step from the pretrained weights, not from a fresh initialisation.
                (pretrained.state_dict()["conv1.weight"] - conv1).abs().max().item<float>().Should().BeLessThan(0.05f);
            }),
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Model.Should().BeSameAs(pretrained);
        model.Model.NumClasses.Should().Be(4);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.9, "training on from the shapes it knows learns all four");
    }

    [Theory]
    [InlineData(CnnOptimizer.Adam, 0.002)]
    [InlineData(CnnOptimizer.AdamW, 0.002)]
    public void AdamOptimizers_Learn(CnnOptimizer optimizer, double learningRate)
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options = options with
        {
            Optimizer = options.Optimizer with { Kind = optimizer, LearningRate = learningRate, WeightDecay = 1e-4 },
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        Accuracy(ml, model, test).Should().BeGreaterThan(0.85);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    public void LabelSmoothing_GivesTheSmoothedCrossEntropy_ComputedHere(double smoothing)
    {
        // One batch of every row, a step too small to matter: the recorded loss is the loss at the initial weights, which this
        // test computes on its own from the same seeded network, the recorded normalisation and the smoothed cross-entropy's
        // formula, (1 - e) CE + e mean over classes of -log p.
        var (ml, train, _) = Data(vectors: true);
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with
        {
            Columns = options.Columns with { Image = "Pixels" },
            Input = options.Input with { VectorShape = (3, Shapes.Size, Shapes.Size) },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 1e-12, Momentum = 0, WeightDecay = 0 },
            Schedule = options.Schedule with { BatchSize = TrainExamples.Count, WarmupEpochs = 0, Kind = CnnLearningRateSchedule.Constant },
            Regularization = new() { LabelSmoothing = smoothing },
            Runtime = options.Runtime with { Precision = CnnPrecision.Float32 },   // the loss computed here is float32's
        };
        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        using var network = CnnZoo.Create("resnet20", 4, 3);   // what the trainer builds from the same seed
        using (var generator = new TorchSharp.torch.Generator(MLNetCnn.Compute.InitialisationGate.InitialisationSeed(options.Runtime.Seed!.Value)))
            network.InitialiseFrom(generator);
        var p = trained.Preprocessing;
        var rows = TrainExamples.Select(e => e.AsVector().Pixels).ToList();
        using var scope = TorchSharp.torch.NewDisposeScope();
        var pixels = TorchSharp.torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, 3, Shapes.Size, Shapes.Size]) * p.PixelScale;
        var input = (pixels - TorchSharp.torch.tensor(p.Mean.ToArray()).view(1, 3, 1, 1)) / TorchSharp.torch.tensor(p.Std.ToArray()).view(1, 3, 1, 1);
        var keys = ml.Data.CreateEnumerable<KeyRow>(train, reuseRowObject: false).Select(r => (long)r.Label - 1).ToArray();
        network.train();
        var logProbabilities = TorchSharp.torch.nn.functional.log_softmax(network.call(input), 1);
        var crossEntropy = -logProbabilities.gather(1, TorchSharp.torch.tensor(keys).unsqueeze(1)).mean().item<float>();
        var uniform = -logProbabilities.mean().item<float>();
        var expected = (1 - smoothing) * crossEntropy + smoothing * uniform;

        trained.History.Single().TrainLoss.Should().BeApproximately(expected, 1e-4 * expected);
        if (smoothing > 0)
            Math.Abs(expected - crossEntropy).Should().BeGreaterThan(20 * 1e-4 * expected, "the smoothed loss must be told apart from the plain one");
    }

    private sealed class KeyRow
    {
        [Microsoft.ML.Data.KeyType(4)]
        public uint Label { get; set; }
    }

    [Fact]
    public void EarlyStopping_WithKeepBestWeights_StopsAndEndsAtTheBestEpoch()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions(epochs: 8);
        // noisy enough for validation accuracy to stall
        options = options with
        {
            Schedule = options.Schedule with { Kind = CnnLearningRateSchedule.Constant },
            Optimizer = options.Optimizer with { LearningRate = 0.5 },
            Validation = options.Validation with { Data = test, EarlyStoppingPatience = 1 },
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.History.Count.Should().BeLessThan(8);
        var validation = model.History.Select(h => h.ValidationAccuracy!.Value).ToList();
        validation[^1].Should().BeLessThanOrEqualTo(validation.Max(), "it stopped after an epoch without improvement");
        Accuracy(ml, model, test).Should().BeApproximately(validation.Max(), 1e-9, "the best epoch's weights are kept");
    }

    [Fact]
    public void ValidationFraction_HoldsOutRows_AndReduceOnPlateauLowersTheRate()
    {
        var (ml, train, _) = Data();
        var options = Pipelines.FastOptions(epochs: 4);
        // too small to improve: every epoch is a plateau
        options = options with
        {
            Schedule = options.Schedule with { Kind = CnnLearningRateSchedule.ReduceOnPlateau, PlateauPatience = 1, WarmupEpochs = 0 },
            Optimizer = options.Optimizer with { Kind = CnnOptimizer.Sgd, LearningRate = 1e-7 },
            Validation = options.Validation with { Fraction = 0.25 },
        };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.History.Should().OnlyContain(h => h.ValidationAccuracy.HasValue);
        model.History[0].LearningRate.Should().BeApproximately(1e-7, 1e-15);
        // Batch-norm statistics drift even at this rate, so a held-out row near chance can flip and count as an improvement:
        // at least one plateau, and the rate never rises.
        model.History.Select(h => h.LearningRate).Should().BeInDescendingOrder();
        model.History[^1].LearningRate.Should().BeLessThanOrEqualTo(1e-8 * (1 + 1e-9), "a plateau divides the rate by 10");
    }

    [Fact]
    public void Progress_ReportsBatchesAndEpochs_AndTheContextLogGetsEpochLines()
    {
        var (ml, train, _) = Data();
        var reports = new List<CnnTrainingProgress>();
        var options = Pipelines.FastOptions(epochs: 2);
        options = options with { Progress = new SynchronousProgress<CnnTrainingProgress>(reports.Add) };
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        reports.Count(r => r.IsEpochEnd).Should().Be(2);
        reports.Where(r => !r.IsEpochEnd && r.Epoch == 1).Select(r => r.Batch).Should().Equal(Enumerable.Range(1, 20), "320 rows in batches of 16");
        reports.Should().OnlyContain(r => r.Batches == 20 && r.LearningRate > 0 && r.ImagesPerSecond > 0 && r.Loss > 0);
        log.Should().Contain(m => m.Contains("epoch 2/2") && m.Contains("images/s"));
    }

    [Fact]
    public void Device_Cpu_IsUsed_AndCudaWithoutAGpu_IsRefusedClearly()
    {
        var (ml, train, _) = Data();
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Runtime = options.Runtime with { Device = "cpu" } };
        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
        model.Model.parameters().First().device.type.Should().Be(TorchSharp.DeviceType.CPU);

        if (!TorchSharp.torch.cuda.is_available())
        {
            options = options with { Runtime = options.Runtime with { Device = "cuda:0" } };
            FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(train))
                .Should().Throw<InvalidOperationException>().WithMessage("*CUDA is not available*TorchSharpBackend=cuda-linux*");
        }
    }

    [Fact]
    public void ImageNetStyleRecipe_ResizedCropsStepScheduleWarmupNesterov_Trains()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options = options with
        {
            Augmentation = options.Augmentation with { RandomResizedCrop = true, HorizontalFlip = true },
            Schedule = options.Schedule with { Epochs = 12, Kind = CnnLearningRateSchedule.Step, StepEpochs = 8, StepGamma = 0.1, WarmupEpochs = 1 },
            Optimizer = options.Optimizer with { Kind = CnnOptimizer.Sgd, LearningRate = 0.05, Nesterov = true },
        };
        var rates = new List<double>();
        options = options with { Progress = new SynchronousProgress<CnnTrainingProgress>(p => { if (!p.IsEpochEnd) rates.Add(p.LearningRate); }) };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        rates.Take(20).Should().BeInAscendingOrder("the first epoch (20 batches) warms up");
        rates[19].Should().BeApproximately(0.05, 1e-12);
        model.History.Select(h => h.LearningRate).Should().Equal([.. Enumerable.Repeat(0.05, 8), .. Enumerable.Repeat(0.005, 4)], (a, b) => Math.Abs(a - b) < 1e-12);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.85, "the shapes in random colours are learnt, not guessed (chance is 0.25)");
    }
}
