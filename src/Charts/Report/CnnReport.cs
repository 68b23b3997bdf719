using System.Globalization;
using Microsoft.ML;
using MLNetCnn.Charts.Report;
using MLNetCnn.Zoo;

namespace MLNetCnn.Charts;

/// <summary>
/// A report as one self-contained HTML file (images embedded, no script, nothing fetched from the internet): for a trained
/// classifier on a test set, or for an architecture experiment.
/// </summary>
public static class CnnReport
{
    // Two charts side by side on a wide page.
    private const int ChartWidth = 640;
    private const int ChartHeight = 420;

    /// <summary>
    /// Writes the report of <paramref name="classifier"/> on <paramref name="testData"/>: summary (architecture, parameters,
    /// MACs, data sizes, training time, images/s), training curves, the confusion matrix as a heat map, per-class precision,
    /// recall and F1, and the most confident mistakes with their Grad-CAM overlays.
    /// </summary>
    /// <param name="htmlPath">The file to write (whole or not at all); its folder must exist.</param>
    /// <param name="classifier">A trained classifier.</param>
    /// <param name="testData">Labelled images with the classifier's image column and a text (or text-keyed) label column.</param>
    /// <param name="options">Title, label column, number of mistakes shown, training facts the classifier does not know.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="htmlPath"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">The test set is empty.</exception>
    /// <exception cref="ArgumentException">The label column is missing, or names classes the model does not know.</exception>
    public static void Write(string htmlPath, CnnClassifierTransformer classifier, IDataView testData, CnnReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(testData);
        options ??= new CnnReportOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Mistakes);
        var path = CheckPath(htmlPath);
        var ml = new MLContext(seed: 1);
        var scoring = TestSetScoring.Score(ml, classifier, testData, options.LabelColumnName, options.Mistakes);
        var classes = classifier.LabelValues;
        var p = classifier.Preprocessing;
        var model = classifier.Model;
        var summary = CnnZoo.Summarize(model, p.Channels, p.Height, p.Width);
        var c = CultureInfo.InvariantCulture;
        var history = classifier.History;
        var trainingTime = options.TrainingTime ?? TimeSpan.FromSeconds(history.Sum(e => e.Seconds));

        var page = new HtmlPage(options.Title ?? $"{model.Architecture} on {scoring.Rows:N0} test images");
        page.Heading("Summary").Facts([
            ("architecture", model.Architecture),
            ("input", $"{p.Channels} x {p.Height} x {p.Width}"),
            ("parameters", summary.TotalParameters.ToString("N0", c)),
            ("multiply-accumulates per image", summary.TotalMacs.ToString("N0", c)),
            ("classes", string.Join(", ", classes)),
            ("training images", options.TrainingImages?.ToString("N0", c) ?? "not given"),
            ("test images", scoring.Rows.ToString("N0", c)),
            ("epochs", history.Count.ToString(c)),
            ("training time", history.Count > 0 || options.TrainingTime is not null ? $"{trainingTime.TotalSeconds:F1} s" : "not known"),
            ("training images/s", history.Count > 0 ? history.Average(e => e.ImagesPerSecond).ToString("F0", c) : "not known"),
            ("test accuracy", scoring.Metrics.MicroAccuracy.ToString("P2", c)),
            ("test macro accuracy", scoring.Metrics.MacroAccuracy.ToString("P2", c)),
            ("test log-loss", scoring.Metrics.LogLoss.ToString("F4", c)),
        ]);
        if (history.Count > 0)
        {
            page.Heading("Training curves").Image(TrainingCurvesChart.ToPng(Histories(model.Architecture, history), TrainingCurve.TrainingLoss, ChartWidth, ChartHeight), "training loss per epoch and per step");
            if (history.Any(e => e.ValidationAccuracy is not null))
                page.Image(TrainingCurvesChart.ToPng(Histories(model.Architecture, history), TrainingCurve.ValidationError, ChartWidth, ChartHeight), "validation error per epoch");
            else
                page.Image(TrainingCurvesChart.ToPng(Histories(model.Architecture, history), TrainingCurve.TrainingError, ChartWidth, ChartHeight), "training error per epoch");
        }
        ConfusionMatrix(page, scoring, classes);
        Mistakes(page, classifier, scoring);
        page.Save(path);
        scoring.Mistakes.ForEach(m => m.Image.Dispose());
    }

    /// <summary>Writes the report of an architecture experiment: the leaderboard, the complexity chart and each run's curves.</summary>
    /// <param name="htmlPath">The file to write (whole or not at all); its folder must exist.</param>
    /// <param name="experiment">A finished experiment.</param>
    /// <param name="options">The title.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="htmlPath"/> does not exist.</exception>
    /// <exception cref="ArgumentException">No run succeeded.</exception>
    public static void Write(string htmlPath, CnnExperimentResult experiment, CnnReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var path = CheckPath(htmlPath);
        var c = CultureInfo.InvariantCulture;
        var succeeded = experiment.Runs.Where(r => r.Exception is null).OrderByDescending(r => r.Accuracy).ToList();
        if (succeeded.Count == 0)
            throw new ArgumentException($"The experiment has no successful run to report ({experiment.Runs.Count} run(s), all failed).", nameof(experiment));
        var page = new HtmlPage(options?.Title ?? "Architecture comparison");
        page.Heading("Leaderboard").Table("leaderboard",
            ["rank", "architecture", "accuracy", "log-loss", "parameters", "G-MACs", "training s", "images/s"],
            succeeded.Select((r, i) => (IReadOnlyList<string>)[(i + 1).ToString(c), r.Architecture, r.Accuracy?.ToString("P2", c) ?? "", r.LogLoss?.ToString("F4", c) ?? "",
                r.Parameters.ToString("N0", c), (r.Macs / 1e9).ToString("F3", c), r.TrainTime.TotalSeconds.ToString("F1", c), r.ImagesPerSecond.ToString("F0", c)]));
        foreach (var failed in experiment.Runs.Where(r => r.Exception is not null))
            page.Paragraph($"{failed.Architecture} failed: {failed.Exception!.Message.Split('\n')[0]}");
        page.Heading("Accuracy against operations").Image(ComplexityChart.ToPng(experiment, ChartWidth, ChartHeight), "validation accuracy against G-MACs, bubble area parameters");
        var histories = succeeded.Where(r => r.Model is { History.Count: > 0 })
            .ToDictionary(r => r.Architecture, r => r.Model!.History);
        if (histories.Count > 0)
            page.Heading("Training curves").Image(TrainingCurvesChart.ToPng(histories, TrainingCurve.TrainingLoss, ChartWidth, ChartHeight), "training loss per epoch and per step of each run");
        page.Save(path);
    }

    /// <summary>
    /// Writes the report of a search: the strategy, budget use and best trial; every trial with its status, epochs, validation metrics,
    /// latency and cost; the accuracy-latency front as a chart and a table; and the validation curves of the trials promoted past their first rung.
    /// </summary>
    /// <param name="htmlPath">The file to write (whole or not at all); its folder must exist.</param>
    /// <param name="search">A finished search.</param>
    /// <param name="options">The title.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="htmlPath"/> does not exist.</exception>
    public static void Write(string htmlPath, CnnSearchResult search, CnnReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(search);
        var path = CheckPath(htmlPath);
        var c = CultureInfo.InvariantCulture;
        var best = search.BestTrial;
        var page = new HtmlPage(options?.Title ?? "Architecture search");
        page.Heading("Summary").Facts([
            ("strategy", search.Strategy),
            ("trials", $"{search.Trials.Count} ({string.Join(", ", search.Trials.GroupBy(t => t.Status).Select(g => $"{g.Count()} {g.Key}"))})"),
            ("wall time", $"{search.Elapsed.TotalSeconds:F0} s"),
            ("best trial", $"#{best.Number} {best.Candidate} at {best.ImageSize} px, {best.Epochs:0.#} epochs"),
            ("best validation accuracy", best.ValidationAccuracy?.ToString("P2", c) ?? "-"),
            ("best latency per image", best.LatencyMs is double l ? $"{l.ToString("F2", c)} ms" : "-"),
        ]);
        static IReadOnlyList<string> Row(CnnSearchTrial t, CultureInfo c) =>
        [
            t.Number.ToString(c), t.Candidate, t.ImageSize.ToString(c), t.Status.ToString(), t.Epochs.ToString("0.#", c), t.ValidationAccuracy?.ToString("P2", c) ?? "-",
            t.ValidationMacroAccuracy?.ToString("P2", c) ?? "-", t.ValidationLogLoss?.ToString("F4", c) ?? "-", t.LatencyMs?.ToString("F2", c) ?? "-",
            t.Parameters.ToString("N0", c), (t.Macs / 1e6).ToString("F1", c), t.TrainSeconds.ToString("F1", c), t.Reason ?? "",
        ];
        string[] header = ["#", "network", "px", "status", "epochs", "accuracy", "macro accuracy", "log-loss", "latency ms", "parameters", "M-MACs", "training s", "reason"];
        if (search.Trials.Any(t => t.ValidationAccuracy is not null && t.LatencyMs is not null))
            page.Heading("Accuracy against latency").Image(SearchFrontChart.ToPng(search, ChartWidth, ChartHeight), "validation accuracy against latency, the front joined");
        page.Heading("Front").Paragraph("The trials no other trial beats on both validation accuracy and latency, fastest first.")
            .Table("front", header, search.Front.Select(t => Row(t, c)));
        page.Heading("Every trial").Table("trials", header, search.Trials.OrderByDescending(t => t.ValidationAccuracy ?? -1).Select(t => Row(t, c)));
        var promoted = search.Trials.Where(t => t.Rung >= 1 && t.History.Any(e => e.ValidationAccuracy is not null))
            .ToDictionary(t => $"#{t.Number} {t.Architecture} {t.ImageSize}px", t => t.History);
        if (promoted.Count > 0)
            page.Heading("Learning curves of the promoted trials")
                .Image(TrainingCurvesChart.ToPng(promoted, TrainingCurve.TrainingLoss, ChartWidth, ChartHeight), "training loss per epoch and per step of each trial promoted past its first rung")
                .Image(TrainingCurvesChart.ToPng(promoted, TrainingCurve.ValidationError, ChartWidth, ChartHeight), "validation error per epoch of each trial promoted past its first rung");
        page.Save(path);
    }

    private static Dictionary<string, IReadOnlyList<CnnEpochMetrics>> Histories(string name, IReadOnlyList<CnnEpochMetrics> history) => new() { [name] = history };

    private static void ConfusionMatrix(HtmlPage page, TestSetScoring scoring, IReadOnlyList<string> classes)
    {
        var c = CultureInfo.InvariantCulture;
        var matrix = scoring.Metrics.ConfusionMatrix;
        var counts = matrix.Counts;
        page.Heading("Confusion matrix").Paragraph("Rows: the true class; columns: the predicted class; shading: the share of the row.");
        page.Table("confusion", ["true \\ predicted", .. classes],
            classes.Select((name, i) => (IReadOnlyList<string>)[name, .. counts[i].Select(n => n.ToString("N0", c))]),
            (row, column) => column == 0 || counts[row].Sum() == 0 ? null : counts[row][column - 1] / counts[row].Sum());
        page.Heading("Per class").Table("per-class", ["class", "precision", "recall", "F1", "images"],
            classes.Select((name, i) =>
            {
                var (precision, recall) = (matrix.PerClassPrecision[i], matrix.PerClassRecall[i]);
                var f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
                return (IReadOnlyList<string>)[name, precision.ToString("P1", c), recall.ToString("P1", c), f1.ToString("P1", c), counts[i].Sum().ToString("N0", c)];
            }));
    }

    private static void Mistakes(HtmlPage page, CnnClassifierTransformer classifier, TestSetScoring scoring)
    {
        if (scoring.Mistakes.Count == 0)
            return;
        page.Heading("Most confident mistakes")
            .Paragraph("Each picture, then where the network looked (Grad-CAM) when it chose the wrong class.");
        page.Gallery(scoring.Mistakes.SelectMany(m =>
        {
            var explanation = m.Pixels is null ? classifier.Explain(m.Image, label: m.Predicted) : classifier.Explain(m.Pixels, label: m.Predicted);
            var caption = string.Create(CultureInfo.InvariantCulture, $"{m.Actual} taken for {m.Predicted} ({m.Probability:P0})");
            return new[] { (TestSetScoring.Png(m.Image), caption), (explanation.OverlayPng(m.Image), $"Grad-CAM ({explanation.Layer}): {m.Predicted}") };
        }));
    }

    private static string CheckPath(string htmlPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(htmlPath);
        var path = Path.GetFullPath(htmlPath);
        var folder = Path.GetDirectoryName(path);
        if (folder is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write the report '{path}': folder '{folder}' does not exist.");
        return path;
    }
}
