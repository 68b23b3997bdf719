using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// One training run over prepared batch sources: per epoch shuffle, augment, normalise, forward and
/// backward, schedule, validate, early-stop and checkpoint. Every step runs in its own dispose scope,
/// so native memory stays flat over epochs.
/// </summary>
internal sealed class TrainingSession
{
    private readonly CnnTrainerOptions options;
    private readonly CnnModel model;
    private readonly Device device;
    private readonly IChannel? log;
    private readonly PixelNormalization.Normalizer normalizer;
    private readonly BatchAugmentation augmentation;
    private readonly FineTuningSchedule fineTuning;
    private readonly BatchMixing mixing;
    private readonly Tensor? classWeights;
    private readonly CnnTrainerOptions recorded;
    private readonly ComputeFormat format;

    /// <param name="options">The run's options.</param>
    /// <param name="model">The network, on <paramref name="device"/>.</param>
    /// <param name="preprocessing">How raw pixels become its input.</param>
    /// <param name="device">Where it trains.</param>
    /// <param name="log">Where progress lines go.</param>
    /// <param name="classWeights">The loss's per-class weights, in key order; null for none.</param>
    public TrainingSession(CnnTrainerOptions options, CnnModel model, CnnPreprocessing preprocessing, Device device, IChannel? log, float[]? classWeights = null)
    {
        this.options = options;
        recorded = CnnTrainer.AsRun(options, model);
        this.model = model;
        this.device = device;
        this.log = log;
        normalizer = preprocessing.Normalization.On(device);
        augmentation = new BatchAugmentation(options);
        fineTuning = new FineTuningSchedule(model, options);
        mixing = new BatchMixing(options, model.NumClasses);
        this.classWeights = classWeights is null ? null : tensor(classWeights).to(device).DetachFromDisposeScope();
        format = ComputeFormat.Resolve(options.Runtime, model, device.type);
        Info($"Computing in {format.Summary}");
    }

    public List<CnnEpochMetrics> History { get; private set; } = [];

    /// <summary>How the run ended; set by <see cref="Run"/>.</summary>
    public CnnTrainingEnd? End { get; private set; }

    // When Fit started, on the options' clock: MaxTrainingTime counts from then.
    private long started;

    private TimeSpan Elapsed => options.Clock.GetElapsedTime(started);

    private bool PastDeadline => options.Runtime.MaxTrainingTime is TimeSpan limit && Elapsed >= limit;

    /// <summary>Trains; returns when all epochs ran, early stopping or the epoch-end callback ended the run, or the deadline passed.</summary>
    /// <exception cref="OperationCanceledException">The cancellation token fired (the last checkpoint stays intact).</exception>
    /// <param name="train">Training batches.</param>
    /// <param name="validation">Validation batches, or null.</param>
    /// <param name="seed">Seeds shuffling and augmentation.</param>
    /// <param name="resumed">The checkpoint to continue from, read once by the trainer; null starts afresh.</param>
    /// <param name="fitStarted">When Fit began, a timestamp of the options' <see cref="CnnTrainerOptions.Clock"/>: <see cref="CnnRuntimeOptions.MaxTrainingTime"/> counts from then.</param>
    public void Run(IBatchSource train, IBatchSource? validation, long seed, TrainingCheckpoint? resumed, long fitStarted)
    {
        started = fitStarted;
        var stepsPerEpoch = (int)((train.Count + options.Schedule.BatchSize - 1) / options.Schedule.BatchSize);
        var plan = new LearningRatePlan(options, stepsPerEpoch);
        using var optimizer = fineTuning.CreateOptimizer(model);
        using var generator = new Generator((ulong)seed);
        using var lowPrecision = LowPrecisionCopy();
        var state = (EpochsDone: 0, BestScore: double.NegativeInfinity, SinceBest: 0, BestEpoch: 0);
        Dictionary<string, Tensor>? best = null;

        if (resumed is not null)
        {
            var saved = resumed.Counters;
            best = resumed.Restore(model, optimizer, generator);
            (plan.PlateauScale, plan.PlateauBest, plan.PlateauWait) = (saved.PlateauScale, saved.PlateauBest, saved.PlateauWait);
            state = (saved.EpochsDone, saved.BestValidationAccuracy, saved.EpochsSinceBest, saved.BestEpoch);
            History = saved.History;
            Info($"Resumed from '{options.Checkpoint.ResumeFrom}' after epoch {saved.EpochsDone}.");
        }

        using var average = options.Regularization.EmaDecay is double decay
            ? new WeightAverage(model, decay, resumed?.AverageWeights(), resumed?.Counters.EmaUpdates ?? 0)
            : null;
        (CnnTrainingEndReason Reason, string Message, int StepsIntoNextEpoch) ending;
        model.UseGenerator(generator);   // dropout draws from this run's sequence, not from the process's
        lowPrecision?.UseGenerator(generator);
        try
        {
            ending = TrainEpochs(train, validation, state.EpochsDone, plan, optimizer, generator, stepsPerEpoch, average, lowPrecision, ref state, ref best);
        }
        finally
        {
            model.UseGenerator(null);
            fineTuning.End();
        }
        if (average is not null)
        {
            average.Apply();
            Info($"The model holds the moving average of its weights (decay {options.Regularization.EmaDecay}, {average.Updates} updates).");
        }
        var kept = KeepBest(state.BestEpoch, state.BestScore, best);
        End = new CnnTrainingEnd(ending.Reason, ending.Message, state.EpochsDone, ending.StepsIntoNextEpoch, stepsPerEpoch,
            Elapsed.TotalSeconds, kept ? state.BestEpoch : null);
        if (ending.Reason is CnnTrainingEndReason.Deadline or CnnTrainingEndReason.Requested)
            Info($"Training stopped: {ending.Message}");
    }

    private (CnnTrainingEndReason Reason, string Message, int StepsIntoNextEpoch) TrainEpochs(IBatchSource train, IBatchSource? validation, int firstEpoch,
        LearningRatePlan plan, OptimizerHelper optimizer, Generator generator, int stepsPerEpoch, WeightAverage? average, MixedPrecisionCopy? lowPrecision,
        ref (int EpochsDone, double BestScore, int SinceBest, int BestEpoch) state, ref Dictionary<string, Tensor>? best)
    {
        for (var epoch = firstEpoch; epoch < options.Schedule.Epochs; epoch++)
        {
            if (PastDeadline)
                return DeadlineEnding(epoch, steps: 0);
            if (epoch == options.FineTuning.FreezeEpochs && epoch > 0)
                Info($"Epoch {epoch + 1}: the backbone learns from now on (at {options.FineTuning.BackboneLearningRateFactor:G3} times the head's learning rate).");
            fineTuning.BeginEpoch(epoch);
            var clock = Stopwatch.StartNew();
            var (loss, accuracy, rate, imagesPerSecond, steps, cutShort, stepLosses) = TrainEpoch(train, plan, optimizer, generator, epoch, stepsPerEpoch, average, lowPrecision);
            // An epoch the deadline cut short, or one whose validation it would cut, is neither validated nor in the history.
            if (cutShort || PastDeadline)
                return DeadlineEnding(epoch, steps);
            Validation? validated = null;
            if (validation is not null && (validated = EvaluateWeightsInUse(validation, average)) is null)
                return DeadlineEnding(epoch, steps);
            var score = validated?.Score(options.Validation.SelectionMetric);
            var reduced = score is double s && plan.ObserveValidation(s);

            if (score > state.BestScore)
            {
                state = (state.EpochsDone, score.Value, 0, epoch + 1);
                if (options.Validation.KeepBestWeights)
                    best = CopyOf(average?.Average ?? model.state_dict(), best);
            }
            else if (validated is not null)
                state.SinceBest++;
            state.EpochsDone = epoch + 1;

            // TorchSharp wrappers that were not disposed (implicit Scalars, say) hold native memory the GC
            // cannot see, so it would collect them late; once per epoch keeps resident memory flat.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var metrics = new CnnEpochMetrics(epoch + 1, loss, accuracy, validated?.Loss, validated?.Accuracy, rate, clock.Elapsed.TotalSeconds, imagesPerSecond,
                validated?.MacroAccuracy, CnnEpochMetrics.Condense(stepLosses));
            History.Add(metrics);
            if (options.Checkpoint.Path is string checkpoint)
                TrainingCheckpoint.Write(checkpoint, new TrainingCheckpoint.State(model.Architecture, model.NumClasses, model.InChannels,
                    state.EpochsDone, plan.PlateauScale, plan.PlateauBest, plan.PlateauWait, state.BestScore, state.SinceBest, state.BestEpoch, History,
                    average?.Updates ?? 0, CnnZoo.ArgumentsToJson(model.Arguments), recorded.ToJson()), model, optimizer, generator, best, average?.Average);
            var message = $"epoch {epoch + 1}/{options.Schedule.Epochs}: loss {loss:F4}, accuracy {accuracy:P2}" +
                          (validated is { } m ? $", validation loss {m.Loss:F4}, validation accuracy {m.Accuracy:P2}" : "") +
                          $", lr {rate:G4}, {imagesPerSecond:F0} images/s" + (reduced ? " (plateau: learning rate divided by 10)" : "");
            Info(message);
            options.Progress?.Report(new CnnTrainingProgress(epoch + 1, options.Schedule.Epochs, stepsPerEpoch, stepsPerEpoch, loss, accuracy, rate,
                imagesPerSecond, IsEpochEnd: true, validated?.Loss, validated?.Accuracy, message));

            if (options.Validation.EarlyStoppingPatience is int patience && state.SinceBest >= patience)
            {
                var stopped = $"Early stopping after epoch {epoch + 1}: no validation {Describe(options.Validation.SelectionMetric)} improvement for {patience} epochs.";
                Info(stopped);
                return (CnnTrainingEndReason.EarlyStopping, stopped, 0);
            }
            if (options.EpochEnd is { } callback && epoch + 1 < options.Schedule.Epochs)
            {
                var end = new CnnEpochEnd(metrics, History.ToList(), Elapsed);
                callback(end);
                if (end.StopReason is string reason)
                    return (CnnTrainingEndReason.Requested, $"stopped after epoch {epoch + 1} of {options.Schedule.Epochs} on request: {reason}", 0);
            }
        }
        return (CnnTrainingEndReason.Completed, $"all {options.Schedule.Epochs} epochs trained", 0);
    }

    private (CnnTrainingEndReason, string, int) DeadlineEnding(int epoch, int steps) => (CnnTrainingEndReason.Deadline,
        $"MaxTrainingTime ({options.Runtime.MaxTrainingTime!.Value.TotalSeconds:0.###} s) ran out after {Elapsed.TotalSeconds:F1} s, " +
        $"{epoch} epoch(s) and {steps} step(s) into epoch {epoch + 1}", steps);

    /// <summary>
    /// The learning-rate range test: one step per batch (cycling through the data) at rates rising exponentially from
    /// <paramref name="minRate"/> to <paramref name="maxRate"/>, stopping early when the smoothed loss passes four times its
    /// minimum; the model's weights are put back afterwards.
    /// </summary>
    public CnnLearningRateCurve FindLearningRate(IBatchSource train, long seed, int steps, double minRate, double maxRate)
    {
        const double Smoothing = 0.98;
        var initial = CopyOf(model.state_dict(), null);
        var points = new List<CnnLearningRatePoint>();
        var diverged = false;
        try
        {
            using var optimizer = fineTuning.CreateOptimizer(model);
            using var generator = new Generator((ulong)seed);
            using var lowPrecision = LowPrecisionCopy();
            model.UseGenerator(generator);
            lowPrecision?.UseGenerator(generator);
            fineTuning.BeginEpoch(0);   // the first epoch's phase: the head alone when the run starts frozen
            model.train();
            fineTuning.AfterTrainMode();
            double average = 0, lowest = double.PositiveInfinity;
            while (points.Count < steps && !diverged)
            {
                foreach (var batch in train.Batches(options.Schedule.BatchSize, generator))
                {
                    using var scope = NewDisposeScope();
                    using (batch)
                    {
                        options.CancellationToken.ThrowIfCancellationRequested();
                        var rate = minRate * Math.Pow(maxRate / minRate, points.Count / (double)Math.Max(1, steps - 1));
                        fineTuning.SetRate(optimizer, rate);
                        optimizer.zero_grad();
                        var (loss, _) = ForwardBackward(Prepare(batch.Images, generator, augment: true), batch.Labels.to(device), lowPrecision);
                        optimizer.step();
                        var value = loss.item<float>();
                        average = Smoothing * average + (1 - Smoothing) * value;
                        var smoothed = average / (1 - Math.Pow(Smoothing, points.Count + 1));
                        points.Add(new CnnLearningRatePoint(rate, value, smoothed));
                        lowest = Math.Min(lowest, smoothed);
                        diverged = !double.IsFinite(smoothed) || smoothed > 4 * lowest;
                    }
                    if (points.Count == steps || diverged)
                        break;
                }
            }
        }
        finally
        {
            model.UseGenerator(null);
            fineTuning.End();
            using (no_grad())
            {
                var current = model.state_dict();
                foreach (var (key, value) in initial)
                    current[key].copy_(value);
            }
            foreach (var value in initial.Values)
                value.Dispose();
        }
        var (suggested, minimum) = Suggest(points);
        Info($"Learning-rate finder: {points.Count} steps{(diverged ? ", stopped when the loss diverged" : "")}; suggested {suggested:G3} (loss lowest at {minimum:G3}).");
        return new CnnLearningRateCurve(points, suggested, minimum, diverged);
    }

    // The steepest fall of the smoothed loss against log rate, up to its minimum (the points after it only rise). The slope is
    // taken across a tenth of the points (at least three), as one step's difference is mostly the batches' noise; the
    // suggestion is the middle of the steepest stretch.
    private static (double Suggested, double Minimum) Suggest(List<CnnLearningRatePoint> points)
    {
        var finite = points.Where(p => double.IsFinite(p.SmoothedLoss)).ToList();
        var lowest = finite.IndexOf(finite.MinBy(p => p.SmoothedLoss)!);
        var span = Math.Max(3, finite.Count / 10);
        var steepest = lowest;
        var slope = 0.0;
        for (var i = span; i <= lowest; i++)
        {
            var s = (finite[i].SmoothedLoss - finite[i - span].SmoothedLoss) / (Math.Log(finite[i].Rate) - Math.Log(finite[i - span].Rate));
            if (s < slope)
                (slope, steepest) = (s, i - span / 2);
        }
        return (finite[steepest].Rate, finite[lowest].Rate);
    }

    // Puts the best validated weights back when asked to; says whether it did.
    private bool KeepBest(int bestEpoch, double bestScore, Dictionary<string, Tensor>? best)
    {
        var keep = options.Validation.KeepBestWeights && best is not null;
        if (keep && best is not null)
        {
            using var noGrad = no_grad();
            var current = model.state_dict();
            foreach (var (key, value) in best)
                current[key].copy_(value);
            Info($"Kept the weights of epoch {bestEpoch} (validation {Describe(options.Validation.SelectionMetric)} " +
                 (options.Validation.SelectionMetric == CnnSelectionMetric.LogLoss ? $"{-bestScore:F4})." : $"{bestScore:P2})."));
        }
        if (best is not null)
            foreach (var value in best.Values)
                value.Dispose();
        return keep;
    }

    // Validation sees the weights the run will hand over: the moving average when there is one. Null when the deadline cut it short.
    private Validation? EvaluateWeightsInUse(IBatchSource validation, WeightAverage? average)
    {
        if (average is null)
            return Evaluate(validation);
        using (average.InModel())
            return Evaluate(validation);
    }

    private (double Loss, double Accuracy, double Rate, double ImagesPerSecond, int Steps, bool CutShort, List<double> StepLosses) TrainEpoch(IBatchSource train, LearningRatePlan plan,
        OptimizerHelper optimizer, Generator generator, int epoch, int stepsPerEpoch, WeightAverage? average, MixedPrecisionCopy? lowPrecision)
    {
        model.train();
        fineTuning.AfterTrainMode();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, rate = 0;
        long correct = 0, seen = 0;
        var step = 0;
        var cutShort = false;
        var stepLosses = new List<double>(stepsPerEpoch);
        foreach (var batch in train.Batches(options.Schedule.BatchSize, generator))
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                rate = plan.RateAt(epoch, step);
                fineTuning.SetRate(optimizer, rate);
                var x = Prepare(batch.Images, generator, augment: true);
                var y = batch.Labels.to(device);
                var targets = y;
                if (mixing.IsActive)
                    (x, targets) = mixing.Apply(x, y, generator);
                optimizer.zero_grad();
                var (loss, logits) = ForwardBackward(x, targets, lowPrecision);
                if (options.Optimizer.GradientClipNorm is double maxNorm)
                    nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
                optimizer.step();
                average?.Update();
                var n = batch.Labels.shape[0];
                var stepLoss = loss.item<float>();
                stepLosses.Add(stepLoss);
                lossSum += stepLoss * n;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += n;
            }
            step++;
            options.Progress?.Report(new CnnTrainingProgress(epoch + 1, options.Schedule.Epochs, step, stepsPerEpoch, lossSum / seen, (double)correct / seen,
                rate, seen / clock.Elapsed.TotalSeconds, IsEpochEnd: false, null, null, $"epoch {epoch + 1} batch {step}/{stepsPerEpoch}"));
            if (PastDeadline)
            {
                cutShort = true;
                break;
            }
        }
        return (lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), rate, seen / clock.Elapsed.TotalSeconds, step, cutShort, stepLosses);
    }

    /// <summary>Mean cross-entropy, accuracy and macro accuracy in eval mode; null when the deadline passed mid-way.</summary>
    private Validation? Evaluate(IBatchSource data)
    {
        model.eval();
        double lossSum = 0;
        long correct = 0, seen = 0;
        var classes = model.NumClasses;
        var perClassRows = new long[classes];
        var perClassCorrect = new long[classes];
        using var noGrad = no_grad();
        foreach (var batch in data.Batches(options.Runtime.ScoringBatchSize, generator: null))
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                var y = batch.Labels.to(device);
                var logits = ScoringLogits(format.ScoringInput(Prepare(batch.Images, generator: null, augment: false)));
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                var right = logits.argmax(1).eq(y);
                correct += right.sum().item<long>();
                seen += y.shape[0];
                Accumulate(perClassRows, y.bincount(null, classes));
                Accumulate(perClassCorrect, y.masked_select(right).bincount(null, classes));
            }
            if (PastDeadline)
                return null;
        }
        // Classes without validation rows are left out of the mean, as ML.NET's evaluator does.
        var recalls = perClassRows.Select((rows, c) => (rows, c)).Where(x => x.rows > 0).Select(x => (double)perClassCorrect[x.c] / x.rows).ToList();
        return new Validation(lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), recalls.Count > 0 ? recalls.Average() : 0);

        static void Accumulate(long[] totals, Tensor counts)
        {
            var values = counts.cpu().data<long>().ToArray();
            for (var c = 0; c < totals.Length; c++)
                totals[c] += values[c];
        }
    }

    // Validation judges the classifier as it will score: with test-time augmentation, the log of the mean of the views'
    // probabilities (cross-entropy of these log-probabilities is the log-loss ML.NET's evaluator reports).
    private Tensor ScoringLogits(Tensor input) => options.TestTime.Views is { IsActive: true } views
        ? views.Average(nn.functional.softmax(model.call(views.Views(input)), 1)).log()
        : model.call(input);

    /// <summary>One validation pass: mean cross-entropy (log-loss), accuracy and macro accuracy.</summary>
    internal sealed record Validation(double Loss, double Accuracy, double MacroAccuracy)
    {
        /// <summary>The measure to maximise: accuracy, macro accuracy, or the negated log-loss.</summary>
        public double Score(CnnSelectionMetric metric) => metric switch
        {
            CnnSelectionMetric.MacroAccuracy => MacroAccuracy,
            CnnSelectionMetric.LogLoss => -Loss,
            _ => Accuracy,
        };
    }

    private static string Describe(CnnSelectionMetric metric) => metric switch
    {
        CnnSelectionMetric.MacroAccuracy => "macro accuracy",
        CnnSelectionMetric.LogLoss => "log-loss",
        _ => "accuracy",
    };

    // The bf16 copy of the network for mixed precision; null in float32.
    private MixedPrecisionCopy? LowPrecisionCopy() => format.MixedPrecision ? new MixedPrecisionCopy(model, format.TrainingPrecision) : null;

    // One batch forward and backward in the run's format: on the bf16 copy, whose gradients land on the float32 masters, in
    // mixed precision; on the model itself in float32.
    private (Tensor Loss, Tensor Logits) ForwardBackward(Tensor images, Tensor targets, MixedPrecisionCopy? lowPrecision)
    {
        var network = lowPrecision?.Load() ?? model;
        var (loss, logits) = network.TrainingForward(format.TrainingInput(images), targets, Criterion);
        loss.backward();
        lowPrecision?.Store();
        return (loss, logits);
    }

    // Hard labels: cross-entropy with the class weights and label smoothing. Soft targets (MixUp, CutMix, smoothing already in
    // them): -sum_c w_c t_c log p_c, averaged over the batch, as PyTorch's cross-entropy with probability targets.
    private Tensor Criterion(Tensor logits, Tensor targets)
    {
        logits = logits.to(ScalarType.Float32);   // the loss is float32 whatever the passes compute in
        if (targets.dtype != ScalarType.Float32)
            return nn.functional.cross_entropy(logits, targets, weight: classWeights, label_smoothing: options.Regularization.LabelSmoothing);
        var weighted = classWeights is null ? targets : targets * classWeights;
        return -(weighted * nn.functional.log_softmax(logits, 1)).sum(1).mean();
    }

    private Tensor Prepare(Tensor raw, Generator? generator, bool augment)
    {
        var x = normalizer.ScaleOnly(raw);
        if (augment && generator is not null && augmentation.IsActive)
            x = augmentation.Apply(x, generator);
        return normalizer.Standardize(x);
    }

    private static Dictionary<string, Tensor> CopyOf(Dictionary<string, Tensor> weights, Dictionary<string, Tensor>? previous)
    {
        if (previous is not null)
            foreach (var value in previous.Values)
                value.Dispose();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();  // takes the detached views; the clones leave it
        return weights.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private void Info(string message) => log?.Info(MessageSensitivity.None, message);
}
