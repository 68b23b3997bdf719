using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Search;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// An architecture and hyperparameter search under a hard time budget, in the manner of ML.NET AutoML's <c>AutoMLExperiment</c>: set the
/// data, the space (<see cref="CnnSearchSpace"/>, by default derived from the data), the strategy (<see cref="CnnSearchStrategy.Asha"/>
/// by default) and the limits, then <see cref="Run"/>. Trials that cannot meet <see cref="SetMaxParameters"/> or <see cref="SetMaxLatency"/>
/// are not trained to the end; every latency reported is measured on this machine through a <c>PredictionEngine</c> on the chosen engine.
/// With <see cref="SetOutputFolder"/> the search is resumable (run it again on the same folder and completed trials are not retrained) and
/// can be shared by several processes or machines, each running the same search on the same folder.
/// </summary>
public sealed class CnnSearchExperiment
{
    private readonly MLContext ml;
    private IDataView? train;
    private IDataView? validation;
    private double validationFraction;
    private CnnSearchSpace? space;
    private CnnSearchStrategy strategy = CnnSearchStrategy.Asha();
    private TimeSpan? budget;
    private int? maxTrials;
    private TimeSpan? maxLatency;
    private long? maxParameters;
    private CnnInferenceEngine engine = CnnInferenceEngine.OnnxRuntime;
    private int seed;
    private string? folder;
    private string labelColumn = "Label";
    private CnnSelectionMetric metric = CnnSelectionMetric.Accuracy;

    internal CnnSearchExperiment(MLContext ml) => this.ml = ml;

    // The setters change one setting and return the experiment, for chaining.
    private CnnSearchExperiment With(Action change)
    {
        change();
        return this;
    }

    /// <summary>Training rows (a key label and an image column, as the trainer takes them) and the validation rows every trial is ranked on.</summary>
    public CnnSearchExperiment SetDataset(IDataView trainData, IDataView validationData)
        => With(() => (train, validation, validationFraction) = (trainData ?? throw new ArgumentNullException(nameof(trainData)), validationData ?? throw new ArgumentNullException(nameof(validationData)), 0));

    /// <summary>Rows of which a seeded <paramref name="fraction"/> is held out once for validation, the same rows for every trial.</summary>
    public CnnSearchExperiment SetDataset(IDataView data, double fraction = 0.2)
        => With(() => (train, validation, validationFraction) = (data ?? throw new ArgumentNullException(nameof(data)), null, fraction));

    /// <summary>What trials are drawn from; default: <see cref="CnnSearchSpace.For(IDataView, string, string)"/> the data.</summary>
    public CnnSearchExperiment SetSearchSpace(CnnSearchSpace searchSpace)
        => With(() => space = searchSpace ?? throw new ArgumentNullException(nameof(searchSpace)));

    /// <summary>How the budget is spent; default: <see cref="CnnSearchStrategy.Asha"/>(1, 9, 3).</summary>
    public CnnSearchExperiment SetStrategy(CnnSearchStrategy searchStrategy)
        => With(() => strategy = searchStrategy ?? throw new ArgumentNullException(nameof(searchStrategy)));

    /// <summary>Wall time for the whole search (training, validation, latency measurement, loading the best model); required.</summary>
    public CnnSearchExperiment SetTimeBudget(TimeSpan timeBudget)
        => With(() => budget = timeBudget);

    /// <summary>Draw at most this many trials (the budget still applies); default: as many as the budget allows.</summary>
    public CnnSearchExperiment SetMaxTrials(int trials)
        => With(() => maxTrials = trials);

    /// <summary>The most a single image may take to score (median through a <c>PredictionEngine</c> on the search's engine).</summary>
    public CnnSearchExperiment SetMaxLatency(TimeSpan latency)
        => With(() => maxLatency = latency);

    /// <summary>The most learnable parameters a network may have.</summary>
    public CnnSearchExperiment SetMaxParameters(long parameters)
        => With(() => maxParameters = parameters);

    /// <summary>The engine latency is measured on and the best model scores with: <see cref="CnnInferenceEngine.OnnxRuntime"/> (default) or <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/>.</summary>
    public CnnSearchExperiment SetInferenceEngine(CnnInferenceEngine inferenceEngine)
        => With(() => engine = inferenceEngine);

    /// <summary>Seeds the trials' configurations, their training and the validation split: the same seed and budget draw the same trials.</summary>
    public CnnSearchExperiment SetSeed(int searchSeed)
        => With(() => seed = searchSeed);

    /// <summary>
    /// Where trials, jobs, results, checkpoints and classifiers are kept. A folder that holds the same search is continued; one that
    /// holds another search is refused. Default: a temporary folder, removed at the end.
    /// </summary>
    public CnnSearchExperiment SetOutputFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return With(() => folder = path);
    }

    /// <summary>The key label column; default <c>Label</c>.</summary>
    public CnnSearchExperiment SetLabelColumn(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return With(() => labelColumn = name);
    }

    /// <summary>What trials are ranked by at rungs and for the best: validation accuracy (default), macro accuracy or log-loss.</summary>
    public CnnSearchExperiment SetOptimizingMetric(CnnSelectionMetric selectionMetric)
        => With(() => metric = selectionMetric);

    /// <summary>Every problem of the settings, in one list; empty when the search can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (train is null)
            problems.Add("No data: call SetDataset(train, validation) or SetDataset(data, fraction).");
        if (train is not null && validation is null && validationFraction is not (> 0 and < 1))
            problems.Add($"SetDataset: the validation fraction must be between 0 and 1 (exclusive); got {validationFraction}.");
        if (budget is null)
            problems.Add("No time budget: call SetTimeBudget (the search's wall time, all of it included).");
        else if (budget <= TimeSpan.Zero)
            problems.Add($"SetTimeBudget: the budget must be positive; got {budget}.");
        if (maxTrials is < 1)
            problems.Add($"SetMaxTrials: at least 1 trial; got {maxTrials}.");
        if (maxLatency is { } l && l <= TimeSpan.Zero)
            problems.Add($"SetMaxLatency: the limit must be positive; got {l}.");
        if (maxParameters is < 1)
            problems.Add($"SetMaxParameters: at least 1 parameter; got {maxParameters}.");
        if (engine is not (CnnInferenceEngine.OnnxRuntime or CnnInferenceEngine.OnnxRuntimeInt8 or CnnInferenceEngine.TorchSharp))
            problems.Add($"SetInferenceEngine: OnnxRuntime, OnnxRuntimeInt8 or TorchSharp; got {engine}.");
        if (!Enum.IsDefined(metric))
            problems.Add($"SetOptimizingMetric: not a metric: {metric}.");
        if (space is not null)
            problems.AddRange(space.Problems().Select(p => "Search space: " + p));
        return problems;
    }

    /// <summary>
    /// Runs the search until the strategy has nothing left to run, the trial limit is reached or the budget is spent, then returns every
    /// trial, the front and the best trial's classifier (continued to the end of its schedule first when the budget allows).
    /// </summary>
    /// <param name="progress">Reports each trial as a job of it ends (a trial reappears as it climbs rungs).</param>
    /// <param name="cancellationToken">Stops the search within one batch; with an output folder, running it again continues.</param>
    /// <exception cref="ArgumentException">A setting is invalid, the data has fewer than two classes or no rows, the folder holds another
    /// search, or no candidate of the space meets <see cref="SetMaxParameters"/>.</exception>
    /// <exception cref="InvalidOperationException">No trial could be trained and validated within the budget and the limits; the message says
    /// what was measured (the time one epoch needs, the fastest latency, the errors).</exception>
    public CnnSearchResult Run(IProgress<CnnSearchTrial>? progress = null, CancellationToken cancellationToken = default)
    {
        OptionProblems.ThrowIfAny("search settings", Problems());
        return new SearchRun(ml, this, cancellationToken, progress).Execute(worker: false)!;
    }

    /// <summary>
    /// Runs trials of the search in <see cref="SetOutputFolder"/> as one more worker beside the process that runs <see cref="Run"/> (on this
    /// machine or another sharing the folder): claims jobs until the strategy has none left, then returns without choosing or loading the
    /// best model. Every worker needs the same settings and data; jobs are claimed under the folder's lock, so none runs twice.
    /// </summary>
    /// <param name="progress">Reports each trial as a job of this worker ends.</param>
    /// <param name="cancellationToken">Stops this worker within one batch; the job it leaves is taken up again by the next worker that looks.</param>
    /// <exception cref="ArgumentException">A setting is invalid, no output folder is set, or the folder holds another search.</exception>
    public void RunTrials(IProgress<CnnSearchTrial>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = Problems().ToList();
        if (folder is null)
            problems.Add("RunTrials works on a shared search folder: call SetOutputFolder with the folder of the search.");
        OptionProblems.ThrowIfAny("search settings", problems);
        new SearchRun(ml, this, cancellationToken, progress).Execute(worker: true);
    }

    // The state of one Run: the data as split, the folder, the clock.
    private sealed class SearchRun
    {
        private readonly MLContext ml;
        private readonly CnnSearchExperiment s;
        private readonly CancellationToken cancellation;
        private readonly IProgress<CnnSearchTrial>? progress;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly Dictionary<(string, int), (long Parameters, long Macs)> costs = [];
        private IDataView train = null!;
        private IDataView validation = null!;
        private CnnSearchSpace space = null!;
        private SearchFolder folder = null!;
        private TimeSpan available;
        private TimeSpan reserve;
        private int classes;

        public SearchRun(MLContext ml, CnnSearchExperiment settings, CancellationToken cancellation, IProgress<CnnSearchTrial>? progress)
            => (this.ml, s, this.cancellation, this.progress) = (ml, settings, cancellation, progress);

        private TimeSpan Remaining => available - clock.Elapsed;

        public CnnSearchResult? Execute(bool worker)
        {
            var startedUtc = DateTime.UtcNow;
            (train, validation) = s.validation is null ? Split() : (s.train!, s.validation);
            classes = ClassCount(train);
            var rows = train.GetRowCount() ?? train.GetColumn<uint>(s.labelColumn).LongCount();
            if (rows == 0)
                throw new ArgumentException("The training data has no rows: a search needs images to train on.");
            var validationRows = validation.GetRowCount() ?? validation.GetColumn<uint>(s.labelColumn).LongCount();
            if (validationRows == 0)
                throw new ArgumentException("The validation data has no rows: every trial is ranked on it; give validation rows or a larger fraction.");
            space = s.space ?? CnnSearchSpace.For(train, labelColumnName: s.labelColumn);
            space.Validate();
            CheckParameterLimit();
            var temporary = s.folder is null;
            folder = new SearchFolder(s.folder ?? Path.Combine(Path.GetTempPath(), $"mlnetcnn-search-{Guid.NewGuid():N}"));
            folder.CreateOrJoin(Description(rows, validationRows));
            try
            {
                using (folder.StartHeartbeat(startedUtc))
                {
                    available = s.budget!.Value - folder.TimeSpentBefore(startedUtc);
                    // Measuring, saving and loading the best model come out of the budget too.
                    reserve = TimeSpan.FromSeconds(Math.Max(0.5, 0.04 * s.budget.Value.TotalSeconds));
                    if (worker)
                    {
                        RunTrialsUntilDone();
                        return null;
                    }
                    RunJobs();
                    ContinueBest();
                }
                return Finish();
            }
            finally
            {
                if (temporary)
                    Directory.Delete(folder.Root, recursive: true);
            }
        }

        private (IDataView, IDataView) Split()
        {
            var split = ml.Data.TrainTestSplit(s.train!, s.validationFraction, seed: s.seed);
            return (split.TrainSet, split.TestSet);
        }

        private int ClassCount(IDataView data)
        {
            var column = data.Schema.GetColumnOrNull(s.labelColumn)
                ?? throw new ArgumentException($"The training data has no label column '{s.labelColumn}'; its columns: {string.Join(", ", data.Schema.Select(c => c.Name))}.");
            var count = column.Type is KeyDataViewType key ? (int)key.Count
                : throw new ArgumentException($"The label column '{s.labelColumn}' must be a key (MapValueToKey); it is {column.Type}.");
            var seen = data.GetColumn<uint>(s.labelColumn).Where(k => k > 0).Distinct().Count();
            if (count < 2 || seen < 2)
                throw new ArgumentException($"The training data holds {seen} class(es) in '{s.labelColumn}': a search needs at least two.");
            return count;
        }

        private (long Parameters, long Macs) Cost(CnnSearchCandidate candidate, int size)
        {
            var key = (candidate.ToString(), size);
            if (!costs.TryGetValue(key, out var cost))
            {
                using var model = CnnZoo.Create(candidate.Architecture, classes, 3, arguments: candidate.Arguments);
                var summary = CnnZoo.Summarize(model, 3, size, size);
                costs[key] = cost = (summary.TotalParameters, summary.TotalMacs);
            }
            return cost;
        }

        private void CheckParameterLimit()
        {
            if (s.maxParameters is not long limit)
                return;
            var smallest = space.Candidates.SelectMany(c => space.SizesFor(c).Select(size => (Candidate: c, Cost(c, size).Parameters))).MinBy(c => c.Parameters);
            if (smallest.Parameters > limit)
                throw new ArgumentException(
                    $"No candidate of the search space meets SetMaxParameters ({limit:N0}): the smallest, {smallest.Candidate}, has {smallest.Parameters:N0} parameters. " +
                    "Raise the limit or add smaller networks (e.g. a CifarResNetArguments width below 1).");
        }

        private string Description(long rows, long validationRows) => JsonSerializer.Serialize(new
        {
            search = "mlnetcnn",
            strategy = s.strategy.ToString(),
            s.seed,
            s.maxTrials,
            maxLatencyMs = s.maxLatency?.TotalMilliseconds,
            s.maxParameters,
            engine = s.engine.ToString(),
            metric = s.metric.ToString(),
            s.labelColumn,
            data = new { classes, rows, validationRows },
            space = new
            {
                candidates = space.Candidates.Select(c => c.ToString()),
                space.ImageSizes,
                optimizers = space.Optimizers.Select(o => $"{o.Kind} {o.MinLearningRate.ToString(CultureInfo.InvariantCulture)}..{o.MaxLearningRate.ToString(CultureInfo.InvariantCulture)}"),
                weightDecay = new[] { space.WeightDecay.Min, space.WeightDecay.Max },
                space.BatchSizes,
                space.LabelSmoothing,
                space.AugmentationLevels,
                space.MixUpAlpha,
                basis = JsonDocument.Parse(space.Basis.ToJson()).RootElement,
            },
        }, new JsonSerializerOptions { WriteIndented = true });

        // A worker stops when nothing is left, or when the process that ran the search published its folder and took it away.
        private void RunTrialsUntilDone()
        {
            try
            {
                RunJobs();
            }
            catch (IOException) when (!File.Exists(Path.Combine(folder.Root, "search.json")))
            {
            }
        }

        private void RunJobs()
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                if (Remaining <= reserve)
                    return;
                var job = Claim();
                if (job is null)
                    return;
                if (job.Index < 0)
                {
                    Thread.Sleep(500);   // other workers' jobs decide what comes next
                    continue;
                }
                RunJob(job);
            }
        }

        // Under the folder's lock: a job a dead worker left, else the strategy's decision. Null: nothing left; Index -1: wait.
        private SearchJob? Claim()
        {
            using var _ = folder.Lock();
            var trials = folder.Trials();
            var jobs = folder.Jobs();
            var results = folder.Results().ToDictionary(r => r.Index);
            if (jobs.FirstOrDefault(j => !results.ContainsKey(j.Index) && folder.IsAbandoned(j)) is { } left)
            {
                var taken = left with { Worker = folder.Worker };
                folder.Write(taken);
                return taken;
            }
            while (true)
            {
                var mayStart = (s.maxTrials is null || trials.Count < s.maxTrials) && Remaining > reserve + FirstEpochEstimate(results.Values);
                var decision = s.strategy.Decide(Progress(trials, jobs, results), mayStart);
                switch (decision.Kind)
                {
                    case SearchDecisionKind.Finished:
                        return null;
                    case SearchDecisionKind.Wait:
                        return new SearchJob(-1, -1, 0, -1, 0, 0, folder.Worker);
                    case SearchDecisionKind.Continue:
                        var from = jobs.Where(j => j.Trial == decision.Trial).MaxBy(j => j.Rung)!;
                        if (Remaining - reserve < EpochTime(from, results[from.Index]))
                            return null;   // not one more epoch of the best candidate fits: what is left would be cut unvalidated
                        var next = new SearchJob(jobs.Count, decision.Trial, decision.Rung, from.Rung, from.ToEpochs, s.strategy.Rungs[decision.Rung], folder.Worker);
                        folder.Write(next);
                        return next;
                    default:
                        var trial = Draw(trials.Count);
                        folder.Write(trial);
                        trials.Add(trial);
                        var job = new SearchJob(jobs.Count, trial.Number, 0, -1, 0, s.strategy.Rungs[0], folder.Worker);
                        folder.Write(job);
                        jobs.Add(job);
                        if (Rejection(trial, results.Values) is not string reason)
                            return job;
                        var rejected = new JobResult(job.Index, trial.Number, 0, JobOutcome.Rejected, reason, 0, null, null, null, 0, null, trial.Parameters, []);
                        folder.Write(rejected);
                        results[job.Index] = rejected;
                        Report(trial, jobs, results);
                        break;
                }
            }
        }

        // The median time of a first epoch so far (from the trials' first rungs): a new trial is not started when it could not finish
        // and validate one epoch, which is all a trial cut by the budget keeps.
        private TimeSpan FirstEpochEstimate(IEnumerable<JobResult> results)
        {
            var seconds = results.Where(r => r.Rung == 0 && r.Outcome is JobOutcome.Reached or JobOutcome.TooSlow).Select(r => r.Seconds / s.strategy.Rungs[0]).Order().ToList();
            return seconds.Count == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds[seconds.Count / 2]);
        }

        // A trial's time per epoch, from the job that last trained it (reading the data included).
        private static TimeSpan EpochTime(SearchJob job, JobResult result) => TimeSpan.FromSeconds(result.Seconds / Math.Max(1, result.EpochsTrained - job.FromEpochs));

        private List<TrialProgress> Progress(List<TrialRecord> trials, List<SearchJob> jobs, Dictionary<int, JobResult> results)
            => trials.Select(t =>
            {
                var own = jobs.Where(j => j.Trial == t.Number).ToList();
                var done = own.Where(j => results.ContainsKey(j.Index)).Select(j => results[j.Index]).ToList();
                var eligible = done.All(r => r.Outcome is JobOutcome.Reached or JobOutcome.OutOfTime);
                var scores = done.Where(r => r.Outcome == JobOutcome.Reached && r.Score(s.metric) is not null).ToDictionary(r => r.Rung, r => r.Score(s.metric)!.Value);
                var top = own.MaxBy(j => j.Rung)!;
                return new TrialProgress(t.Number, eligible, scores, top.Rung, !results.ContainsKey(top.Index));
            }).ToList();

        private TrialRecord Draw(int number)
        {
            var options = space.Sample(s.seed, number, s.strategy.MaxEpochs);
            options = options with
            {
                Columns = options.Columns with { Label = s.labelColumn },
                Runtime = options.Runtime with { Seed = StableSeed.Of(s.seed, number, purpose: 2) },
            };
            var candidate = new CnnSearchCandidate(options.Model.Architecture, options.Model.Arguments, options.Model.Weights);
            var size = options.Input.ImageSize!.Value;
            var (parameters, macs) = Cost(candidate, size);
            return new TrialRecord(number, options.ToJson(), candidate.Architecture, candidate.ToString(), size, parameters, macs);
        }

        // A limit that rules the trial out before it trains: its parameters, or its latency estimated from its MACs at the lowest
        // milliseconds per MAC measured so far (an optimistic estimate: ONNX Runtime's fixed cost per call weighs most on small networks).
        private string? Rejection(TrialRecord trial, IEnumerable<JobResult> results)
        {
            if (s.maxParameters is long limit && trial.Parameters > limit)
                return $"{trial.Parameters:N0} parameters, over SetMaxParameters ({limit:N0})";
            if (s.maxLatency is not { } latency)
                return null;
            var measured = results.Where(r => r.LatencyMs is not null).Join(folder.Trials(), r => r.Trial, t => t.Number, (r, t) => r.LatencyMs!.Value / Math.Max(1, t.Macs)).ToList();
            if (measured.Count == 0)
                return null;
            var estimate = trial.Macs * measured.Min();
            return estimate > latency.TotalMilliseconds
                ? string.Create(CultureInfo.InvariantCulture, $"{CnnSearchResult.TooSlowPrefix} estimated at {estimate:F2} ms from its {trial.Macs / 1e6:F1} M MACs, over SetMaxLatency ({latency.TotalMilliseconds:F2} ms)")
                : null;
        }

        private void RunJob(SearchJob job)
        {
            var trial = folder.Trials().First(t => t.Number == job.Trial);
            var options = CnnTrainerOptions.FromJson(trial.OptionsJson);
            var trialClock = Stopwatch.StartNew();
            JobResult result;
            try
            {
                var deadline = Remaining - reserve;
                if (deadline <= TimeSpan.Zero)
                    return;
                var run = options with
                {
                    Checkpoint = new() { Path = folder.Checkpoint(job.Trial, job.Rung), ResumeFrom = job.FromRung >= 0 ? folder.Checkpoint(job.Trial, job.FromRung) : null },
                    // The trained classifier scores with the search's engine (int8 is quantized from the float network once trained).
                    Runtime = options.Runtime with
                    {
                        MaxTrainingTime = deadline,
                        InferenceEngine = s.engine == CnnInferenceEngine.OnnxRuntimeInt8 ? CnnInferenceEngine.OnnxRuntime : s.engine,
                    },
                    EpochEnd = end =>
                    {
                        if (end.Metrics.Epoch >= job.ToEpochs)
                            end.Stop($"rung {job.Rung} reached at {job.ToEpochs} epoch(s)");
                    },
                    CancellationToken = cancellation,
                };
                using var classifier = ml.MulticlassClassification.Trainers.Cnn(run).Fit(train, validation);
                var seconds = trialClock.Elapsed.TotalSeconds;
                result = Measure(job, trial, classifier, seconds);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                throw;   // the job stays unfinished: the next run on this folder runs it again
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new JobResult(job.Index, job.Trial, job.Rung, JobOutcome.Failed, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}", 0, null, null, null,
                    trialClock.Elapsed.TotalSeconds, null, trial.Parameters, []);
            }
            folder.Write(result);
            if (result.Outcome == JobOutcome.Failed)
                StopIfEveryTrialFails();
            if (job.FromRung >= 0 && result.Outcome != JobOutcome.Failed)
                File.Delete(folder.Checkpoint(job.Trial, job.FromRung));   // the new rung's checkpoint carries on from here
            using var _ = folder.Lock();
            Report(trial, folder.Jobs(), folder.Results().ToDictionary(r => r.Index));
        }

        // Trials that all fail the same way point at the data or the space, not at a configuration: stop before the budget is spent on more.
        private void StopIfEveryTrialFails()
        {
            var results = folder.Results();
            if (results.Count >= FailFastTrials && results.All(r => r.Outcome == JobOutcome.Failed))
                throw new InvalidOperationException($"The first {results.Count} trials of the search all failed; the first: {results[0].Reason}");
        }

        private const int FailFastTrials = 3;

        private JobResult Measure(SearchJob job, TrialRecord trial, CnnClassifierTransformer classifier, double seconds)
        {
            var end = classifier.TrainingEnd!;
            var history = classifier.History.ToList();
            var held = end.WeightsFromEpoch is int epoch ? history.FirstOrDefault(h => h.Epoch == epoch) : history.LastOrDefault();
            var outcome = end.Reason == CnnTrainingEndReason.Deadline ? JobOutcome.OutOfTime : JobOutcome.Reached;
            var reason = outcome == JobOutcome.OutOfTime ? $"cut by the time budget: {end.Message}" : null;
            var parameters = trial.Parameters;
            double? latency = null;
            var deployed = s.engine == CnnInferenceEngine.OnnxRuntimeInt8 ? classifier.Quantize(train) : null;
            try
            {
                var scored = deployed ?? classifier;
                scored.SaveCheckpoint(folder.Classifier(job.Trial));
                if (job.FromRung < 0)
                {
                    var p = classifier.Preprocessing;
                    parameters = CnnZoo.Summarize(classifier.Model, p.Channels, p.Height, p.Width).TotalParameters;
                    latency = LatencyProbe.MedianMilliseconds(ml, scored, validation);
                    if (s.maxLatency is { } limit && latency > limit.TotalMilliseconds)
                        (outcome, reason) = (JobOutcome.TooSlow, string.Create(CultureInfo.InvariantCulture,
                            $"{CnnSearchResult.TooSlowPrefix} {latency:F2} ms measured, over SetMaxLatency ({limit.TotalMilliseconds:F2} ms)"));
                }
            }
            finally
            {
                deployed?.Dispose();
            }
            return new JobResult(job.Index, job.Trial, job.Rung, outcome, reason, end.EpochsTrained, held?.ValidationAccuracy, held?.ValidationMacroAccuracy,
                held?.ValidationLoss, seconds, latency, parameters, history);
        }

        private void Report(TrialRecord trial, List<SearchJob> jobs, Dictionary<int, JobResult> results)
            => progress?.Report(View(trial, jobs, results));

        private CnnSearchTrial View(TrialRecord trial, List<SearchJob> jobs, Dictionary<int, JobResult> results)
        {
            var done = jobs.Where(j => j.Trial == trial.Number && results.ContainsKey(j.Index)).Select(j => results[j.Index]).OrderBy(r => r.Index).ToList();
            var last = done.LastOrDefault();
            var measured = done.LastOrDefault(r => r.Accuracy is not null);
            var reached = done.Where(r => r.Outcome == JobOutcome.Reached).Select(r => r.Rung).DefaultIfEmpty(-1).Max();
            var firstProblem = done.FirstOrDefault(r => r.Outcome is JobOutcome.Rejected or JobOutcome.TooSlow);
            var (status, reason) = (last, firstProblem) switch
            {
                (null, _) => (CnnSearchTrialStatus.StoppedEarly, "not run: the search ended first"),
                (_, { Outcome: JobOutcome.Rejected }) => (CnnSearchTrialStatus.Rejected, firstProblem.Reason),
                (_, { Outcome: JobOutcome.TooSlow }) => (CnnSearchTrialStatus.StoppedEarly, firstProblem.Reason),
                ({ Outcome: JobOutcome.Failed }, _) => (CnnSearchTrialStatus.Failed, last.Reason),
                ({ Outcome: JobOutcome.OutOfTime }, _) => (CnnSearchTrialStatus.StoppedEarly, last.Reason),
                _ when reached == s.strategy.Rungs.Count - 1 => (CnnSearchTrialStatus.Completed, (string?)null),
                _ => (CnnSearchTrialStatus.StoppedEarly, $"not promoted after rung {reached} ({s.strategy.Rungs[Math.Max(0, reached)]} epochs)"),
            };
            return new CnnSearchTrial(trial.Number, trial.OptionsJson, trial.Architecture, trial.Candidate, trial.ImageSize, status, reason, reached,
                last?.EpochsTrained ?? 0, measured?.Accuracy, measured?.MacroAccuracy, measured?.LogLoss, done.Sum(r => r.Seconds),
                done.Select(r => r.LatencyMs).FirstOrDefault(l => l is not null), done.Select(r => r.Parameters).LastOrDefault(trial.Parameters), trial.Macs,
                last?.History ?? []);
        }

        private List<CnnSearchTrial> Views()
        {
            using var _ = folder.Lock();
            var jobs = folder.Jobs();
            var results = folder.Results().ToDictionary(r => r.Index);
            return folder.Trials().Select(t => View(t, jobs, results)).ToList();
        }

        private double? Score(CnnSearchTrial t) => s.metric switch
        {
            CnnSelectionMetric.MacroAccuracy => t.ValidationMacroAccuracy,
            CnnSelectionMetric.LogLoss => -t.ValidationLogLoss,
            _ => t.ValidationAccuracy,
        };

        private CnnSearchTrial? Best(IEnumerable<CnnSearchTrial> trials)
            => trials.Where(t => t.Status is CnnSearchTrialStatus.Completed or CnnSearchTrialStatus.StoppedEarly && CnnSearchResult.MeetsLimits(t) && Score(t) is not null)
                .OrderByDescending(t => Score(t)).ThenByDescending(t => t.Epochs).ThenBy(t => t.Number).FirstOrDefault();

        // The best trial continues to the end of its schedule when it stopped at a rung and the budget holds the epochs it lacks.
        private void ContinueBest()
        {
            if (Best(Views()) is not { Status: CnnSearchTrialStatus.StoppedEarly, Reason: not null } best || !best.Reason.StartsWith("not promoted", StringComparison.Ordinal))
                return;
            SearchJob job;
            using (folder.Lock())
            {
                var jobs = folder.Jobs();
                var last = jobs.Where(j => j.Trial == best.Number).MaxBy(j => j.Rung)!;
                var perEpoch = best.TrainSeconds / Math.Max(1, best.Epochs);
                var needed = TimeSpan.FromSeconds(perEpoch * (s.strategy.MaxEpochs - best.Epochs));
                if (last.Rung == s.strategy.Rungs.Count - 1 || Remaining - reserve < needed)
                    return;
                job = new SearchJob(jobs.Count, best.Number, s.strategy.Rungs.Count - 1, last.Rung, last.ToEpochs, s.strategy.MaxEpochs, folder.Worker);
                folder.Write(job);
            }
            RunJob(job);
        }

        private CnnSearchResult Finish()
        {
            var trials = Views();
            var best = Best(trials) ?? throw new InvalidOperationException(Nothing(trials));
            var model = Load(best.Number);
            return new CnnSearchResult(trials, best, model, s.strategy.ToString(), clock.Elapsed,
                s.folder is null ? number => number == best.Number ? Load(number) : throw new ArgumentException($"Trial {number}'s classifier went with the temporary search folder; only the best trial's ({best.Number}) is kept. Set an output folder to keep them all.") : Load,
                s.folder is null ? null : folder.Root);
        }

        private CnnClassifierTransformer Load(int number)
        {
            var path = folder.Classifier(number);
            if (!File.Exists(path))
                throw new ArgumentException($"Trial {number} has no trained classifier (it was rejected, failed or never ran); see its status in Trials.");
            return ml.Cnn().LoadClassifier(path, engine: s.engine);
        }

        // Why no trial can be the best, from what was measured.
        private string Nothing(IReadOnlyList<CnnSearchTrial> trials)
        {
            var c = CultureInfo.InvariantCulture;
            if (trials.Count == 0)
                return string.Create(c, $"The search ran no trial within its budget of {s.budget!.Value.TotalSeconds:F0} s; give it more time.");
            if (trials.Where(t => t.LatencyMs is not null).MinBy(t => t.LatencyMs) is { } fastest && trials.All(t => !CnnSearchResult.MeetsLimits(t) || t.Status is CnnSearchTrialStatus.Failed or CnnSearchTrialStatus.Rejected))
                return string.Create(c, $"No trial meets SetMaxLatency ({s.maxLatency!.Value.TotalMilliseconds:F2} ms): the fastest measured, #{fastest.Number} {fastest.Candidate} at {fastest.ImageSize} px, took {fastest.LatencyMs:F2} ms per image. Raise the limit or add smaller networks or sizes.");
            var cut = trials.Where(t => t.Reason?.StartsWith("cut by the time budget", StringComparison.Ordinal) == true).ToList();
            if (cut.Count > 0 && cut.All(t => t.History.Count == 0) && cut.MaxBy(t => t.Epochs) is { } furthest)
            {
                var needed = furthest.Epochs > 0 ? furthest.TrainSeconds / furthest.Epochs : double.NaN;
                var estimate = double.IsFinite(needed) ? string.Create(c, $", so one epoch needs about {needed:F0} s plus reading the data") : "";
                return string.Create(c, $"The budget of {s.budget!.Value.TotalSeconds:F0} s is too small for one epoch: trial #{furthest.Number} ({furthest.Candidate} at {furthest.ImageSize} px) trained {furthest.Epochs:P0} of an epoch in {furthest.TrainSeconds:F0} s{estimate}. Give the search more time, fewer rows or a smaller space.");
            }
            return "No trial could be trained and validated: " + string.Join("; ", trials.Take(5).Select(t => $"#{t.Number} {t.Candidate}: {t.Status} ({t.Reason})"))
                + (trials.Count > 5 ? $"; and {trials.Count - 5} more" : "");
        }
    }
}
