using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// The ImageNet-trained ResNet-18 that ships, offline, in the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// package (<c>ResNet18.onnx</c>, a CNTK export without classifier, and <c>ResNetPreprocess.onnx</c>), imported into
/// a zoo network. The returned model takes RGB images on the 0-255 scale, 224x224: it swaps them to BGR and
/// subtracts the package's mean image itself, as ML.NET's <c>DnnFeaturizeImage</c> does, so its
/// <c>ForwardFeatures</c> are that featurizer's 512 values. Its classifier is new (fine-tune it). At other input sizes (32x32
/// and up, for fine-tuning on small images) it subtracts the mean image's per-channel average instead, the picture-wide mean colour.
/// </summary>
public sealed class DnnFeaturizerResNet18 : CnnModel
{
    /// <summary>The folder the package copies its models to in an application's output.</summary>
    public static string DefaultModelFolder => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    private const int Size = 224;
    private readonly ResNet body;
    private readonly Tensor mean_image;

    /// <summary>The name the zoo registers this network's shape under, so its checkpoints load.</summary>
    public const string RegistryName = "resnet18_dnnfeaturizer";

    private DnnFeaturizerResNet18(ResNet body, Tensor meanImage) : base(RegistryName, body.NumClasses, 3)
    {
        this.body = body;
        mean_image = meanImage;
        RegisterComponents();
        DefaultNormalization = Normalization;
    }

    /// <summary>What it takes: 0-255 RGB at 224x224 (the graph does its own BGR swap and mean-image subtraction).</summary>
    internal static PixelNormalization Normalization => new(3, Size, Size, 1f, [0f, 0f, 0f], [1f, 1f, 1f]);

    /// <summary>The network's shape with a zero mean image and fresh weights, for the registry (a checkpoint fills it).</summary>
    internal static CnnModel Empty(int numClasses, int inChannels) => inChannels == 3
        ? new DnnFeaturizerResNet18(ResNet.Cntk18(numClasses), zeros(1, 3, Size, Size))
        : throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"{RegistryName} takes 3-channel (RGB) images.");

    /// <summary>Whether the package's files are in <paramref name="modelFolder"/> (default: the application's output), so <see cref="Import"/> can read them.</summary>
    public static bool IsAvailable(string? modelFolder = null)
    {
        var folder = modelFolder ?? DefaultModelFolder;
        return File.Exists(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx")) && File.Exists(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
    }

    /// <summary>Imports the package's ResNet-18 with a fresh classifier for <paramref name="numClasses"/> classes.</summary>
    /// <param name="modelFolder">The <c>DnnImageModels</c> folder (default: the application's output, where the package puts it).</param>
    /// <param name="numClasses">Classes of the new classifier.</param>
    /// <exception cref="FileNotFoundException">The package's files are not there; the message says how to get them.</exception>
    /// <exception cref="InvalidDataException">The files are not the expected graphs.</exception>
    public static DnnFeaturizerResNet18 Import(string? modelFolder = null, int numClasses = 1000)
    {
        var folder = modelFolder ?? DefaultModelFolder;
        var network = Read(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"));
        var preprocess = Read(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var body = ResNet.Cntk18(numClasses);
        CopyWeights(network, body);
        return new DnnFeaturizerResNet18(body, MeanImage(preprocess));
    }

    /// <inheritdoc />
    public override int NumFeatures => body.NumFeatures;

    /// <inheritdoc />
    public override int DefaultImageSize => Size;

    /// <inheritdoc />
    public override int MinImageSize => 32;   // ResNet-18 halves the input five times

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["body.fc."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var bgr = images.flip(1) - MeanFor(images.shape[2], images.shape[3]);  // RGB -> BGR, minus the mean (0-255 scale)
        return body.ForwardFeatures(bgr).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor Head(Tensor features) => body.ForwardHead(features);

    /// <inheritdoc />
    protected override void ReplaceClassifier(int numClasses) => body.ResetClassifier(numClasses);

    internal override string ExportFeatures(OnnxGraph graph, string input)
    {
        var bgr = graph.Node("Gather", [input, graph.Int64s("bgr", 2, 1, 0)], attributes: OnnxGraph.Int("axis", 1));
        var size = graph.InputShapeOf(this);
        using var mean = MeanFor(size[2], size[3]).detach().clone();
        return body.ExportFeatures(graph, graph.Node("Sub", [bgr, graph.Initializer("mean_image", mean)]));
    }

    // The package's mean image at its own size; elsewhere its per-channel average, which broadcasts over any size.
    private Tensor MeanFor(long height, long width) => height == Size && width == Size ? mean_image : mean_image.mean([2, 3], keepdim: true);

    internal override string ExportHead(OnnxGraph graph, string features) => body.ExportHead(graph, features);

    private static ModelProto Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{path}' is missing. Reference the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (it copies DnnImageModels/ to the output) " +
                "or pass the folder that holds its ResNet18Onnx and ResNetPrepOnnx folders.", path);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"'{path}' is not an ONNX model ({e.Message}).", e); }
        OnnxExternalData.Refuse(model, $"'{path}'");
        return model;
    }

    // The mean image is the initializer the preprocessing graph subtracts (1 x 3 x 224 x 224, BGR, 0-255).
    private static Tensor MeanImage(ModelProto preprocess)
    {
        var subtract = preprocess.Graph.Node.FirstOrDefault(n => n.OpType == "Sub")
            ?? throw new InvalidDataException("ResNetPreprocess.onnx has no Sub node for the mean image.");
        var mean = preprocess.Graph.Initializer.FirstOrDefault(i => subtract.Input.Contains(i.Name))
            ?? throw new InvalidDataException("ResNetPreprocess.onnx's Sub node has no constant mean image.");
        return ToTensor(mean, [1, 3, Size, Size], "mean image");
    }

    // The initializer names are opaque, so weights are matched by position in the graph: every convolution with the
    // batch norm that reads it, main-path pairs in order for the stem and each block, 1x1 strided pairs for the shortcuts.
    private static void CopyWeights(ModelProto network, ResNet target)
    {
        var initializers = network.Graph.Initializer.ToDictionary(i => i.Name);
        var nodes = network.Graph.Node;
        var pairs = nodes.Where(n => n.OpType == "Conv").Select(conv =>
        {
            var bn = nodes.FirstOrDefault(n => n.OpType == "BatchNormalization" && n.Input[0] == conv.Output[0])
                ?? throw new InvalidDataException($"Convolution '{conv.Name}' of ResNet18.onnx has no batch norm after it.");
            var kernel = conv.Attribute.First(a => a.Name == "kernel_shape").Ints[0];
            return (Conv: conv, Bn: bn, IsShortcut: kernel == 1);
        }).ToList();
        var main = new Queue<(NodeProto Conv, NodeProto Bn, bool IsShortcut)>(pairs.Where(p => !p.IsShortcut));
        var shortcuts = new Queue<(NodeProto Conv, NodeProto Bn, bool IsShortcut)>(pairs.Where(p => p.IsShortcut));

        var state = target.state_dict();
        var convPrefixes = state.Keys.Where(k => k.EndsWith(".weight") && state[k].dim() == 4).Select(k => k[..^"weight".Length]).ToList();
        using var noGrad = no_grad();
        foreach (var convPrefix in convPrefixes)
        {
            var isShortcut = convPrefix.Contains("downsample");
            var queue = isShortcut ? shortcuts : main;
            if (queue.Count == 0)
                throw new InvalidDataException($"ResNet18.onnx has fewer convolutions than resnet18_cntk (none left for '{convPrefix}').");
            var (conv, bn, _) = queue.Dequeue();
            var bnPrefix = isShortcut ? convPrefix[..^2] + "1." : convPrefix.Replace("conv", "bn");
            Copy(state, convPrefix + "weight", initializers[conv.Input[1]]);
            Copy(state, bnPrefix + "weight", initializers[bn.Input[1]]);
            Copy(state, bnPrefix + "bias", initializers[bn.Input[2]]);
            Copy(state, bnPrefix + "running_mean", initializers[bn.Input[3]]);
            Copy(state, bnPrefix + "running_var", initializers[bn.Input[4]]);
        }
        if (main.Count + shortcuts.Count > 0)
            throw new InvalidDataException($"ResNet18.onnx has {main.Count + shortcuts.Count} more convolutions than resnet18_cntk.");
    }

    private static void Copy(Dictionary<string, Tensor> state, string key, TensorProto source)
    {
        var target = state[key];
        using var value = ToTensor(source, target.shape, key);
        target.copy_(value);
    }

    private static Tensor ToTensor(TensorProto proto, long[] shape, string what)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"The {what} in the ONNX file is not float32.");
        var values = proto.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray()
            : proto.FloatData.ToArray();
        if (values.Length != shape.Aggregate(1L, (a, b) => a * b))
            throw new InvalidDataException($"The {what} has {values.Length} values; [{string.Join(", ", shape)}] needs {shape.Aggregate(1L, (a, b) => a * b)}.");
        return tensor(values, shape);
    }
}
