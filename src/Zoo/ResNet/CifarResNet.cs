using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// The CIFAR-10 networks of He et al. 2015, section 4.2: a 3x3 convolution with 16 filters, three stages
/// of <c>n</c> blocks with 16, 32 and 64 filters (depth <c>6n + 2</c>), global average pooling and a
/// linear layer. With shortcuts (option A: identity, or subsampling and zero channel padding where the
/// shape changes, so no extra parameters) they are <c>resnet20..110</c>; without, the <c>plain20..110</c>
/// nets of the degradation experiment, where the deeper plain net trains worse than the shallower one.
/// </summary>
public sealed class CifarResNet : CnnModel
{
    /// <summary>The depths of the paper: 20, 32, 44, 56 and 110.</summary>
    public static IReadOnlyList<int> PaperDepths { get; } = [20, 32, 44, 56, 110];

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1, layer2, layer3;
    private readonly AdaptiveAvgPool2d avgpool;
    private Linear fc;
    private readonly int featureLength;

    /// <summary>Builds a CIFAR ResNet (or plain net) of depth <c>6n + 2</c>.</summary>
    /// <param name="depth">Weight layers: 20, 32, 44, 56, 110, or any <c>6n + 2</c>.</param>
    /// <param name="residual">True for shortcuts (<c>resnetN</c>), false for the plain net (<c>plainN</c>).</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Image channels.</param>
    public CifarResNet(int depth, bool residual, int numClasses = 10, int inChannels = 3)
        : this(residual, DefaultArguments(depth), numClasses, inChannels)
    {
    }

    /// <summary>Builds the CIFAR ResNet (or plain net) that <paramref name="arguments"/> describe; its name gives its depth.</summary>
    /// <exception cref="ArgumentException">The arguments are out of range (the message lists each problem).</exception>
    public CifarResNet(bool residual, CifarResNetArguments arguments, int numClasses = 10, int inChannels = 3)
        : base($"{(residual ? "resnet" : "plain")}{arguments?.Depth}", numClasses, inChannels)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Problems() is { Count: > 0 } problems)
            throw new ArgumentException($"{Architecture}: invalid CifarResNetArguments: {string.Join("; ", problems)}.", nameof(arguments));
        var (blocks, width) = (arguments.BlocksPerStage, arguments.WidthMultiplier);
        var (c1, c2, c3) = (WidthMultiplier.Scale(16, width), WidthMultiplier.Scale(32, width), WidthMultiplier.Scale(64, width));
        conv1 = Conv2d(inChannels, c1, kernel_size: 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(c1);
        layer1 = MakeStage(c1, c1, blocks, stride: 1, residual);
        layer2 = MakeStage(c1, c2, blocks, stride: 2, residual);
        layer3 = MakeStage(c2, c3, blocks, stride: 2, residual);
        avgpool = AdaptiveAvgPool2d(1);
        featureLength = c3;
        fc = Linear(c3, numClasses);
        RegisterComponents();
        ResNetInitialisation.Apply(this);
    }

    /// <summary>The arguments of the depth-<paramref name="depth"/> net: <c>n = (depth - 2) / 6</c> blocks per stage, width 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The depth is not 6n + 2 with n at least 1.</exception>
    public static CifarResNetArguments DefaultArguments(int depth) => depth >= 8 && (depth - 2) % 6 == 0
        ? new() { BlocksPerStage = (depth - 2) / 6 }
        : throw new ArgumentOutOfRangeException(nameof(depth), depth, "CIFAR ResNet depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110, ...).");

    /// <inheritdoc />
    public override int NumFeatures => featureLength;

    /// <inheritdoc />
    public override int DefaultImageSize => 32;

    /// <inheritdoc />
    public override int MinImageSize => 1;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["fc."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(bn1.call(conv1.call(images)));       // N x 16 x 32 x 32
        x = layer3.call(layer2.call(layer1.call(x)));                 // N x 64 x 8 x 8
        return avgpool.call(x).flatten(1).MoveToOuterDisposeScope(); // N x 64
    }

    /// <inheritdoc />
    protected override Tensor Head(Tensor features) => fc.call(features);

    /// <inheritdoc />
    protected override bool DrawInitialWeights(Generator generator)
    {
        WeightInitialisation.LayerDefaults(this, generator);
        ResNetInitialisation.Apply(this, generator);
        return true;
    }

    /// <inheritdoc />
    protected override void ReplaceClassifier(int numClasses)
    {
        fc = Linear(featureLength, numClasses);
        ReplaceModule(nameof(fc), fc);
    }

    internal override string ExportFeatures(OnnxGraph graph, string input)
    {
        var x = graph.Relu(graph.Export(bn1, graph.Export(conv1, input, "conv1."), "bn1."));
        foreach (var (name, layer) in new[] { ("layer1", layer1), ("layer2", layer2), ("layer3", layer3) })
            x = graph.Export(layer, x, name + ".");
        return graph.Flatten(graph.Export(avgpool, x, "avgpool."));
    }

    internal override string ExportHead(OnnxGraph graph, string features) => graph.Export(fc, features, "fc.");

    private static Sequential MakeStage(long inChannels, long planes, int blocks, long stride, bool residual)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>(blocks);
        for (var i = 0; i < blocks; i++)
            layers.Add((i.ToString(), new CifarBlock(i == 0 ? inChannels : planes, planes, i == 0 ? stride : 1, residual)));
        return Sequential(layers);
    }
}

/// <summary>Two 3x3 convolutions with an option A shortcut, or none for the plain nets.</summary>
public sealed class CifarBlock : ResidualBlock
{
    private readonly Conv2d conv1, conv2;
    private readonly BatchNorm2d bn1, bn2;
    private readonly bool residual;
    private readonly long stride;
    private readonly long padChannels;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="planes"/> channels.</summary>
    public CifarBlock(long inChannels, long planes, long stride, bool residual) : base(nameof(CifarBlock))
    {
        conv1 = Conv2d(inChannels, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.residual = residual;
        this.stride = stride;
        padChannels = planes - inChannels;
        OutChannels = planes;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long OutChannels { get; }

    /// <inheritdoc />
    protected override Tensor Residual(Tensor x) => bn2.call(conv2.call(functional.relu(bn1.call(conv1.call(x)))));

    /// <inheritdoc />
    internal override string ExportResidual(OnnxGraph graph, string input, string prefix)
    {
        var y = graph.Relu(graph.Export(bn1, graph.Export(conv1, input, prefix + "conv1."), prefix + "bn1."));
        return graph.Export(bn2, graph.Export(conv2, y, prefix + "conv2."), prefix + "bn2.");
    }

    /// <inheritdoc />
    internal override string? ExportShortcut(OnnxGraph graph, string input, string prefix)
    {
        if (!residual)
            return null;
        if (stride == 1 && padChannels == 0)
            return input;
        var subsampled = graph.Node("Slice",
            [input, graph.Int64s("starts", 0, 0), graph.Int64s("ends", long.MaxValue, long.MaxValue), graph.Int64s("axes", 2, 3), graph.Int64s("steps", stride, stride)]);
        return graph.Node("Pad", [subsampled, graph.Int64s("pads", 0, padChannels / 2, 0, 0, 0, padChannels - padChannels / 2, 0, 0)]);
    }

    /// <inheritdoc />
    protected override Tensor? Shortcut(Tensor x)
    {
        if (!residual)
            return null;
        if (stride == 1 && padChannels == 0)
            return x;
        // Option A: take every stride-th pixel and pad the new channels with zeros, half on each side.
        var subsampled = x[.., .., TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)];
        return functional.pad(subsampled, [0, 0, 0, 0, padChannels / 2, padChannels - padChannels / 2]);
    }
}
