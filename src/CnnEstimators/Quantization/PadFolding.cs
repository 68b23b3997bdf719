using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>
/// Moves explicit spatial padding (the ImageNet ResNet-18's CNTK-style asymmetric padding) into the padding attribute of the
/// convolution or max pool that reads it, so that ONNX Runtime's integer kernels take the whole layer: a Pad between a
/// DequantizeLinear and a convolution would keep that convolution in floats.
/// </summary>
internal static class PadFolding
{
    public static void Fold(GraphProto graph)
    {
        var initializers = OnnxTensors.Initializers(graph);
        var consumers = OnnxTensors.Consumers(graph);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var pad in graph.Node.Where(n => n.OpType == "Pad").ToList())
        {
            if (outputs.Contains(pad.Output[0]) || consumers.GetValueOrDefault(pad.Output[0]) is not [var next] || next.Input[0] != pad.Output[0]
                || pad.Attribute.Any(a => a.Name == "mode" && a.S.ToStringUtf8() != "constant")
                || !initializers.TryGetValue(pad.Input[1], out var padsTensor))
                continue;
            var pads = padsTensor.Int64Data.Count > 0 ? padsTensor.Int64Data.ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(padsTensor.RawData.Span).ToArray();
            var value = pad.Input.Count > 2 && initializers.TryGetValue(pad.Input[2], out var valueTensor) ? OnnxTensors.ReadFloats(valueTensor)[0] : 0f;
            // N x C x H x W: only H and W padded, with the value the next layer pads with itself (zeros for Conv, -inf for MaxPool).
            var fits = next.OpType switch
            {
                "Conv" => value == 0,
                "MaxPool" => float.IsNegativeInfinity(value),
                _ => false,
            };
            if (!fits || pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0))
                continue;
            var existing = next.Attribute.FirstOrDefault(a => a.Name == "pads");
            long[] current = existing is null ? [0, 0, 0, 0] : [.. existing.Ints];
            next.Attribute.Remove(existing);
            var combined = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
            combined.Ints.AddRange([current[0] + pads[2], current[1] + pads[3], current[2] + pads[6], current[3] + pads[7]]);
            next.Attribute.Add(combined);
            next.Input[0] = pad.Input[0];
            graph.Node.Remove(pad);
        }
        OnnxTensors.RemoveUnusedInitializers(graph);
    }
}
