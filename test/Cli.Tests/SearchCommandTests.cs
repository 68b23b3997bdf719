using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FluentAssertions;
using MLNetCnn.Cli.Tests.Support;

namespace MLNetCnn.Cli.Tests;

/// <summary><c>mlnetcnn search</c>: outputs as <c>train</c> writes them plus the trials and the front; resumable; shared by workers.</summary>
[Collection(ProcessCollection.Name)]
public class SearchCommandTests
{
    // The search's command line: these defaults, unless `more` gives the option itself.
    private static string[] Search(string images, string output, params string[] more)
    {
        string[][] defaults = [["--time-budget", "240"], ["--max-epochs", "3"], ["--seed", "3"]];
        return ["search", "--images", images, "--out", output, .. defaults.Where(d => !more.Contains(d[0])).SelectMany(d => d), .. more];
    }

    // What must be the same between two runs of one search: each trial's configuration and how far it got.
    private static List<string> TrialOutcomes(string output)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "trials.json")));
        return json.RootElement.EnumerateArray().Select(t => string.Join(" | ", t.GetProperty("number").GetInt32(), t.GetProperty("status").GetString(),
            t.GetProperty("epochs").GetDouble().ToString(CultureInfo.InvariantCulture), t.GetProperty("validationAccuracy").ToString(),
            t.GetProperty("options").ToString())).ToList();
    }

    [Fact]
    public void Search_WritesWhatTrainWrites_EveryTrial_AndTheFront()
    {
        using var images = new ShapeFolder(perClass: 40, seed: 51);
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "best");

        var search = Tool.Run(Search(images.Path, output, "--max-trials", "4"));

        search.ExitCode.Should().Be(0, search.ToString());
        Directory.GetFiles(output).Select(Path.GetFileName).Should().Contain(["model.zip", "classifier.mlnetcnn", "metrics.json", "trials.json", "front.json", "front.png", "report.html"]);
        using var trials = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "trials.json")));
        trials.RootElement.GetArrayLength().Should().Be(4);
        foreach (var t in trials.RootElement.EnumerateArray())
        {
            foreach (var field in new[] { "architecture", "imageSize", "status", "epochs", "validationAccuracy", "latencyMs", "parameters", "trainSeconds", "options" })
                t.TryGetProperty(field, out _).Should().BeTrue($"trials.json has '{field}'");
            t.GetProperty("latencyMs").GetDouble().Should().BePositive("every trial that trained was measured");
            CnnTrainerOptions.FromJson(t.GetProperty("options").GetRawText()).Schedule.Epochs.Should().Be(3);
        }
        using var front = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "front.json")));
        front.RootElement.GetArrayLength().Should().BeInRange(1, 4);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var bestAccuracy = trials.RootElement.EnumerateArray().Max(t => t.GetProperty("validationAccuracy").GetDouble());
        metrics.RootElement.GetProperty("microAccuracy").GetDouble().Should().BeApproximately(bestAccuracy, 1.5 / 24, "metrics.json evaluates the best trial's model");
        File.ReadAllText(Path.Combine(output, "report.html")).Should().Contain("Front").And.Contain("Every trial");
        Directory.Exists(output + ".partial").Should().BeFalse();

        var evaluation = Tool.Run("evaluate", "--model", output, "--images", images.Path, "--json");
        evaluation.ExitCode.Should().Be(0, evaluation.ToString());
        var prediction = Tool.Run("predict", "--model", output, images.Path);
        prediction.ExitCode.Should().Be(0, prediction.ToString());
    }

    [Fact]
    public async Task Search_Killed_ResumeContinues_AndEndsAsAnUninterruptedSearch()
    {
        using var images = new ShapeFolder(perClass: 30, seed: 52);
        using var outputs = new TempFolder();
        var whole = Path.Combine(outputs.Path, "whole");
        var resumed = Path.Combine(outputs.Path, "resumed");
        string[] more = ["--max-trials", "5", "--threads", "2"];

        var uninterrupted = Tool.RunProcess(null, Search(images.Path, whole, more));
        uninterrupted.ExitCode.Should().Be(0, uninterrupted.ToString());

        using (var process = Tool.Start(Search(images.Path, resumed, more)))
        {
            var firstTrial = new TaskCompletionSource();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("  #", StringComparison.Ordinal) == true)
                    firstTrial.TrySetResult();
            };
            var error = process.StandardError.ReadToEndAsync();
            process.BeginOutputReadLine();
            await firstTrial.Task.WaitAsync(TimeSpan.FromMinutes(3));
            process.Kill();   // SIGKILL: no handler runs, whatever job was under way is left half done
            await process.WaitForExitAsync();
            await error;
        }
        Directory.Exists(resumed).Should().BeFalse("a killed search publishes nothing");
        var results = Path.Combine(resumed + ".partial", "search", "results");
        var finishedBefore = Directory.GetFiles(results).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        finishedBefore.Should().NotBeEmpty();

        var another = Tool.Run(Search(images.Path, resumed, [.. more, "--resume", "--max-epochs", "4"]));
        another.ExitCode.Should().Be(ExitCode.UserError, another.ToString());
        another.Error.Should().Contain("holds another search");
        Directory.GetFiles(results).Should().HaveCount(finishedBefore.Count, "a refused resume leaves the search as it was");

        var continued = Tool.RunProcess(null, Search(images.Path, resumed, [.. more, "--resume"]));

        continued.ExitCode.Should().Be(0, continued.ToString());
        foreach (var (file, written) in finishedBefore)
            File.GetLastWriteTimeUtc(Path.Combine(resumed, "search", "results", Path.GetFileName(file))).Should().Be(written, "a finished job is not run again");
        TrialOutcomes(resumed).Should().Equal(TrialOutcomes(whole));
    }

    [Fact]
    public async Task TwoWorkers_ShareOneSearchFolder_RunNoTrialTwice_AndFindTheTrialsOfOne()
    {
        using var images = new ShapeFolder(perClass: 30, seed: 53);
        using var outputs = new TempFolder();
        var alone = Path.Combine(outputs.Path, "alone");
        var shared = Path.Combine(outputs.Path, "shared");
        string[] more = ["--strategy", "random", "--max-trials", "6", "--threads", "1"];

        var one = Tool.RunProcess(null, Search(images.Path, alone, more));
        one.ExitCode.Should().Be(0, one.ToString());

        using var main = Tool.Start(Search(images.Path, shared, more));
        var mainOutput = main.StandardOutput.ReadToEndAsync();
        var mainError = main.StandardError.ReadToEndAsync();
        var searchFile = Path.Combine(shared + ".partial", "search", "search.json");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(searchFile) && clock.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(100);
        var worker = Tool.RunProcess(null, Search(images.Path, shared, [.. more, "--worker"]));
        await main.WaitForExitAsync();

        worker.ExitCode.Should().Be(0, worker.ToString());
        main.ExitCode.Should().Be(0, await mainOutput + await mainError);
        var jobs = Directory.GetFiles(Path.Combine(shared, "search", "jobs"))
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToList();
        jobs.Select(j => j.GetProperty("Trial").GetInt32()).Should().OnlyHaveUniqueItems("no trial runs twice").And.HaveCount(6);
        jobs.Select(j => j.GetProperty("Worker").GetString()).Distinct().Should().HaveCount(2, "both processes ran trials");
        TrialOutcomes(shared).Should().Equal(TrialOutcomes(alone));
        // The front also weighs latency, a measurement: with two workers on one machine it is taken while the other trains, so the
        // front is checked against its own definition over the measured trials rather than against the lone worker's timings.
        using var trials = JsonDocument.Parse(File.ReadAllText(Path.Combine(shared, "trials.json")));
        var measured = trials.RootElement.EnumerateArray()
            .Select(t => (Number: t.GetProperty("number").GetInt32(), Accuracy: t.GetProperty("validationAccuracy").GetDouble(), Latency: t.GetProperty("latencyMs").GetDouble())).ToList();
        var nonDominated = measured.Where(t => !measured.Any(u => u.Accuracy >= t.Accuracy && u.Latency <= t.Latency && (u.Accuracy > t.Accuracy || u.Latency < t.Latency)))
            .OrderBy(t => t.Latency).Select(t => t.Number);
        using var front = JsonDocument.Parse(File.ReadAllText(Path.Combine(shared, "front.json")));
        front.RootElement.EnumerateArray().Select(t => t.GetProperty("number").GetInt32()).Should().Equal(nonDominated);
    }

    [Fact]
    public void Search_BadInput_IsRefusedWithTheReason_AndLeavesNothing()
    {
        using var images = new ShapeFolder(perClass: 8, seed: 54);
        using var oneClass = new ShapeFolder(perClass: 8, seed: 55, classes: ["bar"]);
        using var outputs = new TempFolder();
        var output = Path.Combine(outputs.Path, "out");

        var single = Tool.Run(Search(oneClass.Path, output));
        single.ExitCode.Should().Be(ExitCode.UserError, single.ToString());
        single.Error.Should().Contain("class");
        Directory.Exists(output).Should().BeFalse();
        Directory.Exists(output + ".partial").Should().BeFalse("nothing half-written");

        Tool.Run(Search(images.Path, output, "--time-budget", "0")).Error.Should().Contain("--time-budget must be more than 0");
        Tool.Run(Search(images.Path, output, "--strategy", "grid")).ExitCode.Should().Be(ExitCode.UserError);
        Tool.Run(Search(images.Path, output, "--resume")).Error.Should().Contain("no interrupted run to resume");
        Tool.Run(Search(images.Path, output, "--worker")).Error.Should().Contain("no search is running");
        Directory.CreateDirectory(output);
        Tool.Run(Search(images.Path, output)).Error.Should().Contain("exists; pass --force");
        var tooSmall = Tool.Run(Search(images.Path, output, "--force", "--max-parameters", "100"));
        tooSmall.ExitCode.Should().Be(ExitCode.UserError, tooSmall.ToString());
        tooSmall.Error.Should().Contain("No candidate of the search space meets SetMaxParameters (100)");
    }
}
