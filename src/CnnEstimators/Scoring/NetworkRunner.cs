using MLNetCnn.Zoo;
using TorchSharp;
using static TorchSharp.torch;

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
/// Runs a network over batches of raw images (<c>N x C x H x W</c> bytes or floats, before the model's preprocessing)
/// to row-major <c>N x Width</c> values.
/// </summary>
internal abstract class NetworkRunner : IDisposable
{
    protected NetworkRunner(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output)
    {
        Model = model;
        Preprocessing = preprocessing;
        Output = output;
    }

    protected CnnModel Model { get; }

    protected CnnPreprocessing Preprocessing { get; }

    protected NetworkOutput Output { get; }

    /// <summary>Values per row.</summary>
    public int Width => Output == NetworkOutput.Probabilities ? Model.NumClasses : Model.NumFeatures;

    /// <summary>Picks the engine: <see cref="CnnInferenceEngine.Auto"/> is ONNX Runtime for a model on the CPU, TorchSharp on CUDA.</summary>
    public static NetworkRunner Create(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, CnnInferenceEngine engine)
    {
        var onCpu = model.parameters().First().device_type == DeviceType.CPU;
        return engine == CnnInferenceEngine.OnnxRuntime || (engine == CnnInferenceEngine.Auto && onCpu)
            ? new OnnxRuntimeRunner(model, preprocessing, output)
            : new TorchSharpRunner(model, preprocessing, output);
    }

    /// <summary>Called when a cursor or prediction engine starts scoring: the network's current weights are the ones used.</summary>
    public virtual void BeginScoring()
    {
    }

    /// <summary>Row-major <c>N x Width</c> values for a batch of raw images.</summary>
    public abstract float[] Run(PixelBatch batch);

    public virtual void Dispose()
    {
    }
}
