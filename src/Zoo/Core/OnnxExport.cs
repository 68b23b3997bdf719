using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>What the exported graph adds around the network.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Name of the graph input (<c>N x C x H x W</c> floats, dynamic batch).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>Name of the graph output.</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>Output the pre-logits features (<c>ForwardFeatures</c>) instead of logits; softmax and arg-max do not apply.</summary>
    public bool Features { get; init; }

    /// <summary>Output softmax probabilities instead of logits.</summary>
    public bool Softmax { get; init; }

    /// <summary>
    /// False exports one image per call: input <c>C x H x W</c>, outputs <c>classes</c> (and a one-element index), the shapes ML.NET's
    /// <c>ApplyOnnxModel</c> maps to vector columns (it cannot read rank-0 outputs). True (default) adds a dynamic batch dimension.
    /// </summary>
    public bool Batched { get; init; } = true;

    /// <summary>When set, a second output of this name holds each row's arg-max class index (int64: <c>N</c> batched, <c>1</c> unbatched).</summary>
    public string? ArgMaxOutputName { get; init; }

    /// <summary>Per-channel normalisation done inside the graph: <c>(x * scale - mean) / std</c>; null feeds the network directly.</summary>
    public PixelNormalization? Normalization { get; init; }

    /// <summary>
    /// Test-time augmentation: the network also runs on each image's other views (mirrored, cropped), and the outputs
    /// (probabilities with <see cref="Softmax"/>, else logits) are averaged; the arg-max reads the average. Not with <see cref="Features"/>.
    /// </summary>
    public TestTimeAugmentation TestTimeAugmentation { get; init; } = TestTimeAugmentation.None;
}

/// <summary>ONNX export of zoo networks (opset 13, dynamic batch dimension), written with OnnxSharp's protobuf classes.</summary>
internal static class OnnxExport
{
    private const int Opset = 13;

    public static byte[] Export(CnnModel model, int channels, int height, int width, OnnxExportOptions options)
    {
        var shapes = TraceInputShapes(model, channels, height, width, out var outputLength);
        var graph = new OnnxGraph(shapes);
        var batched = options.Batched;
        graph.Graph.Input.Add(OnnxGraph.FloatValue(options.InputName, batched, channels, height, width));
        var x = batched ? options.InputName : graph.Node("Unsqueeze", [options.InputName, graph.Int64s("axes", 0)]);
        if (options.Normalization is { } normalization)
            x = normalization.ExportOnnx(graph, x);
        var views = options.TestTimeAugmentation;
        if (options.Features && (options.Softmax || options.ArgMaxOutputName is not null || views.IsActive))
            throw new ArgumentException("Feature export has no softmax, arg-max or test-time augmentation: set Softmax = false, ArgMaxOutputName = null, " +
                "TestTimeAugmentation = None.", nameof(options));
        if (views.Problem(height, width) is string problem)
            throw new ArgumentException($"Cannot export: {problem}.", nameof(options));
        if (views.IsActive)   // every view of the batch in one run
            x = views.ExportViews(graph, x, height, width);
        var features = model.ExportFeatures(graph, x);
        if (options.Features)
            outputLength = model.NumFeatures;
        var logits = options.Features ? features : model.ExportHead(graph, features);
        var scores = options.Softmax ? graph.Node("Softmax", [logits], attributes: OnnxGraph.Int("axis", 1)) : logits;
        if (views.IsActive)
            logits = scores = views.ExportAverage(graph, scores, outputLength);
        graph.Node(batched ? "Identity" : "Squeeze", batched ? [scores] : [scores, graph.Int64s("axes", 0)], options.OutputName);
        graph.Graph.Output.Add(OnnxGraph.FloatValue(options.OutputName, batched, outputLength));
        if (options.ArgMaxOutputName is string argMax)
        {
            graph.Node("ArgMax", [logits], argMax, OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 0));
            graph.Graph.Output.Add(OnnxGraph.Int64Value(argMax, batched));
        }
        return ToModelBytes(graph, Identity(model));
    }

    /// <summary>The ONNX metadata keys that name the network a graph was exported from.</summary>
    public const string ArchitectureKey = "mlnetcnn.architecture", ArgumentsKey = "mlnetcnn.arguments";

    // The model's identity, so a reader of the graph can tell a variant (another depth or width) from the registered default.
    private static IEnumerable<(string Key, string Value)> Identity(CnnModel model)
    {
        yield return (ArchitectureKey, model.Architecture);
        if (ArchitectureArgumentsJson.Of(model.Arguments) is string arguments)
            yield return (ArgumentsKey, arguments);
    }

    /// <summary>The graph as a serialised ONNX model of our opset, with the given metadata.</summary>
    public static byte[] ToModelBytes(OnnxGraph graph, IEnumerable<(string Key, string Value)>? metadata = null)
    {
        var proto = new ModelProto { IrVersion = 8, ProducerName = "MLNetCnn", Graph = graph.Graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata ?? [])
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto.ToByteArray();
    }

    // One forward at the export size records each module's input shape (adaptive pooling needs it)
    // and checks the size is one the network takes.
    private static Dictionary<nn.Module, long[]> TraceInputShapes(CnnModel model, int channels, int height, int width, out long outputLength)
    {
        // The model's own input too: its modules() are its children, and a model's export may depend on the size it is exported at.
        var shapes = new Dictionary<nn.Module, long[]>(ReferenceEqualityComparer.Instance) { [model] = [1, channels, height, width] };
        var removers = new List<Action>();
        foreach (var module in model.modules().OfType<nn.Module<Tensor, Tensor>>())
        {
            var remover = module.register_forward_pre_hook((m, x) => { shapes[m] = x.shape; return x; });
            removers.Add(remover.remove);
        }
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = model.parameters().First().device;
            outputLength = model.call(zeros([1, channels, height, width], device: device)).shape[1];
        }
        finally
        {
            removers.ForEach(remove => remove());
            model.train(wasTraining);
        }
        return shapes;
    }
}
