using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace MLNetCnn.Charts.Report;

/// <summary>A mistake: the picture (and, for a vector classifier, the row's pixels), what it is, what the network said and how sure it was.</summary>
internal sealed record Mistake(MLImage Image, float[]? Pixels, string Actual, string Predicted, float Probability);

/// <summary>A classifier scored on a labelled test set: ML.NET's metrics and the most confident mistakes.</summary>
internal sealed class TestSetScoring
{
    private const string KeyColumn = "ReportLabelKey";
    private const string TextColumn = "ReportLabelText";

    private TestSetScoring(MulticlassClassificationMetrics metrics, long rows, List<Mistake> mistakes)
    {
        Metrics = metrics;
        Rows = rows;
        Mistakes = mistakes;
    }

    public MulticlassClassificationMetrics Metrics { get; }

    public long Rows { get; }

    /// <summary>Most confident first.</summary>
    public List<Mistake> Mistakes { get; }

    /// <exception cref="ArgumentException">The label column is missing or not text, or names classes the model does not know.</exception>
    /// <exception cref="InvalidDataException">The test set is empty.</exception>
    public static TestSetScoring Score(MLContext ml, CnnClassifierTransformer classifier, IDataView data, string labelColumn, int mistakesKept)
    {
        var text = LabelsAsText(ml, data, labelColumn);
        var classes = classifier.LabelValues;
        if (!text.Preview(1).RowView.Any())
            throw new InvalidDataException("The test set is empty: a report needs at least one labelled image.");
        var keyed = classifier.LabelKeys(ml, text, TextColumn, KeyColumn).Transform(text);
        var scored = classifier.Transform(keyed);
        var metrics = ml.MulticlassClassification.Evaluate(scored, KeyColumn, classifier.ScoreColumnName, classifier.PredictedLabelColumnName);
        return new TestSetScoring(metrics, (long)metrics.ConfusionMatrix.Counts.Sum(row => row.Sum()),
            ConfidentMistakes(scored, classifier, classes, mistakesKept));
    }

    private static IDataView LabelsAsText(MLContext ml, IDataView data, string labelColumn)
    {
        var column = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentException($"The test data has no label column '{labelColumn}'; its columns: {string.Join(", ", data.Schema.Select(c => c.Name))}.", nameof(data));
        if (column.Type is TextDataViewType)
            return ml.Transforms.CopyColumns(TextColumn, labelColumn).Fit(data).Transform(data);
        if (column.Type is KeyDataViewType && column.HasKeyValues())
            return ml.Transforms.Conversion.MapKeyToValue(TextColumn, labelColumn).Fit(data).Transform(data);
        throw new ArgumentException($"The label column '{labelColumn}' is {column.Type}; give text labels, or a key with text values.", nameof(data));
    }

    private static List<Mistake> ConfidentMistakes(IDataView scored, CnnClassifierTransformer classifier, IReadOnlyList<string> classes, int kept)
    {
        var mistakes = new List<Mistake>();
        if (kept == 0)
            return mistakes;
        var schema = scored.Schema;
        var imageColumn = schema[classifier.ImageColumnName];
        var vectors = classifier.Preprocessing.InputKind == CnnInputKind.Vector;
        using var cursor = scored.GetRowCursor([imageColumn, schema[KeyColumn], schema[classifier.ScoreColumnName]]);
        var imageGetter = vectors ? null : cursor.GetGetter<MLImage>(imageColumn);
        var vectorGetter = vectors ? cursor.GetGetter<VBuffer<float>>(imageColumn) : null;
        var vector = default(VBuffer<float>);
        var labelGetter = cursor.GetGetter<uint>(schema[KeyColumn]);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(schema[classifier.ScoreColumnName]);
        var scores = default(VBuffer<float>);
        uint label = 0;
        while (cursor.MoveNext())
        {
            labelGetter(ref label);
            scoreGetter(ref scores);
            var values = scores.DenseValues().ToArray();
            var predicted = Array.IndexOf(values, values.Max());
            if (label == 0 || predicted == label - 1)
                continue;
            if (mistakes.Count == kept && values[predicted] <= mistakes[^1].Probability)
                continue;
            if (vectorGetter is not null)
            {
                vectorGetter(ref vector);
                var pixels = vector.DenseValues().ToArray();
                mistakes.Add(new Mistake(Picture(pixels, classifier.Preprocessing.VectorShape!.Value), pixels, classes[(int)label - 1], classes[predicted], values[predicted]));
            }
            else
            {
                MLImage image = null!;   // a fresh variable: ML.NET's image getters dispose the value handed in
                imageGetter!(ref image);
                var copy = MLImage.CreateFromPixels(image.Width, image.Height, image.PixelFormat, image.Pixels);
                mistakes.Add(new Mistake(copy, null, classes[(int)label - 1], classes[predicted], values[predicted]));
            }
            mistakes.Sort((a, b) => b.Probability.CompareTo(a.Probability));
            if (mistakes.Count > kept)
            {
                mistakes[^1].Image.Dispose();
                mistakes.RemoveAt(mistakes.Count - 1);
            }
        }
        return mistakes;
    }

    /// <summary>A pixel vector (planar, grey or RGB) as a picture, its values stretched over 0-255 for display.</summary>
    private static MLImage Picture(float[] pixels, (int Channels, int Height, int Width) shape)
    {
        var (channels, height, width) = shape;
        var (low, high) = (pixels.Min(), pixels.Max());
        var scale = high > low ? 255f / (high - low) : 0f;
        var area = height * width;
        var rgba = new byte[4 * area];
        for (var i = 0; i < area; i++)
        {
            for (var c = 0; c < 3; c++)
                rgba[4 * i + c] = (byte)((pixels[(channels == 1 ? 0 : c) * area + i] - low) * scale);
            rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
    }

    /// <summary>The picture as PNG bytes.</summary>
    public static byte[] Png(MLImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, image.PixelFormat == MLPixelFormat.Bgra32 ? SKColorType.Bgra8888 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var pixels = image.Pixels.ToArray();
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
