using ScottPlot;

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
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        if (histories.Count == 0)
            throw new ArgumentException("Give at least one run's history to chart.", nameof(histories));

        var plot = new Plot();
        foreach (var (name, history) in histories)
        {
            var points = history.Select(e => (e.Epoch, Value: ValueOf(e, curve))).Where(p => p.Value is not null).ToList();
            if (points.Count == 0)
                throw new ArgumentException($"The history of '{name}' has no epoch with a {curve} value (validation data given to the trainer?).", nameof(histories));
            var line = plot.Add.Scatter(points.Select(p => (double)p.Epoch).ToArray(), points.Select(p => p.Value!.Value).ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        plot.Title(curve switch
        {
            TrainingCurve.TrainingError => "Training error per epoch",
            TrainingCurve.ValidationError => "Validation error per epoch",
            _ => "Training loss per epoch",
        });
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);   // whole epochs
        plot.YLabel(curve == TrainingCurve.TrainingLoss ? "loss" : "error (%)");
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(pngPath, width, height);
    }

    private static double? ValueOf(CnnEpochMetrics epoch, TrainingCurve curve) => curve switch
    {
        TrainingCurve.TrainingError => (1 - epoch.TrainAccuracy) * 100,
        TrainingCurve.ValidationError => epoch.ValidationAccuracy is { } accuracy ? (1 - accuracy) * 100 : null,
        _ => epoch.TrainLoss,
    };
}
