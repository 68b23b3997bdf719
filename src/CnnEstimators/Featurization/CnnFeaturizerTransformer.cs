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
public sealed class CnnFeaturizerTransformer : ITransformer, IBatchOutputs
{
    private readonly object gate = new();
    private readonly Device device;
    private readonly Tensor mean;
    private readonly Tensor std;
    private readonly nn.Module<Tensor, Tensor>? layer;

    internal CnnFeaturizerTransformer(CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string imageColumnName,
        string? layerName, int batchSize, bool skipUnreadableImages)
    {
        Model = model;
        Preprocessing = preprocessing;
        OutputColumnName = outputColumnName;
        ImageColumnName = imageColumnName;
        LayerName = layerName;
        BatchSize = batchSize;
        SkipUnreadableImages = skipUnreadableImages;
        device = model.parameters().First().device;
        mean = tensor(preprocessing.Mean.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
        std = tensor(preprocessing.Std.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
        if (layerName is not null)
        {
            layer = model.named_modules().FirstOrDefault(m => m.name == layerName).module as nn.Module<Tensor, Tensor>
                ?? throw new ArgumentException(
                    $"{model.Architecture} has no layer '{layerName}'. Layers: {string.Join(", ", model.named_modules().Select(m => m.name).Where(n => n.Length > 0).Take(20))}, ...",
                    nameof(layerName));
        }
        using var probe = zeros(1, preprocessing.Channels, preprocessing.Height, preprocessing.Width);
        ValuesPerRow = Features(probe).Length;
    }

    /// <summary>The network.</summary>
    public CnnModel Model { get; }

    /// <summary>How rows become network input.</summary>
    public CnnPreprocessing Preprocessing { get; }

    /// <summary>The output column: a vector of <see cref="ValuesPerRow"/> floats.</summary>
    public string OutputColumnName { get; }

    /// <summary>The image column read.</summary>
    public string ImageColumnName { get; }

    /// <summary>The layer whose output is taken (a state_dict-style module name), or null for the pre-logits features.</summary>
    public string? LayerName { get; }

    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>Whether unreadable images give NaN features instead of failing.</summary>
    public bool SkipUnreadableImages { get; }

    /// <summary>Length of the feature vector.</summary>
    public int ValuesPerRow { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    int IBatchOutputs.AddedColumns => 1;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        InputColumns.CheckImage(inputSchema, ImageColumnName, Preprocessing);
        return ((IBatchOutputs)this).OutputSchema(inputSchema);
    }

    DataViewSchema IBatchOutputs.OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, ValuesPerRow));
        return builder.ToSchema();
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        GetOutputSchema(inputSchema);
        return new BatchedRowMapper(this, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return new BatchedDataView(input, this);
    }

    /// <summary>Saves as ML.NET's own chain (pixels, <c>ApplyOnnxModel</c> over the network's feature graph); named layers cannot be saved.</summary>
    /// <exception cref="NotSupportedException">A named layer was chosen, or vector input needs resizing.</exception>
    public void Save(ModelSaveContext ctx)
    {
        if (LayerName is not null)
            throw new NotSupportedException($"Saving a featurizer of layer '{LayerName}' is not supported; only the pre-logits features (no layer name) save.");
        var onnx = Path.Combine(Path.GetTempPath(), $"mlnetcnn-{Guid.NewGuid():N}.onnx");
        try
        {
            ((ICanSaveModel)NativeScoringChain.BuildFeaturizer(new MLContext(), Model, Preprocessing, ImageColumnName, OutputColumnName, onnx)).Save(ctx);
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    float[] IBatchOutputs.Compute(Tensor rawImages) => Features(rawImages);

    ValueGetter<TValue> IBatchOutputs.Getter<TValue>(int addedColumn, ScoreGetters.Probabilities current)
        => ScoreGetters.Vector<TValue>(current, OutputColumnName);

    private float[] Features(Tensor rawImages)
    {
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Model.eval();
            var x = (rawImages.to(device).to_type(ScalarType.Float32) * Preprocessing.PixelScale - mean) / std;
            if (layer is null)
                return Model.ForwardFeatures(x).cpu().data<float>().ToArray();
            Tensor? captured = null;
            // The layer's output lives in the forward's own dispose scope: keep a copy outside it.
            var hook = layer.register_forward_hook((_, _, output) => { captured = output.detach().clone().DetachFromDisposeScope(); return output; });
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
}
