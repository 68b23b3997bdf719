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

    /// <summary>
    /// ONNX Runtime on CPU over an int8 version of the network (post-training static quantization with the default
    /// <see cref="CnnQuantizationOptions"/>), calibrated when the estimator is fitted, on at most 256 rows spread over the data it is
    /// fitted on: the training data for the trainer, the fitted data for the featurizer. About 3x faster than <see cref="OnnxRuntime"/> on
    /// CPUs with int8 dot-product instructions (AVX-512 VNNI, AVX-VNNI); its top class agreed with the float network's on 99% or more of the images we measured (README). For other calibration data or
    /// options, fit with <see cref="OnnxRuntime"/> and call <see cref="CnnClassifierTransformer.Quantize"/>.
    /// </summary>
    OnnxRuntimeInt8,

    /// <summary>
    /// TorchSharp over a bf16 copy of the network (batch norms float32, channels-last batches, probabilities and features handed back in
    /// float32), on CPUs with bf16 units (AVX512_BF16, AMX-BF16) or CUDA; refused on other CPUs, where libtorch would emulate bf16 slowly.
    /// Scores differ from the float network's by bf16's rounding (about 1e-2 relative); measured speed in the README. The copy is
    /// rebuilt from the registry, so the model's architecture must be registered; the trained model itself stays float32.
    /// </summary>
    TorchSharpBFloat16,
}
