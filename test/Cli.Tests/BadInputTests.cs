using FluentAssertions;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary>Input the user can fix gives exit code 1 and a message naming the option, file or folder; nothing is written.</summary>
public class BadInputTests(TrainedModel trained) : IClassFixture<TrainedModel>
{
    public static TheoryData<string[], string> BadArguments => new()
    {
        { ["train", "--images", "/no/such/folder", "--out", "OUT"], "--images: folder '/no/such/folder' does not exist" },
        { ["train", "--images", "IMAGES"], "Option '--out' is required" },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--epochs", "0"], "--epochs must be at least 1" },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--arch", "lenet"], "--arch: unknown architecture(s) 'lenet'" },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--lr", "-1"], "--lr must be between" },
        { ["train", "--out", "OUT"], "Give the images: --images ROOT" },
        { ["train", "--images", "IMAGES", "--out", "/no/such/parent/out"], "--out: the folder '/no/such/parent' that would hold 'out' does not exist" },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--resume"], "--resume: no interrupted run to resume" },
        { ["predict", "--model", "MODEL", "/no/such/image.png"], "paths: '/no/such/image.png' does not exist" },
        { ["predict", "--model", "MODEL", "IMAGES", "--format", "xml"], "--format" },
        { ["predict", "--model", "IMAGES", "IMAGES"], "holds no classifier.mlnetcnn" },
        { ["evaluate", "--model", "/no/such/model", "--images", "IMAGES"], "--model: folder '/no/such/model' does not exist" },
        { ["summary", "--arch", "alexnet", "--size", "32"], "--size: alexnet needs at least 63x63 pixels (got 32)" },
        { ["featurize", "--images", "IMAGES"], "Option '--out' is required" },
        { ["nonsense"], "Unrecognized command or argument 'nonsense'" },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--weights", "IMAGENET1K_V1"], "resnet20 has no weights 'IMAGENET1K_V1'. No weights are known for resnet20." },
        { ["train", "--images", "IMAGES", "--out", "OUT", "--weights", "IMAGENET1K_CNTK", "--arch", "resnet18_cntk", "--epochs", "2", "--freeze-epochs", "2"], "FineTuning.FreezeEpochs (2) must be less than Schedule.Epochs (2)" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArguments_ExitWithOne_AndAMessageNamingWhatIsWrong(string[] args, string message)
    {
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "out");
        var resolved = args.Select(a => a switch { "IMAGES" => trained.Images.Path, "MODEL" => trained.Folder, "OUT" => output, _ => a }).ToArray();

        var result = Tool.Run(resolved);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(message);
        Directory.Exists(output).Should().BeFalse();
        Directory.Exists(output + ".partial").Should().BeFalse("a refused command leaves nothing half-written");
    }

    [Fact]
    public void OneClass_EmptyClass_ExistingOutput_AreRefusedWithTheReason()
    {
        using var one = new ShapeFolder(perClass: 3, seed: 1, classes: ["square"]);
        using var outputs = new TempFolder();
        Tool.Run("train", "--images", one.Path, "--out", Path.Combine(outputs.Path, "a")).Error.Should().Contain("one class folder ('square')");

        using var empty = new ShapeFolder(perClass: 3, seed: 1);
        Directory.CreateDirectory(Path.Combine(empty.Path, "triangle"));
        var result = Tool.Run("train", "--images", empty.Path, "--out", Path.Combine(outputs.Path, "b"));
        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("'triangle'").And.Contain("hold no images");

        var existing = Directory.CreateDirectory(Path.Combine(outputs.Path, "c")).FullName;
        File.WriteAllText(Path.Combine(existing, "keep.txt"), "mine");
        Tool.Run("train", "--images", empty.Path, "--out", existing).Error.Should().Contain("exists; pass --force");
        File.ReadAllText(Path.Combine(existing, "keep.txt")).Should().Be("mine");

        var export = Path.Combine(outputs.Path, "model.onnx");
        File.WriteAllText(export, "mine");
        Tool.Run("export", "--model", trained.Folder, "--out", export).Error.Should().Contain("exists; pass --force");
        File.ReadAllText(export).Should().Be("mine");
        Tool.Run("export", "--model", trained.Folder, "--out", export, "--force").ExitCode.Should().Be(0);
        new FileInfo(export).Length.Should().BeGreaterThan(10_000);
    }

    [Fact]
    public void AModelFileThatIsNotOurs_IsRefusedNamingIt()
    {
        using var outputs = new TempFolder();
        var fake = Directory.CreateDirectory(Path.Combine(outputs.Path, "fake")).FullName;
        File.WriteAllText(Path.Combine(fake, "classifier.mlnetcnn"), "this is not a checkpoint");

        var result = Tool.Run("predict", "--model", fake, trained.Images.Path);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(Path.Combine(fake, "classifier.mlnetcnn"));
        result.Output.Should().BeEmpty();
    }

    [Fact]
    public void ClassesTheModelDoesNotKnow_AreNamedByEvaluate()
    {
        using var other = new ShapeFolder(perClass: 2, seed: 5, classes: ["square", "star"]);
        var result = Tool.Run("evaluate", "--model", trained.Folder, "--images", other.Path);
        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("classes the model does not know: star");
    }

    [Fact]
    public void UnreadableImage_StopsNamingItsFile_OrIsSkippedWithACount()
    {
        using var images = new ShapeFolder(perClass: 6, seed: 3);
        var broken = Path.Combine(images.Path, "ring", "broken.png");
        File.WriteAllBytes(broken, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        using var outputs = new TempFolder();

        var refused = Tool.Run("evaluate", "--model", trained.Folder, "--images", images.Path);
        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().Contain("broken.png");

        var skipped = Tool.Run("evaluate", "--model", trained.Folder, "--images", images.Path, "--skip-unreadable", "--json");
        skipped.ExitCode.Should().Be(0, skipped.ToString());
        skipped.Error.Should().Contain("skipped 1 unreadable image(s) of 19");

        var training = Tool.Run("train", "--images", images.Path, "--size", "32", "--epochs", "1", "--out", Path.Combine(outputs.Path, "t"));
        training.ExitCode.Should().Be(1, training.ToString());
        training.Error.Should().Contain("broken.png");
        Directory.Exists(Path.Combine(outputs.Path, "t.partial")).Should().BeFalse();

        var trainingSkipping = Tool.Run("train", "--images", images.Path, "--size", "32", "--epochs", "1", "--skip-unreadable", "--out", Path.Combine(outputs.Path, "t"));
        trainingSkipping.ExitCode.Should().Be(0, trainingSkipping.ToString());
        trainingSkipping.Error.Should().Contain("unreadable image were skipped");
    }
}
