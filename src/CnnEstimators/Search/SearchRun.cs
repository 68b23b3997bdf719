using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Search;
using MLNetCnn.Zoo;

namespace MLNetCnn;

public sealed partial class CnnSearchExperiment
{
    // The state of one Run: the data as split, the folder, the clock.
    private sealed partial class SearchRun
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
                        if (Rejection(trial, trials, results.Values) is not string reason)
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
        // trials: the folder's trials, as Claim read them under the lock (with this one), so the check reads no file.
        private string? Rejection(TrialRecord trial, List<TrialRecord> trials, IEnumerable<JobResult> results)
        {
            if (s.maxParameters is long limit && trial.Parameters > limit)
                return $"{trial.Parameters:N0} parameters, over SetMaxParameters ({limit:N0})";
            if (s.maxLatency is not { } latency)
                return null;
            var measured = results.Where(r => r.LatencyMs is not null).Join(trials, r => r.Trial, t => t.Number, (r, t) => r.LatencyMs!.Value / Math.Max(1, t.Macs)).ToList();
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
    }
}
