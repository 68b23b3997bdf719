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
        options.ImageColumnName = "Pixels";
        options.VectorShape = (3, Shapes.Size, Shapes.Size);

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Preprocessing.InputKind.Should().Be(CnnInputKind.Vector);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void Streaming_WhenOverTheMemoryBudget_LearnsAsWell()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options.MemoryBudgetBytes = 0;
        options.ShuffleBufferRows = 64;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        Accuracy(ml, model, test).Should().BeGreaterThan(0.9);
        model.History.Should().HaveCount(3);
    }

    [Fact]
    public void Channels1_TrainsAGreyNetworkOnColourImages()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions(epochs: 3);
        options.Channels = 1;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Model.InChannels.Should().Be(1);
        model.Preprocessing.Channels.Should().Be(1);
        model.Preprocessing.Mean.Should().HaveCount(1);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.6, "the classes still differ in grey (in shape, and in the grey level their fixed colours become); chance is 0.25");
    }

    [Fact]
    public void ImageSize_ResizesTheImages()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions(epochs: 3);
        options.ImageSize = 20;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        (model.Preprocessing.Height, model.Preprocessing.Width).Should().Be((20, 20));
        Accuracy(ml, model, test).Should().BeGreaterThan(0.8, "the resized images still show the shapes");
    }

    [Fact]
    public void Model_PretrainedWithOtherClassCount_IsFineTunedWithANewHead()
    {
        var (ml, train, test) = Data();
        var pretrained = CnnZoo.Create("resnet20", numClasses: 10);
        var options = Pipelines.FastOptions();
        options.Model = pretrained;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.Model.Should().BeSameAs(pretrained);
        model.Model.NumClasses.Should().Be(4);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.9);
    }

    [Theory]
    [InlineData(CnnOptimizer.Adam, 0.002)]
    [InlineData(CnnOptimizer.AdamW, 0.002)]
    public void AdamOptimizers_Learn(CnnOptimizer optimizer, double learningRate)
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions();
        options.Optimizer = optimizer;
        options.LearningRate = learningRate;
        options.WeightDecay = 1e-4;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        Accuracy(ml, model, test).Should().BeGreaterThan(0.85);
    }

    [Fact]
    public void LabelSmoothing_ChangesTheLoss()
    {
        var (ml, train, _) = Data();
        var plain = Pipelines.FastOptions(epochs: 1);
        var smoothed = Pipelines.FastOptions(epochs: 1);
        smoothed.LabelSmoothing = 0.2;

        using var a = ml.MulticlassClassification.Trainers.Cnn(plain).Fit(train);
        using var b = ml.MulticlassClassification.Trainers.Cnn(smoothed).Fit(train);

        b.History[0].TrainLoss.Should().BeGreaterThan(a.History[0].TrainLoss, "smoothed targets cannot be fitted to zero loss");
    }

    [Fact]
    public void EarlyStopping_WithKeepBestWeights_StopsAndEndsAtTheBestEpoch()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions(epochs: 8);
        options.Schedule = CnnLearningRateSchedule.Constant;
        options.LearningRate = 0.5;  // noisy enough for validation accuracy to stall
        options.ValidationData = test;
        options.EarlyStoppingPatience = 1;

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
        options.Schedule = CnnLearningRateSchedule.ReduceOnPlateau;
        options.PlateauPatience = 1;
        options.LearningRate = 1e-7;  // too small to improve: every epoch is a plateau
        options.ValidationFraction = 0.25;

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        model.History.Should().OnlyContain(h => h.ValidationAccuracy.HasValue);
        model.History[0].LearningRate.Should().BeApproximately(1e-7, 1e-15);
        model.History[^1].LearningRate.Should().BeLessThan(1e-8);
    }

    [Fact]
    public void Progress_ReportsBatchesAndEpochs_AndTheContextLogGetsEpochLines()
    {
        var (ml, train, _) = Data();
        var reports = new List<CnnTrainingProgress>();
        var options = Pipelines.FastOptions(epochs: 2);
        options.Progress = new SynchronousProgress<CnnTrainingProgress>(reports.Add);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        reports.Count(r => r.IsEpochEnd).Should().Be(2);
        reports.Where(r => !r.IsEpochEnd && r.Epoch == 1).Select(r => r.Batch).Should().Equal(Enumerable.Range(1, 10));
        reports.Should().OnlyContain(r => r.Batches == 10 && r.LearningRate > 0 && r.ImagesPerSecond > 0 && r.Loss > 0);
        log.Should().Contain(m => m.Contains("epoch 2/2") && m.Contains("images/s"));
    }

    [Fact]
    public void Device_Cpu_IsUsed_AndCudaWithoutAGpu_IsRefusedClearly()
    {
        var (ml, train, _) = Data();
        var options = Pipelines.FastOptions(epochs: 1);
        options.Device = "cpu";
        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);
        model.Model.parameters().First().device.type.Should().Be(TorchSharp.DeviceType.CPU);

        if (!TorchSharp.torch.cuda.is_available())
        {
            options.Device = "cuda:0";
            FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(options).Fit(train))
                .Should().Throw<InvalidOperationException>().WithMessage("*CUDA is not available*TorchSharpBackend=cuda-linux*");
        }
    }

    [Fact]
    public void ImageNetStyleRecipe_ResizedCropsStepScheduleWarmupNesterov_Trains()
    {
        var (ml, train, test) = Data();
        var options = Pipelines.FastOptions(epochs: 3);
        options.RandomResizedCrop = true;
        options.HorizontalFlip = true;
        options.Schedule = CnnLearningRateSchedule.Step;
        options.StepEpochs = 2;
        options.StepGamma = 0.1;
        options.WarmupEpochs = 1;
        options.Nesterov = true;
        var rates = new List<double>();
        options.Progress = new SynchronousProgress<CnnTrainingProgress>(p => { if (!p.IsEpochEnd) rates.Add(p.LearningRate); });

        using var model = ml.MulticlassClassification.Trainers.Cnn(options).Fit(train);

        rates.Take(10).Should().BeInAscendingOrder("the first epoch warms up");
        rates[9].Should().BeApproximately(0.05, 1e-12);
        model.History.Select(h => h.LearningRate).Should().Equal([0.05, 0.05, 0.005], (a, b) => Math.Abs(a - b) < 1e-12);
        Accuracy(ml, model, test).Should().BeGreaterThan(0.6, "four balanced classes: chance is 0.25");
    }
}
