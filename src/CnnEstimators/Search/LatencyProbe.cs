using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNetCnn.Search;

/// <summary>
/// Measures what a deployed classifier costs per request: one image at a time through an ML.NET <c>PredictionEngine</c>, as a web
/// service scores, the median of repeated calls after warm-up calls (the first builds ONNX Runtime's session).
/// </summary>
internal static class LatencyProbe
{
    private const int WarmUp = 3;
    private const int Repeats = 15;

    /// <summary>The median milliseconds per image of <paramref name="classifier"/> scoring the first row of <paramref name="rows"/>.</summary>
    public static double MedianMilliseconds(MLContext ml, CnnClassifierTransformer classifier, IDataView rows)
    {
        var column = rows.Schema.GetColumnOrNull(classifier.ImageColumnName)
            ?? throw new ArgumentException($"The data has no image column '{classifier.ImageColumnName}' to measure latency on.");
        var output = SchemaDefinition.Create(typeof(ScoreRow));
        output[nameof(ScoreRow.Score)].ColumnName = classifier.ScoreColumnName;
        PredictionEngineOptions Options(SchemaDefinition input) => new() { OwnsTransformer = false, InputSchemaDefinition = input, OutputSchemaDefinition = output };
        using var cursor = rows.GetRowCursor([column]);
        if (!cursor.MoveNext())
            throw new ArgumentException("The data has no rows to measure latency on.");
        if (column.Type is ImageDataViewType)
        {
            MLImage image = null!;
            cursor.GetGetter<MLImage>(column)(ref image);
            var input = SchemaDefinition.Create(typeof(ImageRow));
            var imageColumn = input[nameof(ImageRow.Image)];   // looked up by its name, so once, before renaming it
            imageColumn.ColumnName = column.Name;
            // ML.NET's input rows take an MLImage member only as an image type of a size registered for it (LoadImages's column is
            // unsized): the image's own size, registered as an [ImageType] attribute would.
            new ImageTypeAttribute(image.Height, image.Width).Register();
            imageColumn.ColumnType = new ImageDataViewType(image.Height, image.Width);
            return Measure(ml.Model.CreatePredictionEngine<ImageRow, ScoreRow>(classifier, Options(input)), new ImageRow { Image = image });
        }
        VBuffer<float> pixels = default;
        cursor.GetGetter<VBuffer<float>>(column)(ref pixels);
        var vector = SchemaDefinition.Create(typeof(VectorRow));
        var vectorColumn = vector[nameof(VectorRow.Image)];
        vectorColumn.ColumnName = column.Name;
        vectorColumn.ColumnType = column.Type;
        return Measure(ml.Model.CreatePredictionEngine<VectorRow, ScoreRow>(classifier, Options(vector)),
            new VectorRow { Image = pixels.DenseValues().ToArray() });
    }

    private static double Measure<TRow>(PredictionEngine<TRow, ScoreRow> engine, TRow row) where TRow : class
    {
        using (engine)
        {
            var result = new ScoreRow();
            for (var i = 0; i < WarmUp; i++)
                engine.Predict(row, ref result);
            var times = new double[Repeats];
            for (var i = 0; i < Repeats; i++)
            {
                var start = Stopwatch.GetTimestamp();
                engine.Predict(row, ref result);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(times);
            return times[Repeats / 2];
        }
    }

    private sealed class ImageRow
    {
        // ML.NET maps an MLImage member only with a size; the schema definition sets the image's own.
        [ImageType(1, 1)]
        public MLImage Image { get; set; } = null!;
    }

    private sealed class VectorRow
    {
        public float[] Image { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
