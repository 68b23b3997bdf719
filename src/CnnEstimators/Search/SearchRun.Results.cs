using System.Globalization;
using Microsoft.ML;
using MLNetCnn.Search;

namespace MLNetCnn;

public sealed partial class CnnSearchExperiment
{
    // What a run reports: the trials as seen from outside, the best of them continued, the result.
    private sealed partial class SearchRun
    {
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
