using System.Globalization;
using System.Text.Json;

namespace MLNetCnn.Cli.Predict;

/// <summary>Writes each image's top-k classes as CSV (a header, then one line per image) or JSON lines.</summary>
internal sealed class PredictionWriter(TextWriter writer, string format, int topK)
{
    public void WriteHeader()
    {
        if (format == "csv")
            writer.WriteLine(string.Join(",", ["path", .. Enumerable.Range(1, topK).SelectMany(k => new[] { $"label{k}", $"probability{k}" })]));
    }

    public void Write(string path, IReadOnlyList<(string Label, float Probability)> top)
    {
        var c = CultureInfo.InvariantCulture;
        if (format == "csv")
            writer.WriteLine(string.Join(",", [CsvField.Escape(path), .. top.SelectMany(t => new[] { CsvField.Escape(t.Label), t.Probability.ToString("G6", c) })]));
        else
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                path,
                predictions = top.Select(t => new { label = t.Label, probability = Math.Round(t.Probability, 6) }),
            }));
    }
}
