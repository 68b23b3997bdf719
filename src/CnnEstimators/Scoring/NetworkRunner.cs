using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Zoo;
using TorchSharp;

namespace MLNetCnn.Scoring;

/// <summary>What a network run gives per row.</summary>
internal enum NetworkOutput
{
    /// <summary>Softmax class probabilities.</summary>
    Probabilities,

    /// <summary>Pre-logits features.</summary>
    Features,
}

/// <summary>
/// Runs one network over batches of raw images (<c>N x C x H x W</c> bytes or floats, before the model's normalisation)
/// to row-major <c>N x width</c> values.
/// </summary>
internal abstract class NetworkRunner(CnnModel model, CnnPreprocessing preprocessing) : IBatchComputation
{
    protected CnnModel Model { get; } = model;

    protected CnnPreprocessing Preprocessing { get; } = preprocessing;

    /// <summary>
    /// Picks the engine: <see cref="CnnInferenceEngine.Auto"/> is ONNX Runtime for a model on the CPU that exports to ONNX, and
    /// TorchSharp otherwise (CUDA, or a model class of the user's own).
    /// </summary>
    /// <exception cref="NotSupportedException">ONNX Runtime was asked for a model that has no ONNX export, or bf16 where it cannot run (see <see cref="ComputeFormat.RequireBFloat16Scoring"/>).</exception>
    /// <param name="model">The network.</param>
    /// <param name="preprocessing">How raw pixels become its input.</param>
    /// <param name="output">Probabilities or features.</param>
    /// <param name="engine">What runs it.</param>
    /// <param name="testTime">The views of each image whose probabilities are averaged; null for the image alone.</param>
    /// <param name="quantizedGraph">The network's int8 graph, which only ONNX Runtime runs; null for the float network. <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/> needs it.</param>
    public static NetworkRunner Create(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, CnnInferenceEngine engine, TestTimeAugmentation? testTime = null,
        byte[]? quantizedGraph = null)
    {
        if (quantizedGraph is not null)
            return engine is not (CnnInferenceEngine.TorchSharp or CnnInferenceEngine.TorchSharpBFloat16)
                ? new OnnxRuntimeRunner(model, preprocessing, output, testTime, quantizedGraph)
                : throw new NotSupportedException($"An int8 model runs in ONNX Runtime only; use CnnInferenceEngine.Auto or OnnxRuntimeInt8, or score the float model with {engine}.");
        var device = model.parameters().First().device_type;
        if (engine == CnnInferenceEngine.TorchSharpBFloat16)
        {
            ComputeFormat.RequireBFloat16Scoring(device, model.Architecture, assumeUnits: null);
            return new BFloat16Runner(model, preprocessing, output, testTime);
        }
        if (engine == CnnInferenceEngine.OnnxRuntimeInt8)
            throw new InvalidOperationException("The int8 engine needs the calibrated graph; the estimator quantizes before it creates the runner.");
        if (engine == CnnInferenceEngine.OnnxRuntime && !model.CanExportOnnx)
            throw new NotSupportedException(
                $"{model.Architecture} ({model.GetType().Name}) has no ONNX export, so ONNX Runtime cannot run it; use CnnInferenceEngine.Auto or TorchSharp.");
        var onCpu = device == DeviceType.CPU;
        return engine == CnnInferenceEngine.OnnxRuntime || (engine == CnnInferenceEngine.Auto && onCpu && model.CanExportOnnx)
            ? new OnnxRuntimeRunner(model, preprocessing, output, testTime)
            : new TorchSharpRunner(model, preprocessing, output, testTime);
    }

    /// <summary>Called when a cursor or prediction engine starts scoring: the network's current weights are the ones used.</summary>
    public virtual void BeginScoring()
    {
    }

    public abstract float[] Run(PixelBuffer batch);

    public virtual void Dispose()
    {
    }
}
