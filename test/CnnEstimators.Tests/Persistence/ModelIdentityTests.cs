using System.IO.Compression;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.ML;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Persistence;

/// <summary>
/// A model's identity is the registry name it was built under: every way a model can reach a classifier (by name, through
/// Options.Model, registered by the user, imported) saves a checkpoint that loads, or SaveCheckpoint refuses with the reason.
/// </summary>
public class ModelIdentityTests
{
    private static readonly MLContext Ml = new(seed: 1);

    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    private static readonly IDataView Data = Pipelines.Keyed(Ml, Shapes.Generate(48, seed: 61));


    private static string RegisterTinyNet()
    {
        var name = $"tiny_{Guid.NewGuid():N}";
        CnnZoo.Register(name, (classes, channels) => new TinyNet("TinyNet", classes, channels));
        return name;
    }

    // A classifier over a model as it is, without training: what SaveCheckpoint sees is the model's identity alone.
    private static CnnClassifierTransformer Untrained(CnnModel model, int imageSize = 32) => new(new ClassifierCheckpoint.Contents(
        model, CnnPreprocessing.ForImages(model, imageSize), "Image", ClassifierOutputs.ForLabelValues("Score", "PredictedLabel", ["a", "b", "c", "d"]),
        16, false, []), CnnInferenceEngine.Auto);

    private static void RoundTripScoresTheSame(CnnClassifierTransformer classifier, TempFolder folder)
    {
        var file = folder.File("classifier.mlnetcnn");
        classifier.SaveCheckpoint(file);
        using var loaded = Ml.Cnn().LoadClassifier(file, device: "cpu");

        loaded.Model.GetType().Should().Be(classifier.Model.GetType());
        loaded.Model.Architecture.Should().Be(classifier.Model.Architecture);
        var before = Ml.Data.CreateEnumerable<Scores>(classifier.Transform(Data), false).ToList();
        var after = Ml.Data.CreateEnumerable<Scores>(loaded.Transform(Data), false).ToList();
        before.Should().HaveCount(48);
        for (var i = 0; i < before.Count; i++)
            after[i].Score.Should().Equal(before[i].Score, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Create_StampsTheRegistryName_WhateverTheClassCallsItself()
    {
        var name = RegisterTinyNet();

        using var model = CnnZoo.Create(name, 4, 3);

        model.Architecture.Should().Be(name);
    }

    [Fact]
    public void UserRegisteredArchitecture_TrainedByName_SavesAndLoads_ScoringThroughTorchSharp()
    {
        using var folder = new TempFolder();
        var options = Pipelines.FastOptions(epochs: 1, architecture: RegisterTinyNet());
        using var trained = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        trained.Runner.Should().BeOfType<TorchSharpRunner>("a model class without ONNX export scores through TorchSharp under Auto");
        RoundTripScoresTheSame(trained, folder);
    }

    [Fact]
    public void ModelGivenThroughOptions_SavesAndLoads()
    {
        using var folder = new TempFolder();
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Model = options.Model with { Instance = CnnZoo.Create("plain20", numClasses: 10) } };   // head reset to the data's 4 classes
        using var trained = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        trained.Model.NumClasses.Should().Be(4);
        RoundTripScoresTheSame(trained, folder);
    }

    [Fact]
    public void ImportedDnnFeaturizerResNet18_SavesAndLoads()
    {
        using var folder = new TempFolder();
        using var classifier = Untrained(DnnFeaturizerResNet18.Import(numClasses: 4), imageSize: 224);

        RoundTripScoresTheSame(classifier, folder);
    }

    [Fact]
    public void UnregisteredModelClass_SaveCheckpointRefusesWithTheReason_AndWritesNothing()
    {
        using var folder = new TempFolder();
        using var classifier = Untrained(new TinyNet("tiny_never_registered", 4, 3));

        FluentActions.Invoking(() => classifier.SaveCheckpoint(folder.File("classifier.mlnetcnn")))
            .Should().Throw<NotSupportedException>().WithMessage("*'tiny_never_registered'*not registered*CnnZoo.Register*");
        Directory.GetFileSystemEntries(folder.Path).Should().BeEmpty();
    }

    [Fact]
    public void ModelClassUnderAnotherClassesName_SaveCheckpointRefuses()
    {
        using var folder = new TempFolder();
        using var classifier = Untrained(new TinyNet("resnet20", 4, 3));

        FluentActions.Invoking(() => classifier.SaveCheckpoint(folder.File("classifier.mlnetcnn")))
            .Should().Throw<NotSupportedException>().WithMessage("*'resnet20' builds a CifarResNet*TinyNet*");
    }

    [Fact]
    public void LoadClassifier_OfAnArchitectureNotRegistered_SaysToRegisterIt()
    {
        using var folder = new TempFolder();
        var file = folder.File("classifier.mlnetcnn");
        using (var classifier = Untrained(CnnZoo.Create(RegisterTinyNet(), 4, 3)))
            classifier.SaveCheckpoint(file);
        using (var zip = ZipFile.Open(file, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("classifier.json")!;
            JsonNode config;
            using (var read = entry.Open())
                config = JsonNode.Parse(read)!;
            config["Architecture"] = "someone_elses_net";
            entry.Delete();
            using var write = zip.CreateEntry("classifier.json").Open();
            using var writer = new System.Text.Json.Utf8JsonWriter(write);
            config.WriteTo(writer);
        }

        FluentActions.Invoking(() => Ml.Cnn().LoadClassifier(file))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"*{file}*architecture 'someone_elses_net' is not registered; register it with CnnZoo.Register before loading*");
    }

    [Fact]
    public void ResNetVariant_SavesAndLoads_AsTheSameVariant()
    {
        using var folder = new TempFolder();
        var arguments = new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 };
        using var classifier = Untrained(CnnZoo.Create("resnet20", 4, 3, arguments: arguments));

        RoundTripScoresTheSame(classifier, folder);
        using var loaded = Ml.Cnn().LoadClassifier(SavedCheckpoint(classifier, folder), device: "cpu");
        loaded.Model.Arguments.Should().Be(arguments);
        loaded.Model.NumFeatures.Should().Be(32, "the half-width net's last stage has 32 channels, the default's 64");
    }

    [Fact]
    public void VggVariant_SavesAndLoads_AsTheSameVariant()
    {
        using var folder = new TempFolder();
        var arguments = new VggArguments { WidthMultiplier = 0.125, HiddenUnits = 32, Dropout = 0.3 };
        using var classifier = Untrained(CnnZoo.Create("vgg11_bn", 4, 3, arguments: arguments));

        RoundTripScoresTheSame(classifier, folder);
        using var loaded = Ml.Cnn().LoadClassifier(SavedCheckpoint(classifier, folder), device: "cpu");
        loaded.Model.Arguments.Should().Be(arguments);
    }

    private sealed record TinyWidth
    {
        public int Filters { get; init; } = 8;
    }

    [Fact]
    public void UserRegisteredFamily_TrainedAsAVariant_SavesAndLoadsThatVariant()
    {
        using var folder = new TempFolder();
        var name = $"tinywide_{Guid.NewGuid():N}";
        CnnZoo.Register(name, new TinyWidth(), (classes, channels, width) => new TinyNet("TinyWideNet", classes, channels, width.Filters));
        var options = Pipelines.FastOptions(epochs: 1, architecture: name);
        options = options with { Model = options.Model with { Arguments = new TinyWidth { Filters = 5 } } };
        using var trained = Ml.MulticlassClassification.Trainers.Cnn(options).Fit(Data);

        trained.Model.NumFeatures.Should().Be(5);
        RoundTripScoresTheSame(trained, folder);
        using var loaded = Ml.Cnn().LoadClassifier(SavedCheckpoint(trained, folder), device: "cpu");
        loaded.Model.Arguments.Should().Be(new TinyWidth { Filters = 5 });
    }

    [Fact]
    public void TrainingCheckpointOfAVariant_ResumesThatVariant_AndRefusesAnother()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("run.ckpt");
        var arguments = new CifarResNetArguments { BlocksPerStage = 1, WidthMultiplier = 0.5 };
        var first = Pipelines.FastOptions(epochs: 1);
        first = first with
        {
            Model = first.Model with { Arguments = arguments },
            Checkpoint = first.Checkpoint with { Path = checkpoint },
        };
        using (Ml.MulticlassClassification.Trainers.Cnn(first).Fit(Data)) { }

        var resume = Pipelines.FastOptions(epochs: 2);
        resume = resume with { Checkpoint = resume.Checkpoint with { ResumeFrom = checkpoint } };
        using var resumed = Ml.MulticlassClassification.Trainers.Cnn(resume).Fit(Data);

        resumed.Model.Arguments.Should().Be(arguments, "the checkpoint's variant is rebuilt even though the options name none");
        resumed.History.Should().HaveCount(2);
        var other = Pipelines.FastOptions(epochs: 2);
        other = other with
        {
            Checkpoint = other.Checkpoint with { ResumeFrom = checkpoint },
            Model = other.Model with { Arguments = new CifarResNetArguments { BlocksPerStage = 2 } },
        };
        FluentActions.Invoking(() => Ml.MulticlassClassification.Trainers.Cnn(other).Fit(Data))
            .Should().Throw<ArgumentException>().WithMessage("*holds resnet20 with arguments*BlocksPerStage*:1*asks for*:2*");
    }

    [Fact]
    public void ArchitectureArgumentsOfAnotherFamily_AreRefusedByTheOptions()
    {
        var options = Pipelines.FastOptions(epochs: 1);
        options = options with { Model = options.Model with { Arguments = new ResNetArguments { Blocks = [1, 1, 1, 1] } } };

        FluentActions.Invoking(() => Ml.MulticlassClassification.Trainers.Cnn(options))
            .Should().Throw<ArgumentException>().WithMessage("*Model.Arguments: 'resnet20' takes CifarResNetArguments; got ResNetArguments*");
    }

    private static string SavedCheckpoint(CnnClassifierTransformer classifier, TempFolder folder)
    {
        var file = folder.File($"{Guid.NewGuid():N}.mlnetcnn");
        classifier.SaveCheckpoint(file);
        return file;
    }
}
