using System.Text.Json;
using FluentAssertions;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary>
/// The tool's defaults are the library's recipe for small data: given only the architecture and the size, <c>train</c> learns a
/// 360-image folder of shapes in random colours, sizes and places (the shape alone tells the classes apart), judged on a
/// held-out folder drawn alike. The tool's earlier recipe (SGD 0.05, batch 64) reached 72% on such a folder in 30 epochs.
/// </summary>
public class SmallFolderTests
{
    [Fact]
    public void Train_WithTheDefaults_LearnsASmallFolderOfRandomColourShapes()
    {
        using var train = new ShapeFolder(perClass: 120, seed: 41);
        using var test = new ShapeFolder(perClass: 40, seed: 42);
        var output = Path.Combine(train.Path + "-out", "model");
        Directory.CreateDirectory(train.Path + "-out");
        try
        {
            var training = Tool.Run("train", "--images", train.Path, "--arch", "resnet20", "--size", "32", "--epochs", "15", "--out", output);
            training.ExitCode.Should().Be(0, training.ToString());
            training.Output.Should().Contain("batch 32, AdamW at 0.002", "the defaults are the library's recipe");

            var evaluation = Tool.Run("evaluate", "--model", output, "--images", test.Path, "--json");
            evaluation.ExitCode.Should().Be(0, evaluation.ToString());
            using var json = JsonDocument.Parse(evaluation.Output);
            json.RootElement.GetProperty("microAccuracy").GetDouble().Should().BeGreaterThanOrEqualTo(0.9, "the held-out shapes must be learnt, not guessed");
        }
        finally
        {
            if (Directory.Exists(train.Path + "-out"))
                Directory.Delete(train.Path + "-out", recursive: true);
        }
    }
}
