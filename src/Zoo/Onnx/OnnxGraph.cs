using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Builds an ONNX graph (OnnxSharp's protobuf classes) from the modules of a network, one node per
/// operation; initializer names are the state_dict keys, so the graph reads like the model.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<nn.Module, long[]> inputShapes;
    private int counter;

    public OnnxGraph(Dictionary<nn.Module, long[]> inputShapes) => this.inputShapes = inputShapes;

    public GraphProto Graph { get; } = new() { Name = "mlnetcnn" };

    /// <summary>A new value name.</summary>
    public string Fresh(string hint) => $"{hint}_{counter++}";

    /// <summary>The input shape the module saw when the network ran on the export size.</summary>
    public long[] InputShapeOf(nn.Module module) => inputShapes.TryGetValue(module, out var shape)
        ? shape
        : throw new InvalidOperationException($"{module.GetType().Name} did not run during export tracing.");

    public string Initializer(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        var proto = new TensorProto { Name = name, DataType = OnnxDataType(cpu.dtype) };
        proto.Dims.AddRange(cpu.shape);
        proto.RawData = ByteString.CopyFrom(cpu.bytes);
        Graph.Initializer.Add(proto);
        return name;
    }

    public string Int64s(string hint, params long[] values)
    {
        using var t = tensor(values);
        return Initializer(Fresh(hint), t);
    }

    public string Floats(string hint, float[] values, params long[] shape)
    {
        using var t = tensor(values, shape);
        return Initializer(Fresh(hint), t);
    }

    /// <summary>Adds a node; returns its (single) output name.</summary>
    public string Node(string op, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        var result = output ?? Fresh(op.ToLowerInvariant());
        Graph.Node.Add(NewNode(Fresh(op), op, inputs, result, attributes));
        return result;
    }

    /// <summary>
    /// A node of one output, not yet in any graph: the one way MLNetCnn makes ONNX nodes, for the exporter above and for the
    /// rewrites of finished graphs (the one-image graph, the QDQ quantizer) that insert nodes where they belong.
    /// </summary>
    public static NodeProto NewNode(string name, string op, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A float tensor value description, with a symbolic batch dimension N first when <paramref name="batched"/>.</summary>
    public static ValueInfoProto FloatValue(string name, bool batched, params long[] dims) => Value(name, TensorProto.Types.DataType.Float, batched, dims);

    /// <summary>An int64 value: one per row (shape <c>N</c>) when batched, else shape <c>1</c>.</summary>
    public static ValueInfoProto Int64Value(string name, bool batched) => Value(name, TensorProto.Types.DataType.Int64, batched, batched ? [] : [1]);

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, bool batched, long[] dims)
    {
        var shape = new TensorShapeProto();
        if (batched)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (var d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static int OnnxDataType(ScalarType type) => (int)(type switch
    {
        ScalarType.Float32 => TensorProto.Types.DataType.Float,
        ScalarType.Int64 => TensorProto.Types.DataType.Int64,
        _ => throw new NotSupportedException($"ONNX export of {type} tensors is not supported."),
    });
}
