using System.Diagnostics;
using FluentAssertions;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary>The tool as a process: exit codes, plain progress lines when redirected, Ctrl+C and --resume.</summary>
[Collection(ProcessCollection.Name)]
public class ProcessTests
{
    [Fact]
    public void BadOption_ExitsWithOne_NamingIt()
    {
        var result = Tool.RunProcess(null, "train", "--images", "/tmp", "--out", "/tmp/x", "--batch-size", "0");
        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("--batch-size must be at least 1");
    }

    [Fact]
    public async Task CtrlC_StopsWithinABatch_KeepsTheCheckpoint_AndResumeFinishes()
    {
        using var images = new ShapeFolder(perClass: 60, seed: 21);
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "model");
        string[] train = ["train", "--images", images.Path, "--size", "32", "--epochs", "300", "--batch-size", "8", "--out", output];

        using (var process = Tool.Start(train))
        {
            var lines = new List<string>();
            var sawSecondEpoch = new TaskCompletionSource();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (lines) lines.Add(e.Data);
                if (e.Data.StartsWith("epoch 2/300 batch", StringComparison.Ordinal))
                    sawSecondEpoch.TrySetResult();
            };
            var error = process.StandardError.ReadToEndAsync();
            process.BeginOutputReadLine();
            // Training prints plain progress lines when its output is redirected; the second epoch's means a checkpoint exists.
            // The run is long (300 epochs) so that a test process busy with other tests, reading these lines late, still
            // interrupts it mid-run.
            await sawSecondEpoch.Task.WaitAsync(TimeSpan.FromMinutes(3));
            Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            process.WaitForExit(TimeSpan.FromSeconds(60)).Should().BeTrue("Ctrl+C stops training within a batch");

            process.ExitCode.Should().Be(ExitCode.Interrupted, await error);
            (await error).Should().Contain("--resume");
            lock (lines) lines.Should().NotContain(l => l.StartsWith("epoch 300/300:", StringComparison.Ordinal));
        }
        Directory.Exists(output).Should().BeFalse("an interrupted run publishes nothing");
        File.Exists(Path.Combine(output + ".partial", "training.ckpt")).Should().BeTrue("the last epoch's checkpoint is kept");

        var resumed = Tool.RunProcess(null, [.. train.Select(a => a == "300" ? "2" : a), "--resume"]);
        resumed.ExitCode.Should().Be(0, resumed.ToString());
        Directory.GetFiles(output).Select(Path.GetFileName).Should().Contain(["model.zip", "classifier.mlnetcnn", "metrics.json"]);
        Directory.Exists(output + ".partial").Should().BeFalse();
    }
}
