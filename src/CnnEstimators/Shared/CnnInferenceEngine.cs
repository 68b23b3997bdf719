namespace MLNetCnn;

/// <summary>What runs a trained network when MLNetCnn transformers score or featurize rows.</summary>
public enum CnnInferenceEngine
{
    /// <summary>
    /// ONNX Runtime on CPU (our ONNX export, batch norm folded by its graph optimiser, one session without spin-waiting
    /// threads), TorchSharp on CUDA: the faster of the two on each device (see the benchmarks in the README).
    /// </summary>
    Auto,

    /// <summary>TorchSharp, on the device the model is on.</summary>
    TorchSharp,

    /// <summary>ONNX Runtime on CPU over the network exported to ONNX, whatever device the model is on.</summary>
    OnnxRuntime,
}
