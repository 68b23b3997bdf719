using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetCnn.Data;
using MLNetCnn.Internal;
using MLNetCnn.Quantization;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>
/// Estimator of <see cref="CnnFeaturizerTransformer"/>: <c>mlContext.Transforms.CnnFeaturize(...)</c>. The network is
/// already trained, so fitting only checks the image column (and, with <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/>, calibrates the
/// int8 network on rows of the fitted data).
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Does this estimator need to look at the data to train its parameters?</term><description>No; with the int8 engine it calibrates on up to 256 rows</description></item>
/// <item><term>Input column</term><description>MLImage, or a float vector of C*H*W pixels (as in the preprocessing)</description></item>
/// <item><term>Output column</term><description>Vector of Single: pre-logits features, or a named layer's output flattened</description></item>
/// <item><term>Exportable to ONNX / savable</term><description>Saves with <c>mlContext.Model.Save</c> (pre-logits features)</description></item>
/// </list>
/// </remarks>
public sealed class CnnFeaturizerEstimator : IEstimator<CnnFeaturizerTransformer>
{
    private readonly IHost host;
    private readonly CnnModel model;
    private readonly CnnPreprocessing preprocessing;
    private readonly string outputColumnName;
    private readonly string inputColumnName;
    private readonly string? layerName;
    private readonly int batchSize;
    private readonly CnnInferenceEngine engine;

    internal CnnFeaturizerEstimator(IHostEnvironment environment, CnnModel model, CnnPreprocessing preprocessing, string outputColumnName, string inputColumnName,
        string? layerName, int batchSize, CnnInferenceEngine engine)
    {
        host = environment.Register(nameof(CnnFeaturizerEstimator));
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1.");
        if (preprocessing.Channels != model.InChannels)
            throw new ArgumentException($"The preprocessing gives {preprocessing.Channels}-channel images but {model.Architecture} takes {model.InChannels}.", nameof(preprocessing));
        if (layerName is not null && engine is CnnInferenceEngine.OnnxRuntime or CnnInferenceEngine.OnnxRuntimeInt8 or CnnInferenceEngine.TorchSharpBFloat16)
            throw new ArgumentException(
                $"A layer's output ('{layerName}') is computed with TorchSharp in float32; ONNX Runtime runs (and int8 quantizes) and bf16 scores the pre-logits features only. " +
                "Use CnnInferenceEngine.Auto or TorchSharp.",
                nameof(engine));
        this.model = model;
        this.preprocessing = preprocessing;
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
        this.layerName = layerName;
        this.batchSize = batchSize;
        this.engine = engine;
    }

    /// <inheritdoc />
    public CnnFeaturizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        InputColumns.CheckImage(input.Schema, inputColumnName, preprocessing);
        Log(
            $"Featurizing '{inputColumnName}' with {model.Architecture} ({layerName ?? "pre-logits features"}) at {preprocessing.Channels}x{preprocessing.Height}x{preprocessing.Width}.");
        var quantized = engine == CnnInferenceEngine.OnnxRuntimeInt8 && layerName is null
            ? OnnxQuantizer.QuantizeNetwork(model, preprocessing, NetworkOutput.Features, TestTimeAugmentation.None,
                CalibrationRows.Read(input, inputColumnName, preprocessing, options: null))
            : null;
        return new CnnFeaturizerTransformer(model, preprocessing, outputColumnName, inputColumnName, layerName, batchSize, engine, quantized);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.Any(c => c.Name == inputColumnName))
            throw Messages.MissingColumn("image", inputColumnName, inputSchema.Select(c => c.Name), nameof(inputSchema));
        var output = MLNetInternals.NewColumn(outputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
        return new SchemaShape(inputSchema.Where(c => c.Name != outputColumnName).Append(output));
    }

    // Through the context's log, as ML.NET's own components report (mlContext.Log).
    private void Log(string message)
    {
        using var channel = host.Start(nameof(Log));
        channel.Info(MessageSensitivity.None, message);
    }
}
