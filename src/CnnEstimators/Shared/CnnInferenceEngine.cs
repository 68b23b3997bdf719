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
}
