using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MLNetCnn.Charts;

/// <summary>What a training-curves chart plots per epoch.</summary>
public enum TrainingCurve
{
    /// <summary>Training error (1 - training accuracy), in percent: the lecture's degradation figure.</summary>
    TrainingError,

    /// <summary>Validation error (1 - validation accuracy), in percent; epochs without validation are skipped.</summary>
    ValidationError,

    /// <summary>Mean training loss.</summary>
    TrainingLoss,
}

/// <summary>Per-epoch curves of several training runs in one chart, e.g. plain against residual networks.</summary>
public static class TrainingCurvesChart
{
    /// <summary>Draws one line per run and writes the chart as a PNG file.</summary>
    /// <param name="histories">Run name to its epoch history (<see cref="CnnClassifierTransformer.History"/>).</param>
    /// <param name="pngPath">Where to write the PNG; its folder must exist.</param>
    /// <param name="curve">What to plot.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No history, or one without the epochs <paramref name="curve"/> needs.</exception>
    public static void Save(IReadOnlyDictionary<string, IReadOnlyList<CnnEpochMetrics>> histories, string pngPath,
        TrainingCurve curve = TrainingCurve.TrainingError, int width = 900, int height = 600)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        File.WriteAllBytes(pngPath, ToPng(histories, curve, width, height));   // rendered in memory first: written whole or not at all
    }

    /// <summary>Draws one line per run and returns the chart as PNG bytes.</summary>
    /// <param name="histories">Run name to its epoch history (<see cref="CnnClassifierTransformer.History"/>).</param>
    /// <param name="curve">What to plot.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">No history, or one without the epochs <paramref name="curve"/> needs.</exception>
    public static byte[] ToPng(IReadOnlyDictionary<string, IReadOnlyList<CnnEpochMetrics>> histories,
        TrainingCurve curve = TrainingCurve.TrainingError, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(histories);
        if (histories.Count == 0)
            throw new ArgumentException("Give at least one run's history to chart.", nameof(histories));

        var model = new PlotModel
        {
            Title = curve switch
            {
                TrainingCurve.TrainingError => "Training error per epoch",
                TrainingCurve.ValidationError => "Validation error per epoch",
                _ => "Training loss per epoch (and per step)",
            },
            TitleFontSize = 15,
        };
        var epochs = new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MajorStep = 1, MinorStep = 1 };   // whole epochs
        model.Axes.Add(epochs);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = curve == TrainingCurve.TrainingLoss ? "loss" : "error (%)" });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightMiddle, LegendPlacement = LegendPlacement.Inside });
        var index = 0;
        foreach (var (name, history) in histories)
        {
            var points = history.Select(e => (e.Epoch, Value: ValueOf(e, curve))).Where(p => p.Value is not null).ToList();
            if (points.Count == 0)
                throw new ArgumentException($"The history of '{name}' has no epoch with a {curve} value (validation data given to the trainer?).", nameof(histories));
            var colour = ChartColours.Palette[index++ % ChartColours.Palette.Count];
            if (curve == TrainingCurve.TrainingLoss && history.Any(e => e.StepLosses is { Count: > 0 }))
            {
                // Within each epoch, its steps spread evenly over (epoch - 1, epoch]: the last step's point falls on the epoch's mark.
                var steps = new LineSeries { Title = $"{name} (steps)", Color = OxyColor.FromAColor(110, colour), StrokeThickness = 1 };
                steps.Points.AddRange(history.Where(e => e.StepLosses is not null)
                    .SelectMany(e => e.StepLosses!.Select((loss, i) => new DataPoint(e.Epoch - 1 + (i + 1.0) / e.StepLosses!.Count, loss))));
                model.Series.Add(steps);
                epochs.Minimum = 0;   // the first epoch's steps start at 0
            }
            var line = new LineSeries { Title = name, Color = colour, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = colour };
            line.Points.AddRange(points.Select(p => new DataPoint(p.Epoch, p.Value!.Value)));
            model.Series.Add(line);
        }
        return ChartFile.Png(model, width, height);
    }

    private static double? ValueOf(CnnEpochMetrics epoch, TrainingCurve curve) => curve switch
    {
        TrainingCurve.TrainingError => (1 - epoch.TrainAccuracy) * 100,
        TrainingCurve.ValidationError => epoch.ValidationAccuracy is { } accuracy ? (1 - accuracy) * 100 : null,
        _ => epoch.TrainLoss,
    };
}
