using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;

namespace MLNetCnn.Tests.Training;

/// <summary>
/// The options as a search needs them: grouped immutable records that validate themselves, a JSON form that round-trips every
/// field, and a record of them in every place a trained model is kept.
/// </summary>
public class TrainerOptionsShapeTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = Pipelines.Keyed(Ml, Shapes.Generate(48, seed: 71));


    /// <summary>Every configuration field set to something other than its default.</summary>
    private static CnnTrainerOptions EveryFieldChanged() => new()
    {
        Model = new() { Architecture = "resnet34", Arguments = new ResNetArguments { Blocks = [1, 2, 1, 1], WidthMultiplier = 0.5 }, Weights = "IMAGENET1K_V1" },
        Columns = new() { Label = "Class", Image = "Picture", Score = "Probabilities", PredictedLabel = "Guess" },
        Input = new() { VectorShape = (3, 40, 48), ImageSize = 64, Channels = 3, PixelScale = 0.5f, Mean = [0.1f, 0.2f, 0.3f], Std = [0.4f, 0.5f, 0.6f] },
        Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.07, Momentum = 0.8, Nesterov = true, WeightDecay = 1e-3, GradientClipNorm = 2.5 },
        Schedule = new() { Epochs = 12, BatchSize = 48, Kind = CnnLearningRateSchedule.Step, WarmupEpochs = 0.25, StepEpochs = 4, StepGamma = 0.5, PlateauPatience = 3 },
        Augmentation = new()
        {
            RandomCropPadding = 4, HorizontalFlip = true, RandomResizedCrop = true, ColorJitter = (0.1, 0.2, 0.3), RandomAffine = (10, 0.1, 0.2),
            TrivialAugment = true, RandomErasingProbability = 0.25,
        },
        Regularization = new()
        {
            LabelSmoothing = 0.1, MixUpAlpha = 0.2, CutMixAlpha = 1, MixProbability = 0.5, EmaDecay = 0.999, ClassWeights = [1, 2, 3, 4],
            BalanceClasses = true, BalancedSampling = true,
        },
        FineTuning = new() { FreezeEpochs = 2, BackboneLearningRateFactor = 0.1, FreezeBatchNorm = true },
        Validation = new() { Fraction = 0.2, EarlyStoppingPatience = 3, KeepBestWeights = false, SelectionMetric = CnnSelectionMetric.LogLoss },
        TestTime = new() { Flip = true, CropSize = 56 },
        Runtime = new()
        {
            Device = "cpu", Threads = 3, MemoryBudgetBytes = 12345, ShuffleBufferRows = 99, Seed = 42, SkipUnreadableImages = true,
            MaxTrainingTime = TimeSpan.FromSeconds(90.5), ScoringBatchSize = 7, InferenceEngine = CnnInferenceEngine.OnnxRuntimeInt8,
            Precision = CnnPrecision.BFloat16, MemoryFormat = CnnMemoryFormat.ChannelsLast,
        },
        Checkpoint = new() { Path = "/tmp/run.ckpt", ResumeFrom = "/tmp/earlier.ckpt" },
    };

    // The groups and their JSON-visible properties, found by reflection so that a field added later is covered too.
    private static IEnumerable<(PropertyInfo Group, PropertyInfo Field)> Fields() =>
        from g in typeof(CnnTrainerOptions).GetProperties()
        where g.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal) && g.PropertyType != typeof(CnnTrainerOptions)
        from f in g.PropertyType.GetProperties()
        where f.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is null
        select (g, f);

    // A value as JSON (tuples by their elements, lists by their items), so that values are compared by content.
    private static readonly System.Text.Json.JsonSerializerOptions ByContent = new() { IncludeFields = true };

    private static string Text(object? value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value, value.GetType(), ByContent);

    [Fact]
    public void EveryField_IsChangedInTheSample_SoTheRoundTripCoversIt()
    {
        var changed = EveryFieldChanged();
        var defaults = new CnnTrainerOptions();
        var fields = Fields().ToList();
        fields.Should().HaveCountGreaterThan(60, "the configuration has some 65 fields in 12 groups");
        foreach (var (group, field) in fields)
            Text(field.GetValue(group.GetValue(changed))).Should().NotBe(Text(field.GetValue(group.GetValue(defaults))),
                $"{group.Name}.{field.Name} must differ from its default in the sample, or the round trip would not show it is kept");
    }

    [Fact]
    public void Json_RoundTripsEveryField()
    {
        var original = EveryFieldChanged();

        var json = original.ToJson();
        var back = CnnTrainerOptions.FromJson(json);

        foreach (var (group, field) in Fields())
            Text(field.GetValue(group.GetValue(back))).Should().Be(Text(field.GetValue(group.GetValue(original))), $"{group.Name}.{field.Name} must survive JSON");
        back.Model.Arguments.Should().Be(new ResNetArguments { Blocks = [1, 2, 1, 1], WidthMultiplier = 0.5 }, "the architecture says which record the arguments are");
        back.ToJson().Should().Be(json);
        JsonNode.Parse(json)!["Optimizer"]!["Kind"]!.GetValue<string>().Should().Be("Sgd", "enums are written by name");
    }

    [Fact]
    public void Json_WithAMisspelledOption_IsRefusedNamingIt()
    {
        FluentActions.Invoking(() => CnnTrainerOptions.FromJson("""{ "Schedule": { "Epocks": 3 } }"""))
            .Should().Throw<ArgumentException>().WithMessage("*Epocks*");
        FluentActions.Invoking(() => CnnTrainerOptions.FromJson("""{ "Model": { "Architecture": "resnet18", "Arguments": { "Depth": 3 } } }"""))
            .Should().Throw<ArgumentException>().WithMessage("*Model.Arguments*ResNetArguments*");
    }

    [Fact]
    public void Json_LeavesOutWhatIsNotConfiguration_AndKeepsDefaultsForWhatIsMissing()
    {
        var options = Pipelines.FastOptions() with { Progress = new Progress<CnnTrainingProgress>(), Validation = new() { Data = Data } };

        var back = CnnTrainerOptions.FromJson(options.ToJson());

        back.Progress.Should().BeNull();
        back.Validation.Data.Should().BeNull();
        CnnTrainerOptions.FromJson("""{ "Schedule": { "Epochs": 3 } }""").Should().BeEquivalentTo(new CnnTrainerOptions { Schedule = new() { Epochs = 3 } },
            o => o.ComparingByMembers<CnnTrainerOptions>());
    }

    [Fact]
    public void Validate_ReportsTheProblemsOfEveryGroup_InOneException()
    {
        var options = new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = -1 },
            Schedule = new() { Epochs = 0 },
            Augmentation = new() { RandomErasingProbability = 2 },
            Runtime = new() { Threads = 0 },
        };

        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>()
            .WithMessage("*Optimizer.LearningRate must be greater than 0; got -1*Schedule.Epochs must be at least 1; got 0*" +
                         "Augmentation.RandomErasingProbability must be in [0, 1]; got 2*Runtime.Threads must be at least 1; got 0*");
        options.Problems().Should().HaveCount(4);
    }

    [Fact]
    public void TheTrainedModel_RecordsItsOptions_InTheTransformer_BothCheckpoints_AndTheSavedModel()
    {
        using var folder = new TempFolder();
        var options = Pipelines.FastOptions(epochs: 1) with
        {
            Model = new() { Architecture = "resnet20", Arguments = new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 } },
            Checkpoint = new() { Path = folder.File("run.ckpt") },
            Progress = new SynchronousProgress<CnnTrainingProgress>(_ => { }),
        };
        using var trained = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);
        var expected = options.ToJson();   // the hooks are not part of it

        trained.TrainerOptions!.ToJson().Should().Be(expected);
        trained.SaveCheckpoint(folder.File("classifier.mlnetcnn"));
        using (var loaded = Ml.Cnn().LoadClassifier(folder.File("classifier.mlnetcnn"), device: "cpu"))
            loaded.TrainerOptions!.ToJson().Should().Be(expected);
        using (var zip = ZipFile.OpenRead(folder.File("run.ckpt")))
        {
            using var reader = new StreamReader(zip.GetEntry("state.json")!.Open());
            var recorded = JsonNode.Parse(reader.ReadToEnd())!["TrainerOptions"]!.GetValue<string>();
            recorded.Should().Be(expected);
        }
        Ml.Model.Save(trained, Data.Schema, folder.File("model.zip"));
        using (var zip = ZipFile.OpenRead(folder.File("model.zip")))
        {
            var graphs = zip.Entries.Select(e => { using var s = new MemoryStream(); e.Open().CopyTo(s); return Encoding.UTF8.GetString(s.ToArray()); })
                .Where(text => text.Contains("mlnetcnn.trainer_options", StringComparison.Ordinal)).ToList();
            graphs.Should().ContainSingle("the saved ONNX graph carries the options as metadata").Which.Should().Contain(expected);
        }
    }

    [Fact]
    public void TheExperiment_LeavesTheOptionsItIsGiven_AsTheyAre()
    {
        var shared = Pipelines.FastOptions(epochs: 1) with { Columns = new() { Label = "NotTheLabel" } };
        var experiment = Ml.Cnn().CreateExperiment(new CnnExperimentSettings
        {
            Architectures = ["resnet20"], TrainerOptions = _ => shared, LabelColumnName = "Label",
        });

        var result = experiment.Execute(Data, Data);

        result.Runs.Single().Exception.Should().BeNull();
        shared.Columns.Label.Should().Be("NotTheLabel", "the experiment trains a copy with its own label column");
        result.Runs.Single().Model!.Dispose();
    }
}
