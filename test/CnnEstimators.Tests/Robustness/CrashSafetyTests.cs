using System.Diagnostics;
using FluentAssertions;
using MLNetCnn.Tests.Support;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Tests.Robustness;

/// <summary>
/// Training killed with SIGKILL at any moment, a checkpoint write included, resumes from what is on disk to the same
/// weights as an uninterrupted run (CPU, one thread), and leaves no temporary file behind.
/// </summary>
public class CrashSafetyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Epochs = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void KilledTraining_ResumesToTheUninterruptedWeights_WithoutTemporaryFiles()
    {
        using var reference = new TempFolder();
        var uninterrupted = Stopwatch.StartNew();
        ChildProcess.Run(Timeout, "train", reference.Path, $"{Epochs}").ExitCode.Should().Be(0);
        var duration = uninterrupted.Elapsed;
        var expected = Weights(reference);
        var random = new Random(11);

        // Once while a checkpoint is being written (its temporary file is there), then at random moments.
        var kills = new List<string>();
        foreach (var duringWrite in new[] { true, false, false })
        {
            using var folder = new TempFolder();
            kills.Add(KillOnce(folder.Path, duringWrite, duration * (0.2 + 0.7 * random.NextDouble())));
            output.WriteLine(kills[^1]);
            kills[^1].Should().StartWith("killed", "a run that finished before its kill would test nothing");
            var resumed = ChildProcess.Run(Timeout, "train", folder.Path, $"{Epochs}", "resume");
            resumed.ExitCode.Should().Be(0, resumed.Output);

            var weights = Weights(folder);
            foreach (var (key, value) in expected)
                weights[key].Should().Equal(value, $"'{key}' after the kill ({kills[^1]}) and the resume must equal the uninterrupted run's");
            Directory.GetFiles(folder.Path, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".tmp")).Should().BeEmpty();
        }
    }

    // Starts a run and kills it: when a checkpoint's temporary file appears, or after the delay (a moment within a run's length).
    private static string KillOnce(string folder, bool duringWrite, TimeSpan delay)
    {
        using var process = Process.Start(ChildProcess.StartInfo("train", folder, $"{Epochs}"))!;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < Timeout)
        {
            var writing = Directory.EnumerateFiles(folder, ".run.checkpoint.*.tmp").Any();
            if (duringWrite ? writing : clock.Elapsed >= delay)
            {
                process.Kill();   // SIGKILL: no finally block runs in the child
                process.WaitForExit();
                return $"killed at {clock.Elapsed.TotalSeconds:F2} s{(writing ? " while writing a checkpoint" : "")}";
            }
            Thread.Sleep(duringWrite ? 0 : 5);
        }
        return "finished before the kill";
    }

    private static Dictionary<string, float[]> Weights(TempFolder folder)
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 4);
        model.LoadWeights(folder.File("final.safetensors"));
        return model.state_dict().Where(kv => kv.Value.dtype == ScalarType.Float32)
            .ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
    }
}
