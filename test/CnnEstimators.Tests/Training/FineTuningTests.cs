using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Training;

/// <summary>Frozen backbones, frozen batch norms, discriminative learning rates, resumption mid-freeze, pretrained weights by name.</summary>
public class FineTuningTests
{
    private static readonly List<ShapeExample> Examples = Shapes.Generate(96, seed: 15);

    private static IDataView Data(MLContext ml, int rows = 96)
    {
        var view = Pipelines.ImagesView(ml, Examples.Take(rows));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
    }

    private static List<string> LogOf(MLContext ml)
    {
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        return messages;
    }

    private static CnnTrainerOptions Options(CnnModel model, int epochs, int freeze) => new()
    {
        Model = new() { Instance = model },
        Input = new() { ImageSize = 32 },
        Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.05 },
        Schedule = new() { Epochs = epochs, BatchSize = 32, Kind = CnnLearningRateSchedule.Constant, WarmupEpochs = 0 },
        FineTuning = new() { FreezeEpochs = freeze },
        Runtime = new() { Seed = 3, Threads = 2 },
    };

    private static Dictionary<string, Tensor> Snapshot(CnnModel model)
        => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Fact]
    public void FreezeEpochs_TrainOnlyTheHead_WithBatchNormStatisticsFrozen_ThenEverythingLearns()
    {
        var ml = new MLContext(seed: 1);
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        var initial = Snapshot(model);
        Dictionary<string, Tensor>? afterFrozenEpoch = null;
        var options = Options(model, epochs: 2, freeze: 1);
        options = options with { Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
        {
            if (p.IsEpochEnd && p.Epoch == 1)
                afterFrozenEpoch = Snapshot(model);
        }) };

        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data(ml));

        foreach (var key in initial.Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)))
            Same(afterFrozenEpoch![key], initial[key]).Should().BeTrue($"{key} is frozen in the first epoch (weights and batch-norm statistics)");
        Same(afterFrozenEpoch!["fc.weight"], initial["fc.weight"]).Should().BeFalse("the head learns while the backbone is frozen");
        Same(model.state_dict()["layer1.0.conv1.weight"], initial["layer1.0.conv1.weight"]).Should().BeFalse("the backbone learns after the frozen epochs");
        Same(model.state_dict()["bn1.running_mean"], initial["bn1.running_mean"]).Should().BeFalse("and its batch-norm statistics move again");
        model.parameters().Should().OnlyContain(p => p.requires_grad, "the trained model can be trained further");
    }

    [Fact]
    public void FreezeBatchNorm_KeepsTheStatistics_WhileTheWeightsLearn()
    {
        var ml = new MLContext(seed: 1);
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        var initial = Snapshot(model);
        var options = Options(model, epochs: 1, freeze: 0);
        options = options with { FineTuning = options.FineTuning with { FreezeBatchNorm = true } };

        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data(ml));

        Same(model.state_dict()["layer2.1.bn1.running_var"], initial["layer2.1.bn1.running_var"]).Should().BeTrue();
        Same(model.state_dict()["layer2.1.conv1.weight"], initial["layer2.1.conv1.weight"]).Should().BeFalse();
    }

    [Fact]
    public void BackboneLearningRateFactor_ScalesHowFarTheBackboneMoves()
    {
        double BackboneMove(double factor)
        {
            var ml = new MLContext(seed: 1);
            using var model = CnnZoo.Create("resnet20", numClasses: 4);
            manual_seed(1);
            var before = Snapshot(model)["layer2.0.conv1.weight"];
            var options = Options(model, epochs: 1, freeze: 0);
            options = options with
            {
                Optimizer = options.Optimizer with { Momentum = 0, WeightDecay = 0 },
                FineTuning = options.FineTuning with { BackboneLearningRateFactor = factor },
            };
            using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data(ml));
            return (model.state_dict()["layer2.0.conv1.weight"] - before).norm().item<float>();
        }

        var full = BackboneMove(1);
        var tenth = BackboneMove(0.1);
        tenth.Should().BeLessThan(full * 0.3, "a tenth of the learning rate moves the backbone about a tenth as far");
        tenth.Should().BeGreaterThan(0);
    }

    [Fact]
    public void ResumedMidFreeze_ReachesTheUninterruptedWeights()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("freeze.ckpt");
        var ml = new MLContext(seed: 1);
        using var first = CnnZoo.Create("resnet20", numClasses: 4);
        using var second = CnnZoo.Create("resnet20", numClasses: 4);
        using var third = CnnZoo.Create("resnet20", numClasses: 4);
        foreach (var copy in new[] { second, third })
            copy.load_state_dict(first.state_dict());

        using var full = ml.MulticlassClassification.Trainers.Cnn(Options(first, epochs: 3, freeze: 2)).Fit(Data(ml));

        var interrupted = Options(second, epochs: 3, freeze: 2);
        interrupted = interrupted with { Checkpoint = interrupted.Checkpoint with { Path = checkpoint } };
        using var cancellation = new CancellationTokenSource();
        interrupted = interrupted with { CancellationToken = cancellation.Token };
        interrupted = interrupted with { Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
        {
            if (!p.IsEpochEnd && p.Epoch == 2 && p.Batch == 2)
                cancellation.Cancel();   // in the middle of the second frozen epoch
        }) };
        FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(interrupted).Fit(Data(ml))).Should().Throw<OperationCanceledException>();

        var rest = Options(third, epochs: 3, freeze: 2);
        rest = rest with { Checkpoint = rest.Checkpoint with { ResumeFrom = checkpoint } };
        using var resumed = ml.MulticlassClassification.Trainers.Cnn(rest).Fit(Data(ml));

        foreach (var (key, value) in full.Model.state_dict())
            Same(resumed.Model.state_dict()[key], value).Should().BeTrue(key);
    }

    [Fact]
    public void FromTheOfflinePretrainedWeights_StoppedAndResumed_ReachesTheUninterruptedWeights()
    {
        // The offline CNTK weights build a network registered under another name (resnet18_dnnfeaturizer) than the options'
        // architecture: a search continues such a trial at its next rung from the checkpoint.
        using var folder = new TempFolder();
        var checkpoint = folder.File("pretrained.ckpt");
        var ml = new MLContext(seed: 1);
        var recipe = Pipelines.FastOptions(epochs: 2, architecture: "resnet18_cntk");
        var options = recipe with { Model = recipe.Model with { Weights = "IMAGENET1K_CNTK" } };

        using var full = ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data(ml, rows: 48));
        using var stopped = ml.MulticlassClassification.Trainers.Cnn(options with
        {
            Checkpoint = new() { Path = checkpoint },
            EpochEnd = end => end.Stop("the first rung"),
        }).Fit(Data(ml, rows: 48));
        using var resumed = ml.MulticlassClassification.Trainers.Cnn(options with { Checkpoint = new() { ResumeFrom = checkpoint } }).Fit(Data(ml, rows: 48));

        stopped.History.Should().HaveCount(1);
        resumed.History.Should().HaveCount(2);
        resumed.Model.Architecture.Should().Be(full.Model.Architecture).And.Be("resnet18_dnnfeaturizer");
        foreach (var (key, value) in full.Model.state_dict())
            Same(resumed.Model.state_dict()[key], value).Should().BeTrue(key);
    }

    [Fact]
    public void BadFineTuningOptions_AreRefusedTogether_BeforeTraining()
    {
        var options = new CnnTrainerOptions
        {
            Model = new() { Weights = "IMAGENET1K_V1" },
            Input = new() { Channels = 1 },
            Schedule = new() { Epochs = 3 },
            FineTuning = new() { FreezeEpochs = 3, BackboneLearningRateFactor = 0 },
        };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>()
            .WithMessage("*FineTuning.BackboneLearningRateFactor must be greater than 0*FineTuning.FreezeEpochs (3) must be less than Schedule.Epochs (3)*take colour images*");
        var ml = new MLContext(seed: 1);
        FluentActions.Invoking(() => ml.MulticlassClassification.Trainers.Cnn(new CnnTrainerOptions
        {
            Model = new() { Architecture = "resnet18", Weights = "IMAGENET1K_V9" },
            Input = new() { ImageSize = 32 },
            Schedule = new() { Epochs = 1 },
        }).Fit(Data(ml)))
            .Should().Throw<ArgumentException>().WithMessage("*resnet18 has no weights 'IMAGENET1K_V9'. Its weights: IMAGENET1K_V1*");
    }

    [Fact]
    public void Weights_ByName_StartFromThePretrainedNetwork_WithItsPreprocessing()
    {
        var ml = new MLContext(seed: 1);
        var messages = LogOf(ml);
        using var pretrained = CnnZoo.Create("resnet18_cntk", weights: "IMAGENET1K_CNTK");
        var data = Data(ml, rows: 16);

        using var trained = ml.MulticlassClassification.Trainers.Cnn(architecture: "resnet18_cntk", epochs: 1, batchSize: 16, weights: "IMAGENET1K_CNTK").Fit(data);

        trained.Model.Architecture.Should().Be(DnnFeaturizerResNet18.RegistryName, "the offline weights come as the imported ML.NET network");
        trained.Model.NumClasses.Should().Be(4);
        trained.Preprocessing.Normalization.Should().Be(pretrained.DefaultNormalization, "the weights' preprocessing is used unless overridden");
        messages.Should().Contain(m => m.Contains("Starting from resnet18_cntk IMAGENET1K_CNTK, which has no classifier: a new one for 4 classes", StringComparison.Ordinal));
    }

    [Fact]
    public void FineTuningRecipe_StartsFromTheWeights_TheHeadAloneFirst_ThenTheWholeNetwork()
    {
        var ml = new MLContext(seed: 1);
        var messages = LogOf(ml);
        using var pretrained = CnnZoo.Create("resnet18_cntk", weights: "IMAGENET1K_CNTK");
        var data = Data(ml, rows: 32);
        var recipe = CnnRecipes.FineTuning("resnet18_cntk", "IMAGENET1K_CNTK", imageSize: 32);
        recipe = recipe with { Schedule = recipe.Schedule with { Epochs = 3 }, Runtime = recipe.Runtime with { Seed = 3, Threads = 2 } };   // its 2 frozen epochs, then one of everything

        using var trained = ml.MulticlassClassification.Trainers.Cnn(recipe).Fit(data);

        recipe.Augmentation.RandomCropPadding.Should().Be(4, "crops pad an eighth of the image size");
        trained.Preprocessing.Height.Should().Be(32);
        trained.TestTimeFlip.Should().BeTrue("the recipe scores each image together with its mirror image");
        trained.Preprocessing.Normalization.Mean.Should().Equal(pretrained.DefaultNormalization!.Mean, "the weights' normalisation is used");
        messages.Should().Contain(m => m.Contains("Epoch 3: the backbone learns from now on (at 1 times the head's learning rate)", StringComparison.Ordinal));
        Same(trained.Model.state_dict()["body.layer1.0.conv1.weight"], pretrained.state_dict()["body.layer1.0.conv1.weight"])
            .Should().BeFalse("the whole network learns after the frozen epochs");
        FluentActions.Invoking(() => CnnRecipes.FineTuning("resnet18", "IMAGENET1K_V1", imageSize: 28)).Should().Throw<ArgumentException>()
            .WithMessage("*image size of at least 32 pixels, not 28*");
    }

    [Fact]
    public void PretrainedModel_WithFrozenEpochs_KeepsItsImportedBackboneWhileTheHeadLearns()
    {
        var ml = new MLContext(seed: 1);
        using var model = CnnZoo.Create("resnet18_cntk", numClasses: 4, weights: "IMAGENET1K_CNTK");
        var imported = Snapshot(model);
        Dictionary<string, Tensor>? afterFrozenEpoch = null;
        var data = Data(ml, rows: 16);
        var options = new CnnTrainerOptions
        {
            Model = new() { Instance = model },
            Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.01 },
            Schedule = new() { Epochs = 2, BatchSize = 8 },
            FineTuning = new() { FreezeEpochs = 1 },
            Runtime = new() { Seed = 3, Threads = 2 },
            Progress = new SynchronousProgress<CnnTrainingProgress>(p =>
            {
                if (p.IsEpochEnd && p.Epoch == 1)
                    afterFrozenEpoch = Snapshot(model);
            }),
        };

        using var trained = ml.MulticlassClassification.Trainers.Cnn(options).Fit(data);

        trained.Preprocessing.Height.Should().Be(224, "a pretrained model's own input size is used unless ImageSize says otherwise");
        foreach (var key in imported.Keys.Where(k => !k.StartsWith("body.fc.", StringComparison.Ordinal)))
            Same(afterFrozenEpoch![key], imported[key]).Should().BeTrue($"{key} stays as imported while the backbone is frozen");
        Same(afterFrozenEpoch!["body.fc.weight"], imported["body.fc.weight"]).Should().BeFalse();
    }
}
