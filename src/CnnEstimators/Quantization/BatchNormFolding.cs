using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>
/// Folds each batch normalisation that follows a convolution into the convolution's weights and bias, before quantization:
/// the int8 weights then carry the normalisation's per-channel scale, and no float normalisation runs between int8 layers.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Folds every <c>Conv -&gt; BatchNormalization</c> pair where the convolution's output feeds only the normalisation.</summary>
    public static void Fold(GraphProto graph)
    {
        var initializers = OnnxTensors.Initializers(graph);
        var consumers = OnnxTensors.Consumers(graph);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var norm in graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (!producers.TryGetValue(norm.Input[0], out var conv) || conv.OpType != "Conv" || consumers[norm.Input[0]].Count != 1
                || !initializers.ContainsKey(conv.Input[1]) || norm.Input.Skip(1).Any(name => !initializers.ContainsKey(name)))
                continue;
            var (gamma, beta, mean, variance) = (Read(initializers, norm.Input[1]), Read(initializers, norm.Input[2]), Read(initializers, norm.Input[3]),
                Read(initializers, norm.Input[4]));
            var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var weight = initializers[conv.Input[1]];
            var weights = OnnxTensors.ReadFloats(weight);
            var perChannel = weights.Length / gamma.Length;
            var bias = conv.Input.Count > 2 ? Read(initializers, conv.Input[2]) : new float[gamma.Length];
            for (var c = 0; c < gamma.Length; c++)
            {
                // y = gamma (conv(x) + b - mean) / sqrt(var + eps) + beta = conv'(x) + b', computed in double for the division.
                var factor = gamma[c] / Math.Sqrt(variance[c] + epsilon);
                for (var i = c * perChannel; i < (c + 1) * perChannel; i++)
                    weights[i] = (float)(weights[i] * factor);
                bias[c] = (float)((bias[c] - mean[c]) * factor + beta[c]);
            }
            Replace(graph, initializers, OnnxTensors.Floats(weight.Name, weights, [.. weight.Dims]));
            var biasName = conv.Input.Count > 2 ? conv.Input[2] : conv.Input[1] + "_folded_bias";
            Replace(graph, initializers, OnnxTensors.Floats(biasName, bias, gamma.Length));
            if (conv.Input.Count == 2)
                conv.Input.Add(biasName);
            conv.Output[0] = norm.Output[0];
            graph.Node.Remove(norm);
        }
        OnnxTensors.RemoveUnusedInitializers(graph);
    }

    private static float[] Read(Dictionary<string, TensorProto> initializers, string name) => OnnxTensors.ReadFloats(initializers[name]);

    private static void Replace(GraphProto graph, Dictionary<string, TensorProto> initializers, TensorProto tensor)
    {
        if (initializers.Remove(tensor.Name, out var old))
            graph.Initializer.Remove(old);
        graph.Initializer.Add(tensor);
        initializers[tensor.Name] = tensor;
    }
}
