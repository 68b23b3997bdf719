using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn.Data;
using MLNetCnn.Persistence;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// A CNN as a featurizer: adds a float vector column of the network's pre-logits features (or of a named
/// layer's output, flattened), computed lazily in batches with the model's preprocessing, for other ML.NET
/// trainers to learn from (transfer learning).
/// </summary>
public sealed class CnnFeaturizerTransformer : CnnBatchedTransformer, IDisposable
{
    private readonly object gate = new();
    private readonly PixelNormalizer? layerNormalizer;   // TorchSharp preprocessing, for a named layer only
    private readonly nn.Module<Tensor, Tensor>? layer;
    private readonly NetworkRunner? featuresRunner;

    internal CnnFeaturizerTransformer(CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string imageColumnName,
        string? layerName, int batchSize, bool skipUnreadableImages, CnnInferenceEngine engine)
    {
        Model = model;
        Preprocessing = preprocessing;
        OutputColumnName = outputColumnName;
        ImageColumnName = imageColumnName;
        LayerName = layerName;
        BatchSize = batchSize;
        SkipUnreadableImages = skipUnreadableImages;
        if (layerName is null)
        {
            featuresRunner = NetworkRunner.Create(model, preprocessing, NetworkOutput.Features, engine);
            ValuesPerRow = model.NumFeatures;
            return;
        }
        if (engine == CnnInferenceEngine.OnnxRuntime)
            throw new ArgumentException(
                $"A layer's output ('{layerName}') is computed with TorchSharp; ONNX Runtime runs the pre-logits features only. Use CnnInferenceEngine.Auto or TorchSharp.",
                nameof(engine));
        layerNormalizer = new PixelNormalizer(preprocessing, model.parameters().First().device);
        layer = model.named_modules().FirstOrDefault(m => m.name == layerName).module as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException(
                $"{model.Architecture} has no layer '{layerName}'. Layers: {string.Join(", ", model.named_modules().Select(m => m.name).Where(n => n.Length > 0).Take(20))}, ...",
                nameof(layerName));
        ValuesPerRow = LayerOutput(PixelBatch.Allocate(preprocessing, 1)).Length;   // one black image probes the layer's size
    }

    /// <summary>The network.</summary>
    public CnnModel Model { get; }

    /// <inheritdoc />
    public override CnnPreprocessing Preprocessing { get; }

    /// <summary>The output column: a vector of <see cref="ValuesPerRow"/> floats.</summary>
    public string OutputColumnName { get; }

    /// <inheritdoc />
    public override string ImageColumnName { get; }

    /// <summary>The layer whose output is taken (a state_dict-style module name), or null for the pre-logits features.</summary>
    public string? LayerName { get; }

    /// <inheritdoc />
    public override int BatchSize { get; }

    /// <inheritdoc />
    public override bool SkipUnreadableImages { get; }

    /// <summary>Length of the feature vector.</summary>
    public int ValuesPerRow { get; }

    private protected override int RowWidth => ValuesPerRow;

    private protected override int AddedColumnCount => 1;

    private protected override DataViewSchema AddColumns(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, ValuesPerRow));
        return builder.ToSchema();
    }

    /// <exception cref="NotSupportedException">A named layer was chosen: only the pre-logits features save.</exception>
    private protected override ITransformer SavedChain(MLContext ml, string onnxPath) => LayerName is null
        ? NativeScoringChain.BuildFeaturizer(ml, Model, Preprocessing, ImageColumnName, OutputColumnName, onnxPath)
        : throw new NotSupportedException($"Saving a featurizer of layer '{LayerName}' is not supported; only the pre-logits features (no layer name) save.");

    private protected override void BeginScoring() => featuresRunner?.BeginScoring();

    private protected override float[] Compute(PixelBatch batch) => featuresRunner?.Run(batch) ?? LayerOutput(batch);

    private protected override ValueGetter<TValue> Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current)
        => ScoreGetters.Vector<TValue>(current, OutputColumnName);

    private float[] LayerOutput(PixelBatch batch)
    {
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Model.eval();
            var x = layerNormalizer!.Apply(batch.ToTensor());
            Tensor? captured = null;
            // The layer's output lives in the forward's own dispose scope: keep a copy outside it.
            var hook = layer!.register_forward_hook((_, _, output) => { captured = output.detach().clone().DetachFromDisposeScope(); return output; });
            try
            {
                Model.call(x);
                return captured!.flatten(1).cpu().data<float>().ToArray();
            }
            finally
            {
                hook.remove();
                captured?.Dispose();
            }
        }
    }

    /// <summary>Frees the inference session; the network belongs to the caller and is not disposed.</summary>
    public void Dispose() => featuresRunner?.Dispose();
}
