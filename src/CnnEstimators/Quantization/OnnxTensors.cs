using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace MLNetCnn.Quantization;

/// <summary>Reading and writing the initializers of an ONNX graph: the weights the quantizer folds and converts.</summary>
internal static class OnnxTensors
{
    public static Dictionary<string, TensorProto> Initializers(GraphProto graph) => graph.Initializer.ToDictionary(t => t.Name);

    /// <summary>The values of a float initializer, whether written as raw bytes or as a float list.</summary>
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw new NotSupportedException($"Initializer '{tensor.Name}' holds {(TensorProto.Types.DataType)tensor.DataType} values, not floats.");
        return tensor.RawData.IsEmpty ? [.. tensor.FloatData] : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
    }

    public static TensorProto Floats(string name, float[] values, params long[] dims) => Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public static TensorProto Int8s(string name, sbyte[] values, params long[] dims) => Raw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public static TensorProto UInt8s(string name, byte[] values, params long[] dims) => Raw(name, TensorProto.Types.DataType.Uint8, values, dims);

    public static TensorProto Int32s(string name, int[] values, params long[] dims) => Raw(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>How many nodes read each value.</summary>
    public static Dictionary<string, List<NodeProto>> Consumers(GraphProto graph)
    {
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var node in graph.Node)
            foreach (var input in node.Input.Where(input => input.Length > 0))
            {
                if (!consumers.TryGetValue(input, out var list))
                    consumers[input] = list = [];
                if (!list.Contains(node))
                    list.Add(node);
            }
        return consumers;
    }

    public static void RemoveUnusedInitializers(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet();
        foreach (var unused in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
            graph.Initializer.Remove(unused);
    }

    public static long Attribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.I : fallback;
}
