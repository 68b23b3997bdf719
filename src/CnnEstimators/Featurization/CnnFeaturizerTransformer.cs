using Microsoft.ML;
using MLNetCnn.Persistence;
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
        string? layerName, int batchSize, CnnInferenceEngine engine)
        : base(CreateScoring(model, preprocessing, outputColumnName, imageColumnName, layerName, batchSize, engine))
    {
        Model = model;
        LayerName = layerName;
    }

    /// <summary>The network.</summary>
    public CnnModel Model { get; }

    /// <summary>The output column: a vector of <see cref="ValuesPerRow"/> floats.</summary>
    public string OutputColumnName => Outputs.ColumnName;

    /// <summary>The layer whose output is taken (a state_dict-style module name), or null for the pre-logits features.</summary>
    public string? LayerName { get; }

    /// <summary>Length of the feature vector.</summary>
    public int ValuesPerRow => Outputs.ValuesPerRow;

    private FeatureOutputs Outputs => (FeatureOutputs)Scoring.Outputs;

    /// <exception cref="NotSupportedException">A named layer was chosen: only the pre-logits features save.</exception>
    private protected override ITransformer SavedChain(MLContext ml, string onnxPath) => LayerName is null
        ? NativeScoringChain.Featurizer(ml, Model, Preprocessing, ImageColumnName, OutputColumnName, onnxPath)
        : throw new NotSupportedException($"Saving a featurizer of layer '{LayerName}' is not supported; only the pre-logits features (no layer name) save.");

    /// <summary>Frees the inference session; the network belongs to the caller and is not disposed.</summary>
    public void Dispose() => Scoring.Computation.Dispose();

    private static BatchScoring CreateScoring(CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string imageColumnName,
        string? layerName, int batchSize, CnnInferenceEngine engine)
    {
        if (layerName is null)
            return new BatchScoring(imageColumnName, preprocessing, batchSize, SkipUnreadableImages: false,
                new FeatureOutputs(outputColumnName, model.NumFeatures), NetworkRunner.Create(model, preprocessing, NetworkOutput.Features, engine));
        if (engine == CnnInferenceEngine.OnnxRuntime)
            throw new ArgumentException(
                $"A layer's output ('{layerName}') is computed with TorchSharp; ONNX Runtime runs the pre-logits features only. Use CnnInferenceEngine.Auto or TorchSharp.",
                nameof(engine));
        var layer = new LayerRunner(model, preprocessing, layerName);
        return new BatchScoring(imageColumnName, preprocessing, batchSize, SkipUnreadableImages: false, new FeatureOutputs(outputColumnName, layer.Width), layer);
    }
}
