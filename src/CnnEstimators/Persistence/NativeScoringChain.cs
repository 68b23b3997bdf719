using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;
using MLNetCnn.Scoring;

namespace MLNetCnn.Persistence;

/// <summary>
/// A third-party transformer cannot write its own state into an ML.NET model zip, so a trained CNN saves
/// itself as the equivalent chain of ML.NET's own transformers: resize and extract pixels (image columns),
/// <c>ApplyOnnxModel</c> over the network exported to ONNX (normalisation, softmax and arg-max inside the graph),
/// and a value-to-key map that gives PredictedLabel the label's key values. <c>mlContext.Model.Load</c> then
/// needs nothing of MLNetCnn, and the ONNX bytes travel inside the zip.
/// </summary>
internal static class NativeScoringChain
{
    private const string Resized = "__cnn_resized";
    private const string Grey = "__cnn_grey";
    private const string IndexHash = "__cnn_index_hash";

    /// <summary>The chain's pixel column: the input of the ONNX graph (one image, <c>C x H x W</c> floats).</summary>
    public const string Pixels = "__cnn_pixels";

    /// <summary>The graph's one-element arg-max output, mapped to PredictedLabel by the chain.</summary>
    public const string Index = "__cnn_index";

    /// <summary>A classifier's chain around its ONNX graph (<see cref="SingleImageGraph"/> of the runner's graph, or an ensemble's): pixels, the graph, the key map.</summary>
    public static ITransformer Classifier(MLContext ml, byte[] onnx, CnnPreprocessing p, string imageColumn, ClassifierOutputs outputs, string onnxPath)
    {
        var predictedKey = PredictedKey(ml, outputs);
        File.WriteAllBytes(onnxPath, onnx);
        var chain = PixelSteps(ml, p, imageColumn)
            .Append(ml.Transforms.ApplyOnnxModel([outputs.ScoreName, Index], [Pixels], onnxPath))
            .Append(predictedKey)
            .Append(ml.Transforms.DropColumns([.. IntermediateColumns(p), Index, IndexHash]));
        return chain.Fit(new EmptyDataView(InputSchema(imageColumn, p)));
    }

    /// <summary>The featurizer's chain around its ONNX graph (<see cref="SingleImageGraph"/> of the runner's graph): pixels, then the graph.</summary>
    public static ITransformer Featurizer(MLContext ml, byte[] onnx, CnnPreprocessing p, string imageColumn, string outputColumn, string onnxPath)
    {
        File.WriteAllBytes(onnxPath, onnx);
        var chain = PixelSteps(ml, p, imageColumn)
            .Append(ml.Transforms.ApplyOnnxModel([outputColumn], [Pixels], onnxPath))
            .Append(ml.Transforms.DropColumns(IntermediateColumns(p)));
        return chain.Fit(new EmptyDataView(InputSchema(imageColumn, p)));
    }

    // The pixel steps' columns, dropped at the end of the chain.
    private static string[] IntermediateColumns(CnnPreprocessing p) => p.InputKind == CnnInputKind.Image
        ? (p.Channels == 1 ? [Resized, Grey, Pixels] : [Resized, Pixels])
        : [Pixels];

    // The chain is fitted to a schema holding just the image column, as the trained network reads it.
    private static DataViewSchema InputSchema(string imageColumn, CnnPreprocessing p)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(imageColumn, p.InputKind == CnnInputKind.Image
            ? new ImageDataViewType()
            : new VectorDataViewType(NumberDataViewType.Single, p.VectorShape!.Value.Channels * p.VectorShape.Value.Height * p.VectorShape.Value.Width));
        return builder.ToSchema();
    }

    private static IEstimator<ITransformer> PixelSteps(MLContext ml, CnnPreprocessing p, string imageColumn)
    {
        if (p.InputKind == CnnInputKind.Vector)
        {
            var (c, h, w) = p.VectorShape!.Value;
            if (c != p.Channels || h != p.Height || w != p.Width)
                throw new NotSupportedException(
                    $"Saving with mlContext.Model.Save needs the vectors ({c}x{h}x{w}) at the network's input size ({p.Channels}x{p.Height}x{p.Width}); " +
                    "resize them before the trainer, or keep the model with SaveWeights.");
            return ml.Transforms.CopyColumns(Pixels, imageColumn);
        }
        var resize = ml.Transforms.ResizeImages(Resized, p.Width, p.Height, imageColumn, ImageResizingEstimator.ResizingKind.Fill);
        return p.Channels == 1
            ? resize.Append(ml.Transforms.ConvertToGrayscale(Grey, Resized))
                .Append(ml.Transforms.ExtractPixels(Pixels, Grey, ImagePixelExtractingEstimator.ColorBits.Red, interleavePixelColors: false))
            : resize.Append(ml.Transforms.ExtractPixels(Pixels, Resized, ImagePixelExtractingEstimator.ColorBits.Rgb,
                ImagePixelExtractingEstimator.ColorsOrder.ARGB, interleavePixelColors: false));
    }

    // Class index -> a key with the label's values, in the label's order. ApplyOnnxModel gives the index as a
    // one-element vector, and ML.NET has no public vector-to-scalar transform but hashing with Combine; the hash
    // of each index is computed here by the same transform, then mapped to the label's value as a key.
    private static IEstimator<ITransformer> PredictedKey(MLContext ml, ClassifierOutputs columns)
    {
        var names = columns.TextLabelValues() ?? throw Messages.LabelValuesNotText("Saving with mlContext.Model.Save", columns.LabelValuesDescription);

        var hash = ml.Transforms.Conversion.Hash(new HashingEstimator.ColumnOptions(IndexHash, Index, numberOfBits: 31, combine: true));
        var indices = ml.Data.LoadFromEnumerable(Enumerable.Range(0, columns.Classes).Select(i => new IndexRow { Index = [i] }));
        var codes = hash.Fit(indices).Transform(indices).GetColumn<uint>(IndexHash).ToArray();
        if (codes.Distinct().Count() != codes.Length)
            throw new NotSupportedException($"The class indices of {columns.Classes} classes collide when hashed; this model cannot be saved as an ML.NET chain.");
        var lookup = names.Select((name, i) => new KeyValuePair<uint, string>(codes[i], name)).ToList();
        return hash.Append(ml.Transforms.Conversion.MapValue(columns.PredictedLabelName, lookup, IndexHash, treatValuesAsKeyType: true));
    }

    private sealed class IndexRow
    {
        [VectorType(1)]
        [ColumnName(NativeScoringChain.Index)]
        public long[] Index { get; set; } = [];
    }
}
