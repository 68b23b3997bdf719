using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static MLNetCnn.Zoo.OnnxGraph;

namespace MLNetCnn.Zoo;

/// <summary>ONNX nodes for the zoo's layers: convolution (with groups), batch norm, ReLU, LRN, pools, linear, dropout.</summary>
internal static class OnnxLayers
{
    /// <summary>Exports any module: composite ones through <see cref="IOnnxExportable"/>, Sequentials child by child, leaves here.</summary>
    public static string Export(this OnnxGraph g, nn.Module module, string input, string prefix)
    {
        switch (module)
        {
            case IOnnxExportable composite:
                return composite.ExportOnnx(g, input, prefix);
            case Sequential sequential:
                foreach (var (name, child) in sequential.named_children())
                    input = g.Export(child, input, $"{prefix}{name}.");
                return input;
            case Conv2d conv:
                return Conv(g, conv, input, prefix);
            case BatchNorm2d bn:
                return g.Node("BatchNormalization",
                    [input, g.Initializer(prefix + "weight", bn.weight!), g.Initializer(prefix + "bias", bn.bias!),
                     g.Initializer(prefix + "running_mean", bn.running_mean!), g.Initializer(prefix + "running_var", bn.running_var!)],
                    attributes: Float("epsilon", (float)bn.eps));
            case ReLU:
                return g.Node("Relu", [input]);
            case MaxPool2d pool:
                return g.Node("MaxPool", [input], attributes: PoolAttributes(pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding, pool.ceil_mode));
            case AvgPool2d pool:
                return g.Node("AveragePool", [input], attributes:
                    [.. PoolAttributes(pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding, pool.ceil_mode), Int("count_include_pad", pool.count_include_pad ? 1 : 0)]);
            case AdaptiveAvgPool2d adaptive:
                return AdaptiveAverage(g, adaptive, input);
            case LocalResponseNorm lrn:
                return g.Node("LRN", [input], attributes:
                    [Int("size", lrn.size), Float("alpha", (float)lrn.alpha), Float("beta", (float)lrn.beta), Float("bias", (float)lrn.k)]);
            case Linear linear:
                return Gemm(g, linear, input, prefix);
            case Dropout or Identity:
                return input;  // inference graph
            default:
                throw new NotSupportedException($"ONNX export has no rule for {module.GetType().Name} ('{prefix.TrimEnd('.')}').");
        }
    }

    public static string Flatten(this OnnxGraph g, string input) => g.Node("Flatten", [input], attributes: Int("axis", 1));

    public static string Add(this OnnxGraph g, string a, string b) => g.Node("Add", [a, b]);

    public static string Relu(this OnnxGraph g, string input) => g.Node("Relu", [input]);

    public static string Concat(this OnnxGraph g, IEnumerable<string> inputs) => g.Node("Concat", inputs, attributes: Int("axis", 1));

    private static string Conv(OnnxGraph g, Conv2d conv, string input, string prefix)
    {
        var inputs = new List<string> { input, g.Initializer(prefix + "weight", conv.weight) };
        if (conv.bias is not null)
            inputs.Add(g.Initializer(prefix + "bias", conv.bias));
        var padding = conv.padding ?? [0, 0];
        return g.Node("Conv", inputs, attributes:
        [
            Ints("kernel_shape", conv.kernel_size), Ints("strides", conv.stride), Ints("dilations", conv.dilation),
            Ints("pads", [padding[0], padding[1], padding[0], padding[1]]), Int("group", conv.groups),
        ]);
    }

    private static string Gemm(OnnxGraph g, Linear linear, string input, string prefix)
    {
        var inputs = new List<string> { input, g.Initializer(prefix + "weight", linear.weight) };
        if (linear.bias is not null)
            inputs.Add(g.Initializer(prefix + "bias", linear.bias));
        return g.Node("Gemm", inputs, attributes: Int("transB", 1));
    }

    private static AttributeProto[] PoolAttributes(long[] kernel, long[] stride, long[]? padding, bool ceil)
    {
        var pad = padding ?? [0, 0];
        return [Ints("kernel_shape", kernel), Ints("strides", stride), Ints("pads", [pad[0], pad[1], pad[0], pad[1]]), Int("ceil_mode", ceil ? 1 : 0)];
    }

    // Adaptive pooling at the traced input size: global pooling, identity, or in general the exact linear map
    // Y = A X B^T, where row i of A averages PyTorch's window [floor(i*h/oh), ceil((i+1)*h/oh)) of the rows.
    private static string AdaptiveAverage(OnnxGraph g, AdaptiveAvgPool2d pool, string input)
    {
        var shape = g.InputShapeOf(pool);
        var (h, w) = (shape[^2], shape[^1]);
        using var probe = zeros(1, 1, h, w);
        using var probed = pool.call(probe);
        var (oh, ow) = (probed.shape[^2], probed.shape[^1]);
        if (oh == 1 && ow == 1)
            return g.Node("GlobalAveragePool", [input]);
        if (oh == h && ow == w)
            return input;
        var rows = g.Node("MatMul", [g.Floats("adaptive_rows", AveragingMatrix(oh, h), oh, h), input]);
        var columns = AveragingMatrix(ow, w);
        var transposed = new float[w * ow];
        for (var i = 0; i < ow; i++)
            for (var j = 0; j < w; j++)
                transposed[j * ow + i] = columns[i * w + j];
        return g.Node("MatMul", [rows, g.Floats("adaptive_columns", transposed, w, ow)]);
    }

    private static float[] AveragingMatrix(long outputs, long inputs)
    {
        var matrix = new float[outputs * inputs];
        for (long i = 0; i < outputs; i++)
        {
            var start = i * inputs / outputs;
            var end = ((i + 1) * inputs + outputs - 1) / outputs;
            for (var j = start; j < end; j++)
                matrix[i * inputs + j] = 1f / (end - start);
        }
        return matrix;
    }
}
