using Google.Protobuf;
using MLNetCnn.Scoring;
using MLNetCnn.Zoo;
using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>
/// Post-training static quantization of an ONNX graph MLNetCnn exported: batch norm folded into the convolutions, the
/// explicit padding moved into the layers, the activations' ranges calibrated on rows of the user's data, then the QDQ form (<see cref="QdqRewriter"/>).
/// </summary>
internal static class OnnxQuantizer
{
    /// <summary>The int8 graph of a network, calibrated on rows read as its transformer reads them (<see cref="CalibrationRows.Read"/>).</summary>
    public static byte[] QuantizeNetwork(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation testTime, CalibrationSet calibration)
        => Quantize(FloatGraph(model, preprocessing, output, testTime), calibration.Batches, calibration.Options);

    /// <summary>The float graph a runner scores with, which is quantized: a batch of raw pixels in, probabilities or features out.</summary>
    /// <exception cref="NotSupportedException">The model has no ONNX export.</exception>
    public static byte[] FloatGraph(CnnModel model, CnnPreprocessing preprocessing, NetworkOutput output, TestTimeAugmentation testTime) => model.CanExportOnnx
        ? OnnxRuntimeRunner.Graph(model, preprocessing, output, testTime)
        : throw new NotSupportedException($"{model.Architecture} ({model.GetType().Name}) has no ONNX export, so it cannot be quantized.");

    /// <summary>The int8 graph of the float graph <paramref name="onnx"/> (one float input, <c>N x C x H x W</c>).</summary>
    /// <exception cref="InvalidOperationException">The graph is quantized already.</exception>
    public static byte[] Quantize(byte[] onnx, IReadOnlyList<CalibrationBatch> batches, CnnQuantizationOptions options)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        if (QdqRewriter.IsQuantized(model.Graph))
            throw new InvalidOperationException("The model is quantized already; quantize the float model it came from.");
        BatchNormFolding.Fold(model.Graph);
        PadFolding.Fold(model.Graph);
        var activations = QdqRewriter.Activations(model.Graph);
        var ranges = ActivationCalibration.Ranges(model, activations, batches, options);
        QdqRewriter.Rewrite(model.Graph, ranges, options.WeightBits);
        return model.ToByteArray();
    }
}
