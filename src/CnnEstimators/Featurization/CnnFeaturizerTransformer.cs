using Microsoft.ML;
using MLNetCnn.Persistence;
using MLNetCnn.Quantization;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// A CNN as a featurizer: adds a float vector column of the network's pre-logits features (or of a named
/// layer's output, flattened), computed lazily in batches with the model's preprocessing, for other ML.NET
/// trainers to learn from (transfer learning).
/// </summary>
public sealed class CnnFeaturizerTransformer : CnnBatchedTransformer, IDisposable
{
    internal CnnFeaturizerTransformer(CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string imageColumnName,
        string? layerName, int batchSize, CnnInferenceEngine engine, byte[]? quantizedGraph = null)
        : base(CreateScoring(model, preprocessing, outputColumnName, imageColumnName, layerName, batchSize, engine, quantizedGraph))
    {
        Model = model;
        LayerName = layerName;
        QuantizedGraph = quantizedGraph;
    }

    /// <summary>The network.</summary>
    public CnnModel Model { get; }

    /// <summary>The output column: a vector of <see cref="ValuesPerRow"/> floats.</summary>
    public string OutputColumnName => Outputs.ColumnName;

    /// <summary>The layer whose output is taken (a state_dict-style module name), or null for the pre-logits features.</summary>
    public string? LayerName { get; }

    /// <summary>Length of the feature vector.</summary>
    public int ValuesPerRow => Outputs.ValuesPerRow;

    /// <summary>Whether the features come from an int8 graph (<see cref="Quantize"/>) in ONNX Runtime.</summary>
    public bool IsQuantized => QuantizedGraph is not null;

    private byte[]? QuantizedGraph { get; }

    private FeatureOutputs Outputs => (FeatureOutputs)Scoring.Outputs;

    /// <summary>
    /// Post-training static quantization: a featurizer that computes the features through an int8 version of the network in ONNX
    /// Runtime, calibrated on <paramref name="calibrationData"/> (see <see cref="CnnClassifierTransformer.Quantize"/>). Saves with
    /// <c>mlContext.Model.Save</c> as the int8 graph. The network stays the caller's and is shared.
    /// </summary>
    /// <param name="calibrationData">Rows with this featurizer's image column; at most <see cref="CnnQuantizationOptions.MaxCalibrationRows"/> are read.</param>
    /// <param name="options">The calibration method and row count; null for MinMax over 256 rows.</param>
    /// <exception cref="ArgumentException">The image column is missing or of another type, or the data has too few rows.</exception>
    /// <exception cref="ArgumentException">An option is out of range (the message lists each).</exception>
    /// <exception cref="InvalidOperationException">This featurizer is quantized already.</exception>
    /// <exception cref="NotSupportedException">A named layer is featurized (only the pre-logits features quantize), or the model has no ONNX export.</exception>
    public CnnFeaturizerTransformer Quantize(IDataView calibrationData, CnnQuantizationOptions? options = null)
    {
        if (IsQuantized)
            throw new InvalidOperationException("This featurizer is quantized already; quantize the float featurizer it came from.");
        if (LayerName is not null)
            throw new NotSupportedException(
                $"Only the pre-logits features quantize, not layer '{LayerName}': create the featurizer without a layer name, then quantize it.");
        var graph = OnnxQuantizer.QuantizeNetwork(Model, Preprocessing, NetworkOutput.Features, TestTimeAugmentation.None,
            CalibrationRows.Read(calibrationData, ImageColumnName, Preprocessing, options));
        return new CnnFeaturizerTransformer(Model, Preprocessing, OutputColumnName, ImageColumnName, null, BatchSize, CnnInferenceEngine.OnnxRuntimeInt8, graph);
    }

    /// <exception cref="NotSupportedException">A named layer was chosen: only the pre-logits features save.</exception>
    private protected override ITransformer SavedChain(MLContext ml, string onnxPath) => LayerName is null
        ? NativeScoringChain.Featurizer(ml, SingleImageGraph.FromBatched(
                QuantizedGraph ?? OnnxRuntimeRunner.Graph(Model, Preprocessing, NetworkOutput.Features, TestTimeAugmentation.None),
                NativeScoringChain.Pixels, OutputColumnName),
            Preprocessing, ImageColumnName, OutputColumnName, onnxPath)
        : throw new NotSupportedException($"Saving a featurizer of layer '{LayerName}' is not supported; only the pre-logits features (no layer name) save.");

    /// <summary>Frees the inference session; the network belongs to the caller and is not disposed.</summary>
    public void Dispose() => Scoring.Computation.Dispose();

    private static BatchScoring CreateScoring(CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string imageColumnName,
        string? layerName, int batchSize, CnnInferenceEngine engine, byte[]? quantizedGraph)
    {
        if (layerName is null)
            return new BatchScoring(imageColumnName, preprocessing, batchSize, SkipUnreadableImages: false,
                new FeatureOutputs(outputColumnName, model.NumFeatures),
                NetworkRunner.Create(model, preprocessing, NetworkOutput.Features, engine, quantizedGraph: quantizedGraph));
        // A layer's output is computed with TorchSharp whatever the engine (the estimator refuses ONNX Runtime for it).
        var layer = new LayerRunner(model, preprocessing, layerName);
        return new BatchScoring(imageColumnName, preprocessing, batchSize, SkipUnreadableImages: false, new FeatureOutputs(outputColumnName, layer.Width), layer);
    }
}
