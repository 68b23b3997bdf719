using Google.Protobuf;
using MLNetCnn.Zoo;
using Onnx;

namespace MLNetCnn.Persistence;

/// <summary>
/// Turns a runner's batched graph (<c>N x C x H x W</c> in, <c>N x width</c> out) into the one-image graph the saved ML.NET
/// chain runs (<c>C x H x W</c> in, <c>width</c> out, and for classifiers the arg-max as a one-element index), without touching
/// its nodes: the saved model, float or int8, runs exactly the graph the transformer scores with.
/// </summary>
internal static class SingleImageGraph
{
    /// <summary>The metadata key under which a saved classifier's graph records the trainer options it was trained with (their JSON).</summary>
    public const string TrainerOptionsKey = "mlnetcnn.trainer_options";

    public static byte[] FromBatched(byte[] batched, string inputName, string outputName, string? argMaxName = null,
        IEnumerable<(string Key, string Value)>? metadata = null)
    {
        var model = ModelProto.Parser.ParseFrom(batched);
        foreach (var (key, value) in metadata ?? [])
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        var graph = model.Graph;
        var (input, output) = (graph.Input.Single(), graph.Output.Single());
        var imageDims = input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        var width = output.Type.TensorType.Shape.Dim[1].DimValue;
        var axes = new TensorProto { Name = "single_image_axes", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 0 } };
        graph.Initializer.Add(axes);

        graph.Node.Insert(0, Node("Unsqueeze", [inputName, axes.Name], input.Name));
        graph.Node.Add(Node("Squeeze", [output.Name, axes.Name], outputName));
        graph.Input.Clear();
        graph.Input.Add(OnnxGraph.FloatValue(inputName, false, imageDims));
        graph.Output.Clear();
        graph.Output.Add(OnnxGraph.FloatValue(outputName, false, width));
        if (argMaxName is not null)
        {
            var argMax = Node("ArgMax", [output.Name], argMaxName);
            argMax.Attribute.Add(OnnxGraph.Int("axis", 1));
            argMax.Attribute.Add(OnnxGraph.Int("keepdims", 0));
            graph.Node.Add(argMax);
            graph.Output.Add(OnnxGraph.Int64Value(argMaxName, false));
        }
        return model.ToByteArray();
    }

    private static NodeProto Node(string op, string[] inputs, string output) => OnnxGraph.NewNode($"single_image_{op}_{output}", op, inputs, output);
}
