using MLNetCnn.Zoo;
using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>
/// Rewrites a float graph into ONNX's QDQ form: a QuantizeLinear/DequantizeLinear pair on every activation that an
/// integer-capable operation reads, int8 weights per output channel and int32 biases behind DequantizeLinear. ONNX Runtime
/// fuses each <c>DQ -&gt; op -&gt; Q</c> group into its integer kernel (QLinearConv, QGemm, QLinearAdd, ...), and a ReLU
/// between an operation and a Q whose zero point is 0 disappears, so the network runs in integers end to end.
/// </summary>
internal static class QdqRewriter
{
    // Operations ONNX Runtime runs on 8-bit inputs, and which inputs of each are activations.
    private static readonly Dictionary<string, Func<NodeProto, IEnumerable<int>>> QuantizedInputs = new()
    {
        ["Conv"] = _ => [0],
        ["Gemm"] = _ => [0],
        ["Add"] = node => Enumerable.Range(0, node.Input.Count),
        ["Concat"] = node => Enumerable.Range(0, node.Input.Count),
        ["MaxPool"] = _ => [0],
        ["AveragePool"] = _ => [0],
        ["GlobalAveragePool"] = _ => [0],
    };

    /// <summary>Whether the graph already holds quantization operators.</summary>
    public static bool IsQuantized(GraphProto graph) => graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv");

    /// <summary>The activations to quantize: values, not weights or graph outputs, that an integer-capable operation reads.</summary>
    public static List<string> Activations(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet();
        var integers = IntegerValues(graph);
        return graph.Node
            .Where(node => QuantizedInputs.ContainsKey(node.OpType))
            .SelectMany(node => QuantizedInputs[node.OpType](node).Select(i => node.Input[i]))
            .Where(value => !initializers.Contains(value) && !outputs.Contains(value) && !integers.Contains(value))
            .Distinct()
            .ToList();
    }

    // Shape arithmetic (the test-time crops' Resize sizes: Shape, Slice, Concat) is int64, not an activation: the outputs of
    // Shape, and of any node whose first input is such a value or an integer initializer. Nodes are in topological order.
    private static HashSet<string> IntegerValues(GraphProto graph)
    {
        var integers = graph.Initializer.Where(t => t.DataType != (int)TensorProto.Types.DataType.Float).Select(t => t.Name).ToHashSet();
        foreach (var node in graph.Node)
            if (node.OpType == "Shape" || (node.Input.Count > 0 && integers.Contains(node.Input[0])))
                integers.UnionWith(node.Output);
        return integers;
    }

    /// <summary>Rewrites <paramref name="graph"/> in place, given each activation's calibrated range and the weights' bits (7 or 8).</summary>
    public static void Rewrite(GraphProto graph, IReadOnlyDictionary<string, (float Min, float Max)> ranges, int weightBits)
    {
        var weightLevels = (1 << (weightBits - 1)) - 1;
        var initializers = OnnxTensors.Initializers(graph);
        var activations = ranges.ToDictionary(r => r.Key, r => ActivationScale(r.Value));
        var nodes = graph.Node.ToList();
        var rewritten = new List<NodeProto>();
        var dequantized = new Dictionary<string, string>();   // value -> its DequantizeLinear output

        void QuantizeActivation(string value)
        {
            var (scale, zeroPoint) = activations[value];
            var scaleName = Add(graph, OnnxTensors.Floats(value + "_scale", [scale]));
            var zeroName = Add(graph, OnnxTensors.UInt8s(value + "_zero_point", [zeroPoint]));
            rewritten.Add(Node("QuantizeLinear", [value, scaleName, zeroName], value + "_quantized"));
            rewritten.Add(Node("DequantizeLinear", [value + "_quantized", scaleName, zeroName], value + "_dequantized"));
            dequantized[value] = value + "_dequantized";
        }

        foreach (var input in graph.Input.Where(i => activations.ContainsKey(i.Name)))
            QuantizeActivation(input.Name);
        foreach (var node in nodes)
        {
            if (node.OpType is "Conv" or "Gemm" && activations.TryGetValue(node.Input[0], out var input) && initializers.TryGetValue(node.Input[1], out var weight))
            {
                var weightScales = QuantizeWeights(graph, rewritten, node, weight, weightLevels);
                if (node.Input.Count > 2 && initializers.TryGetValue(node.Input[2], out var bias))
                    node.Input[2] = QuantizeBias(graph, rewritten, node, bias, input.Scale, weightScales);
            }
            for (var i = 0; i < node.Input.Count; i++)
                if (dequantized.TryGetValue(node.Input[i], out var replacement))
                    node.Input[i] = replacement;
            rewritten.Add(node);
            foreach (var output in node.Output.Where(activations.ContainsKey))
                QuantizeActivation(output);
        }
        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        OnnxTensors.RemoveUnusedInitializers(graph);
    }

    // Asymmetric uint8 over the range widened to hold 0 (zero padding and ReLU's zeros are exact); after a ReLU the zero point is 0.
    private static (float Scale, byte ZeroPoint) ActivationScale((float Min, float Max) range)
    {
        var (min, max) = (Math.Min(range.Min, 0f), Math.Max(range.Max, 0f));
        if (!(max - min > 1e-12f) || !float.IsFinite(max - min))
            return (1f, 0);
        var scale = (max - min) / 255f;
        return (scale, (byte)Math.Clamp(Math.Round(-min / scale), 0, 255));
    }

    // Symmetric per output channel (the first axis of a Conv weight and of a Gemm weight with transB = 1), zero point 0, by
    // default in 7 bits (ONNX Runtime's reduce_range; CnnQuantizationOptions.WeightBits). On CPUs without VNNI, MLAS multiplies uint8 activations by int8 weights with
    // vpmaddubsw, whose int16 pair sums saturate past 32,767: 255 x 127 x 2 does, 255 x 63 x 2 does not. The saturation cost
    // the ImageNet ResNet-18 featurizer its 0.99 feature cosine on an AVX2 machine (0.9897); a model quantized on a machine
    // with VNNI is scored wherever it is deployed, so by default the graph does not depend on the machine it was made on.
    private static float[] QuantizeWeights(GraphProto graph, List<NodeProto> rewritten, NodeProto node, TensorProto weight, int weightLevels)
    {
        if (node.OpType == "Gemm" && (OnnxTensors.Attribute(node, "transB", 0) != 1 || OnnxTensors.Attribute(node, "transA", 0) != 0))
            throw new NotSupportedException($"Quantizing Gemm node '{node.Name}' needs transA = 0 and transB = 1, as MLNetCnn exports it.");
        var values = OnnxTensors.ReadFloats(weight);
        var channels = (int)weight.Dims[0];
        var perChannel = values.Length / channels;
        var scales = new float[channels];
        var quantized = new sbyte[values.Length];
        for (var c = 0; c < channels; c++)
        {
            var row = values.AsSpan(c * perChannel, perChannel);
            var largest = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row));   // the signed value of largest magnitude
            scales[c] = largest > 0 ? largest / weightLevels : 1f;
            for (var i = 0; i < perChannel; i++)
                quantized[c * perChannel + i] = (sbyte)Math.Clamp(Math.Round(row[i] / scales[c]), -weightLevels, weightLevels);
        }
        var name = $"{node.Name}_{weight.Name}";
        Add(graph, OnnxTensors.Int8s(name + "_quantized", quantized, [.. weight.Dims]));
        Add(graph, OnnxTensors.Floats(name + "_scale", scales, channels));
        Add(graph, OnnxTensors.Int8s(name + "_zero_point", new sbyte[channels], channels));
        rewritten.Add(Node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], name + "_dequantized", axis: 0));
        node.Input[1] = name + "_dequantized";
        return scales;
    }

    // int32 with scale input scale x weight scale per channel, as the integer kernels accumulate.
    private static string QuantizeBias(GraphProto graph, List<NodeProto> rewritten, NodeProto node, TensorProto bias, float inputScale, float[] weightScales)
    {
        var values = OnnxTensors.ReadFloats(bias);
        var scales = weightScales.Select(w => w * inputScale).ToArray();
        var quantized = values.Select((v, c) => (int)Math.Clamp(Math.Round(v / scales[c]), int.MinValue, int.MaxValue)).ToArray();
        var name = $"{node.Name}_{bias.Name}";
        Add(graph, OnnxTensors.Int32s(name + "_quantized", quantized, values.Length));
        Add(graph, OnnxTensors.Floats(name + "_scale", scales, values.Length));
        Add(graph, OnnxTensors.Int32s(name + "_zero_point", new int[values.Length], values.Length));
        rewritten.Add(Node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], name + "_dequantized", axis: 0));
        return name + "_dequantized";
    }

    private static string Add(GraphProto graph, TensorProto tensor)
    {
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static NodeProto Node(string op, string[] inputs, string output, long? axis = null)
        => OnnxGraph.NewNode(output + "_node", op, inputs, output, axis is long a ? [OnnxGraph.Int("axis", a)] : []);
}
