using System.Globalization;
using System.Text.Json;
using FluentAssertions;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary>summary, compare and featurize, against the lecture's and torchvision's numbers or against the data they were given.</summary>
public class CommandTests(TrainedModel trained) : IClassFixture<TrainedModel>
{
    [Fact]
    public void Summary_PrintsTheLecturesAlexNetConv1_AndTorchvisionsResNet152Total()
    {
        var alexnet = Tool.Run("summary", "--arch", "alexnet_2012", "--size", "227");
        alexnet.ExitCode.Should().Be(0, alexnet.ToString());
        var conv1 = alexnet.Output.Split('\n').First(line => line.Contains("Conv2d", StringComparison.Ordinal));
        conv1.Should().Contain("96x55x55").And.Contain("34,944", "the lecture's conv1: 96 filters of 11x11x3 (+ biases), 35K parameters, 55x55 output");

        var resnet = Tool.Run("summary", "--arch", "resnet152");
        var total = resnet.Output.Split('\n').Single(line => line.Contains("total", StringComparison.Ordinal));
        total.Should().Contain("60,192,808", "torchvision's resnet152 has 60,192,808 parameters");
    }

    [Fact]
    public void Compare_RanksTheArchitectures_AndWritesLeaderboardAndChart()
    {
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "compare");
        var result = Tool.Run("compare", "--images", trained.Images.Path, "--arch", "resnet20,plain20,alexnet", "--size", "32", "--epochs", "1",
            "--batch-size", "16", "--out", output);

        result.ExitCode.Should().Be(0, result.ToString());
        using var leaderboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "leaderboard.json")));
        var runs = leaderboard.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("architecture").GetString()!);
        runs.Keys.Should().BeEquivalentTo("resnet20", "plain20", "alexnet");
        runs["resnet20"].GetProperty("accuracy").GetDouble().Should().BeInRange(0, 1);
        runs["alexnet"].GetProperty("error").GetString().Should().Contain("at least 63x63", "alexnet cannot take 32x32 images, and says so");
        new FileInfo(Path.Combine(output, "complexity.png")).Length.Should().BeGreaterThan(1000);
        File.ReadAllText(Path.Combine(output, "report.html")).Should().Contain("<table class=\"leaderboard\">").And.Contain("alexnet failed");
        result.Output.Should().Contain("rank").And.Contain("best: ");
    }

    [Fact]
    public void Featurize_WritesOneRowPerImage_WithTheModelsFeatureWidth_AndTheClassFolder()
    {
        using var outputs = new TempFolder();
        var csv = Path.Combine(outputs.Path, "features.csv");
        var result = Tool.Run("featurize", "--images", trained.Images.Path, "--model", trained.Folder, "--out", csv);

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = File.ReadAllLines(csv);
        lines[0].Split(',').Should().HaveCount(2 + 64, "resnet20's pre-logits features are 64 wide");
        var rows = lines.Skip(1).Select(line => line.Split(',')).ToList();
        rows.Select(r => (r[0], r[1])).Should().Equal(trained.Images.Images.Select(i => (i.File, i.Label)));
        var values = rows.SelectMany(r => r.Skip(2)).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToList();
        values.Should().OnlyContain(v => float.IsFinite(v) && v >= 0, "features after the final ReLU and pooling are finite and non-negative");
        values.Distinct().Count().Should().BeGreaterThan(100, "the images differ, so do their features");
    }

    [Fact]
    public void Train_WithWeights_FineTunesThePretrainedNetwork()
    {
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "tuned");
        var result = Tool.Run("train", "--images", trained.Images.Path, "--arch", "resnet18_cntk", "--weights", "IMAGENET1K_CNTK", "--size", "32",
            "--epochs", "2", "--batch-size", "16", "--out", output);

        result.ExitCode.Should().Be(0, result.ToString());
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        metrics.RootElement.GetProperty("architecture").GetString().Should().Be("resnet18_cntk");
        var summary = Tool.Run("summary", "--arch", "resnet50");
        summary.Output.Should().Contain("pretrained weights (--weights): IMAGENET1K_V1 (ImageNet top-1 76.13%); IMAGENET1K_V2 (ImageNet top-1 80.858%)");
    }

    [Fact]
    public void Featurize_WithoutAModel_UsesTheOfflineImageNetResNet18()
    {
        using var images = new ShapeFolder(perClass: 1, seed: 8, classes: ["a", "b"]);
        using var outputs = new TempFolder();
        var csv = Path.Combine(outputs.Path, "features.csv");
        var result = Tool.Run("featurize", "--images", images.Path, "--out", csv);

        result.ExitCode.Should().Be(0, result.ToString());
        File.ReadAllLines(csv).Should().HaveCount(3);
        File.ReadAllLines(csv)[0].Split(',').Should().HaveCount(2 + 512, "ResNet-18's features are 512 wide");
    }
}
