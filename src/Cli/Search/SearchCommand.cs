using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNetCnn.Charts;

namespace MLNetCnn.Cli.Search;

/// <summary>
/// <c>mlnetcnn search</c>: the architecture and hyperparameter search on the user's images under a time budget. Writes into
/// <c>--out</c> what <c>train</c> writes for the best model (so <c>evaluate</c> and <c>predict</c> work on it), every trial, the
/// accuracy-latency front and the report; the search's own folder (<c>search/</c>) stays beside them. <c>--worker</c> joins a running
/// search on the same <c>--out</c> to run its trials in a second process.
/// </summary>
internal static class SearchCommand
{
    public const string Trials = "trials.json";
    public const string Front = "front.json";
    public const string FrontChart = "front.png";
    public const string SearchFolderName = "search";

    public static Command Create(CliConsole console)
    {
        var source = new ImageSource();
        var budget = new Option<double>("--time-budget", "-t") { Description = "Wall time of the whole search in seconds (training, measuring, writing).", Required = true };
        var maxLatency = new Option<double?>("--max-latency-ms") { Description = "Most milliseconds one image may take to score (median through a PredictionEngine, measured here)." };
        var maxParameters = new Option<long?>("--max-parameters") { Description = "Most learnable parameters a network may have." };
        var strategy = new Option<string>("--strategy") { Description = "asha (successive halving: weak trials stop early) or random (every trial to the end).", DefaultValueFactory = _ => "asha" };
        strategy.AcceptOnlyFromAmong("asha", "random");
        var maxEpochs = new Option<int>("--max-epochs") { Description = "Epochs of a trial's whole schedule (the last rung).", DefaultValueFactory = _ => 9 };
        var maxTrials = new Option<int?>("--max-trials") { Description = "Draw at most this many trials; default: as many as the budget allows." };
        var seed = new Option<int>("--seed") { Description = "Seed of the split, the trials drawn and their training.", DefaultValueFactory = _ => 1 };
        var fraction = new Option<double>("--validation-fraction") { Description = "Fraction of --images held out to rank the trials.", DefaultValueFactory = _ => 0.2 };
        var engine = new Option<string>("--engine") { Description = "What the latency is measured on and the best model scores with: onnx (fp32) or int8.", DefaultValueFactory = _ => "onnx" };
        engine.AcceptOnlyFromAmong("onnx", "int8");
        var threads = new Option<int?>("--threads") { Description = "CPU threads per trial (default: all); two workers on one machine take half each." };
        var device = CliOptions.Device();
        var output = new Option<string>("--out", "-o") { Description = $"Output folder: model.zip, classifier.mlnetcnn, metrics.json, {Trials}, {Front}, {FrontChart}, report.html.", Required = true };
        var force = CliOptions.Force();
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted search with the same options and --out: finished trials are not trained again." };
        var worker = new Option<bool>("--worker") { Description = "Join the search running on --out (same options) and run its trials in this process too; writes no outputs." };
        CliOptions.RequirePositive(maxEpochs);
        CliOptions.RequirePositive(maxTrials);
        CliOptions.RequirePositive(threads);
        CliOptions.RequireBetween(fraction, 0, 1);
        budget.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() > 0))
                r.AddError($"--time-budget must be more than 0 seconds (got {r.GetValueOrDefault<double>()}).");
        });
        maxLatency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is <= 0)
                r.AddError($"--max-latency-ms must be more than 0 (got {r.GetValueOrDefault<double?>()}).");
        });
        maxParameters.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 1)
                r.AddError($"--max-parameters must be at least 1 (got {r.GetValueOrDefault<long?>()}).");
        });
        var command = new Command("search", "Search architectures, input sizes and recipes on a folder of images under a time budget; keep the best model, every trial and the accuracy-latency front.");
        source.AddTo(command);
        foreach (var option in new Option[] { budget, maxLatency, maxParameters, strategy, maxEpochs, maxTrials, seed, fraction, engine, threads, device, output, force, resume, worker })
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var run = new SearchRequest(parse.GetValue(budget), parse.GetValue(maxLatency), parse.GetValue(maxParameters), parse.GetValue(strategy)!, parse.GetValue(maxEpochs),
                parse.GetValue(maxTrials), parse.GetValue(seed), parse.GetValue(fraction), parse.GetValue(engine) == "int8", parse.GetValue(threads), parse.GetValue(device)!);
            if (parse.GetValue(worker))
                return Task.FromResult(Work(console, source, parse, run, parse.GetValue(output)!, cancellation));
            var folder = OutputFolder.Begin(parse.GetValue(output)!, parse.GetValue(force), parse.GetValue(resume));
            return Task.FromResult(Search(console, source, parse, run, folder, parse.GetValue(resume), cancellation));
        });
        return command;
    }

    private sealed record SearchRequest(double Budget, double? MaxLatencyMs, long? MaxParameters, string Strategy, int MaxEpochs, int? MaxTrials, int Seed,
        double ValidationFraction, bool Int8, int? Threads, string Device);

    private static int Search(CliConsole console, ImageSource source, ParseResult parse, SearchRequest r, OutputFolder folder, bool resume, CancellationToken cancellation)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var ml = new MLContext(seed: r.Seed);
            var data = TrainingData.Load(ml, source, parse, r.ValidationFraction, r.Seed);
            // The budget is the command's: reading the folder came out of it, and writing the outputs (about 3% of it) will.
            var experiment = Experiment(ml, data, r with { Budget = Math.Max(0.5, 0.97 * r.Budget - clock.Elapsed.TotalSeconds) }, Path.Combine(folder.Staging, SearchFolderName));
            var c = CultureInfo.InvariantCulture;
            var limits = (r.MaxLatencyMs is double l ? string.Create(c, $", latency at most {l:0.###} ms") : "") +
                         (r.MaxParameters is long p ? string.Create(c, $", at most {p:N0} parameters") : "");
            console.Out.WriteLine(string.Create(c, $"searching with {r.Strategy} on {data.TrainCount:N0} images (validation {data.ValidationCount:N0}) for {r.Budget:0.#} s{limits}"));
            using var result = experiment.Run(new TrialDisplay(console), cancellation);
            console.Out.WriteLine();
            console.Out.Write(result.ToString());
            var best = result.BestTrial;
            var metrics = ModelFolder.Write(ml, folder, data, result.Model, new Dictionary<string, object>
            {
                ["architecture"] = best.Architecture,
                ["imageSize"] = best.ImageSize,
                ["epochs"] = best.Epochs,
                ["trainImages"] = data.TrainCount,
                ["trainSeconds"] = Math.Round(best.TrainSeconds, 1),
                ["searchSeconds"] = Math.Round(result.Elapsed.TotalSeconds, 1),
                ["trials"] = result.Trials.Count,
                ["strategy"] = result.Strategy,
            });
            WriteTrials(folder.File(Trials), result.Trials, result.Front);
            WriteTrials(folder.File(Front), result.Front, result.Front);
            SearchFrontChart.Save(result, folder.File(FrontChart));
            CnnReport.Write(folder.File(ModelFolder.Report), result, new CnnReportOptions { Title = $"Search on {data.TrainCount:N0} images ({result.Strategy})" });
            // The trials' training states are only for continuing them; their classifiers and records stay.
            foreach (var state in Directory.EnumerateFiles(Path.Combine(folder.Staging, SearchFolderName), "*.ckpt", SearchOption.AllDirectories))
                File.Delete(state);
            folder.Publish();
            console.Out.WriteLine($"best: #{best.Number} {best.Candidate} at {best.ImageSize} px; validation:");
            metrics.Render(console.Ansi);
            console.Out.WriteLine($"wrote {folder.Target}: {ModelFolder.ModelZip}, {ModelFolder.Checkpoint}, {ModelFolder.Metrics}, {Trials}, {Front}, {FrontChart}, {ModelFolder.Report}, {SearchFolderName}/");
            return ExitCode.Success;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            console.Error.WriteLine($"mlnetcnn: search stopped; its trials are in '{folder.Staging}': run the same command with --resume to continue.");
            throw;
        }
        catch (InvalidOperationException e)
        {
            folder.Abandon();
            throw new CliUserException(e.Message);   // no trial within the budget and limits: the message says what was measured
        }
        catch when (!resume)
        {
            folder.Abandon();   // a search refused or failed from the start leaves nothing; one being resumed keeps its trials
            throw;
        }
    }

    private static int Work(CliConsole console, ImageSource source, ParseResult parse, SearchRequest r, string output, CancellationToken cancellation)
    {
        var searchFolder = Path.Combine(Path.GetFullPath(output.TrimEnd('/', '\\')) + ".partial", SearchFolderName);
        if (!File.Exists(Path.Combine(searchFolder, "search.json")))
            throw new CliUserException($"--worker: no search is running on '{output}' ('{searchFolder}' holds no search.json); start it without --worker first.");
        var ml = new MLContext(seed: r.Seed);
        var data = TrainingData.Load(ml, source, parse, r.ValidationFraction, r.Seed);
        console.Out.WriteLine($"worker joining the search in '{searchFolder}'");
        Experiment(ml, data, r, searchFolder).RunTrials(new TrialDisplay(console), cancellation);
        console.Out.WriteLine("worker done: the search has no trial left to run");
        return ExitCode.Success;
    }

    private static CnnSearchExperiment Experiment(MLContext ml, TrainingData data, SearchRequest r, string searchFolder)
    {
        var train = data.Train;
        var space = CnnSearchSpace.For(train);
        space = space with { Basis = space.Basis with { Runtime = space.Basis.Runtime with { Threads = r.Threads, Device = r.Device } } };
        var experiment = ml.Cnn().CreateSearch().SetDataset(train, data.Validation).SetSearchSpace(space).SetSeed(r.Seed)
            .SetStrategy(r.Strategy == "random" ? CnnSearchStrategy.Random(r.MaxEpochs) : CnnSearchStrategy.Asha(1, r.MaxEpochs, 3))
            .SetTimeBudget(TimeSpan.FromSeconds(r.Budget)).SetOutputFolder(searchFolder)
            .SetInferenceEngine(r.Int8 ? CnnInferenceEngine.OnnxRuntimeInt8 : CnnInferenceEngine.OnnxRuntime);
        if (r.MaxLatencyMs is double latency)
            experiment.SetMaxLatency(TimeSpan.FromMilliseconds(latency));
        if (r.MaxParameters is long parameters)
            experiment.SetMaxParameters(parameters);
        if (r.MaxTrials is int trials)
            experiment.SetMaxTrials(trials);
        return experiment;
    }

    private static void WriteTrials(string path, IEnumerable<CnnSearchTrial> trials, IReadOnlyList<CnnSearchTrial> front)
    {
        var rows = new JsonArray(trials.Select(t => (JsonNode)new JsonObject
        {
            ["number"] = t.Number,
            ["architecture"] = t.Architecture,
            ["network"] = t.Candidate,
            ["imageSize"] = t.ImageSize,
            ["status"] = t.Status.ToString(),
            ["reason"] = t.Reason,
            ["rung"] = t.Rung,
            ["epochs"] = Math.Round(t.Epochs, 3),
            ["validationAccuracy"] = t.ValidationAccuracy,
            ["validationMacroAccuracy"] = t.ValidationMacroAccuracy,
            ["validationLogLoss"] = t.ValidationLogLoss,
            ["latencyMs"] = t.LatencyMs is double l ? Math.Round(l, 4) : null,
            ["parameters"] = t.Parameters,
            ["macs"] = t.Macs,
            ["trainSeconds"] = Math.Round(t.TrainSeconds, 2),
            ["onFront"] = front.Contains(t),
            ["options"] = JsonNode.Parse(t.OptionsJson),
        }).ToArray());
        File.WriteAllText(path, rows.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
