using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Data;
using Spectre.Console;

namespace MLNetCnn.Cli;

/// <summary>A classifier's metrics on a labelled set, as ML.NET's evaluator computes them, with the confusion matrix by class name.</summary>
/// <param name="Images">Rows evaluated.</param>
/// <param name="MicroAccuracy">Fraction of images classified correctly.</param>
/// <param name="MacroAccuracy">Mean over classes of each class's accuracy (recall).</param>
/// <param name="LogLoss">Mean negative log-probability of the true class.</param>
/// <param name="Classes">Class names, in the confusion matrix's order.</param>
/// <param name="ConfusionMatrix">Counts: row = true class, column = predicted class.</param>
/// <param name="Precision">Per class.</param>
/// <param name="Recall">Per class.</param>
internal sealed record MetricsReport(
    long Images, double MicroAccuracy, double MacroAccuracy, double LogLoss, IReadOnlyList<string> Classes,
    IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix, IReadOnlyList<double> Precision, IReadOnlyList<double> Recall)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>From ML.NET's metrics; <paramref name="classes"/> are the model's classes in key order.</summary>
    public static MetricsReport From(MulticlassClassificationMetrics metrics, IReadOnlyList<string> classes)
    {
        var matrix = metrics.ConfusionMatrix;
        var counts = matrix.Counts.Select(row => (IReadOnlyList<long>)row.Select(c => (long)Math.Round(c)).ToArray()).ToArray();
        return new MetricsReport(counts.Sum(r => r.Sum()), metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, classes, counts,
            matrix.PerClassPrecision.ToArray(), matrix.PerClassRecall.ToArray());
    }

    /// <summary>The report as indented JSON (camelCase: <c>microAccuracy</c>, <c>macroAccuracy</c>, <c>logLoss</c>, ...).</summary>
    public string ToJson(IReadOnlyDictionary<string, object>? extra = null)
    {
        var node = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        foreach (var (key, value) in extra ?? new Dictionary<string, object>())
            node[key] = JsonSerializer.SerializeToNode(value, Json);
        return node.ToJsonString(Json);
    }

    /// <summary>Prints the figures and the confusion matrix as tables.</summary>
    public void Render(IAnsiConsole console)
    {
        var c = CultureInfo.InvariantCulture;
        console.WriteLine(string.Create(c, $"images {Images:N0}: accuracy {MicroAccuracy:P2} (macro {MacroAccuracy:P2}), log-loss {LogLoss:F4}"));
        var table = new Table().Title("confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ predicted");
        foreach (var name in Classes)
            table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned());
        for (var i = 0; i < Classes.Count; i++)
            table.AddRow([Markup.Escape(Classes[i]), .. ConfusionMatrix[i].Select(n => n.ToString(c)), Recall[i].ToString("P1", c)]);
        table.AddRow(["precision", .. Precision.Select(p => p.ToString("P1", c)), ""]);
        console.Write(table);
    }
}
