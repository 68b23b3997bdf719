using System.Diagnostics;
using Microsoft.ML;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// Trains each candidate architecture on the same data and ranks them on validation data, like ML.NET AutoML's
/// experiments: the lecture's "comparing complexity" (accuracy against operations and parameters) on your images.
/// A run that fails is recorded, not fatal.
/// </summary>
public sealed class CnnExperiment
{
    private readonly MLContext context;
    private readonly CnnExperimentSettings settings;

    internal CnnExperiment(MLContext context, CnnExperimentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        this.context = context;
        this.settings = settings;
    }

    /// <summary>Runs every candidate (within the time budget) and evaluates it on <paramref name="validation"/>.</summary>
    /// <param name="train">Training data with a key label.</param>
    /// <param name="validation">Validation data, scored with ML.NET's evaluator.</param>
    /// <param name="progress">Reports each finished run.</param>
    public CnnExperimentResult Execute(IDataView train, IDataView validation, IProgress<CnnRunResult>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        var clock = Stopwatch.StartNew();
        var runs = new List<CnnRunResult>();
        foreach (var architecture in settings.Architectures)
        {
            if (settings.MaxExperimentTime is { } limit && clock.Elapsed >= limit)
                break;
            var run = Run(architecture, train, validation);
            runs.Add(run);
            progress?.Report(run);
        }
        return new CnnExperimentResult(runs, settings.OptimizingMetric);
    }

    private CnnRunResult Run(string architecture, IDataView train, IDataView validation)
    {
        var clock = Stopwatch.StartNew();
        CnnClassifierTransformer? model = null;
        try
        {
            var given = settings.TrainerOptions?.Invoke(architecture)
                ?? new CnnTrainerOptions { Model = new() { Architecture = architecture }, Schedule = new() { Epochs = settings.Epochs } };
            if (given.Model.Architecture != architecture || given.Model.Instance is not null)
                throw new ArgumentException(
                    $"TrainerOptions, asked for '{architecture}', returned options for '{given.Model.Instance?.Architecture ?? given.Model.Architecture}'; " +
                    "build the options for the architecture it is given (Model.Architecture = that name, Model.Instance unset).");
            // A copy with the experiment's label column: the caller's options are left as they are.
            var options = given with { Columns = given.Columns with { Label = settings.LabelColumnName } };
            model = context.MulticlassClassification.Trainers.Cnn(options).Fit(train);
            var trainTime = clock.Elapsed;
            var metrics = context.MulticlassClassification.Evaluate(model.Transform(validation), settings.LabelColumnName);
            var p = model.Preprocessing;
            var summary = CnnZoo.Summarize(model.Model, p.Channels, p.Height, p.Width);
            return new CnnRunResult(architecture, metrics.MicroAccuracy, metrics.LogLoss, summary.TotalParameters, summary.TotalMacs, trainTime,
                model.History.Count > 0 ? model.History[^1].ImagesPerSecond : 0, null, model);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            model?.Dispose();
            return new CnnRunResult(architecture, null, null, 0, 0, clock.Elapsed, 0, e, null);
        }
    }
}
