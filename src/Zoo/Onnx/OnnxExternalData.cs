using Onnx;

namespace MLNetCnn.Zoo;

/// <summary>
/// Refuses ONNX graphs whose tensors live outside the graph. ONNX Runtime resolves external data relative to where the
/// graph was written (for an ML.NET model zip, a temporary folder; for a loose graph, the working directory), so a small
/// graph read from an untrusted file can make the process read any file it can open, or gigabytes of it. No graph MLNetCnn
/// writes has external data.
/// </summary>
internal static class OnnxExternalData
{
    /// <exception cref="InvalidDataException">A tensor of the graph, one of its nodes' attributes or a subgraph refers to external data; the message names it.</exception>
    public static void Refuse(ModelProto model, string where)
    {
        if (FirstExternal(model.Graph) is string tensor)
            throw new InvalidDataException(
                $"{where} is refused: its tensor '{tensor}' refers to external data, which would be read from outside the file. " +
                "MLNetCnn writes every graph with its tensors inside; use a graph saved by MLNetCnn, or embed the data before loading it.");
    }

    private static string? FirstExternal(GraphProto? graph)
    {
        if (graph is null)
            return null;
        foreach (var tensor in graph.Initializer.Concat(graph.SparseInitializer.SelectMany(s => new[] { s.Values, s.Indices })))
            if (IsExternal(tensor))
                return tensor.Name;
        foreach (var attribute in graph.Node.SelectMany(n => n.Attribute))
        {
            if (attribute.T is { } t && IsExternal(t))
                return t.Name;
            if (attribute.Tensors.FirstOrDefault(IsExternal) is { } listed)
                return listed.Name;
            if ((FirstExternal(attribute.G) ?? attribute.Graphs.Select(FirstExternal).FirstOrDefault(n => n is not null)) is string inner)
                return inner;
        }
        return null;
    }

    private static bool IsExternal(TensorProto? tensor)
        => tensor is not null && (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0);
}
