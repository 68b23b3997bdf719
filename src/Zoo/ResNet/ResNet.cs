using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// The ImageNet ResNets of He et al. 2015 as torchvision builds them: a 7x7 stem, four stages of residual
/// blocks (<see cref="BasicBlock"/> for 18/34 layers, <see cref="Bottleneck"/> for 50/101/152), global
/// average pooling and one linear layer.
/// </summary>
/// <remarks>Keys as torchvision: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1.weight</c>, <c>layer2.0.downsample.1.running_mean</c>, <c>fc</c>.</remarks>
public sealed class ResNet : CnnModel
{
    /// <summary>Blocks per stage for each depth, as in the paper's table 1.</summary>
    public static IReadOnlyDictionary<int, (bool Bottleneck, int[] Blocks)> Depths { get; } = new Dictionary<int, (bool, int[])>
    {
        [18] = (false, [2, 2, 2, 2]),
        [34] = (false, [3, 4, 6, 3]),
        [50] = (true, [3, 4, 6, 3]),
        [101] = (true, [3, 4, 23, 3]),
        [152] = (true, [3, 8, 36, 3]),
    };

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private Linear fc;
    private readonly int featureLength;
    private readonly AsymmetricPadding? conv1Padding, maxpoolPadding;

    /// <summary>Builds the ResNet of the given depth (18, 34, 50, 101 or 152).</summary>
    public ResNet(int depth, int numClasses = 1000, int inChannels = 3)
        : this(depth, arguments: null, numClasses, inChannels)
    {
    }

    /// <summary>
    /// Builds a variant of the ResNet of the given depth: its block type (basic for 18 and 34, bottleneck from 50), with the
    /// stages and width of <paramref name="arguments"/> (null: the depth's own, see <see cref="DefaultArguments"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The arguments are out of range (the message lists each problem).</exception>
    public ResNet(int depth, ResNetArguments? arguments, int numClasses = 1000, int inChannels = 3)
        : this($"resnet{depth}", Spec(depth).Bottleneck, arguments ?? DefaultArguments(depth), numClasses, inChannels, cntkPadding: false)
    {
    }

    /// <summary>The arguments of the paper's ResNet of this depth: its blocks per stage, width 1.</summary>
    public static ResNetArguments DefaultArguments(int depth) => new() { Blocks = Spec(depth).Blocks.ToArray() };

    /// <summary>
    /// The ResNet-18 of ML.NET's <c>DnnImageFeaturizer</c> (a CNTK export): blocks [2, 2, 2, 3] and CNTK's "same"
    /// padding (the odd pixel at the top and left) on the stem and the strided layers.
    /// </summary>
    public static ResNet Cntk18(int numClasses = 1000, int inChannels = 3)
        => new("resnet18_cntk", bottleneck: false, new ResNetArguments { Blocks = [2, 2, 2, 3] }, numClasses, inChannels, cntkPadding: true);

    private static (bool Bottleneck, int[] Blocks) Spec(int depth) => Depths.TryGetValue(depth, out var spec)
        ? spec
        : throw new ArgumentOutOfRangeException(nameof(depth), depth, $"ResNet depth must be one of {string.Join(", ", Depths.Keys)}.");

    private ResNet(string architecture, bool bottleneck, ResNetArguments arguments, int numClasses, int inChannels, bool cntkPadding)
        : base(architecture, numClasses, inChannels)
    {
        if (arguments.Problems() is { Count: > 0 } problems)
            throw new ArgumentException($"{architecture}: invalid ResNetArguments: {string.Join("; ", problems)}.", nameof(arguments));
        var (blocks, width) = (arguments.Blocks, arguments.WidthMultiplier);
        conv1Padding = cntkPadding ? AsymmetricPadding.Same(7, 2) : null;
        maxpoolPadding = cntkPadding ? AsymmetricPadding.Same(3, 2, double.NegativeInfinity) : null;
        long channels = WidthMultiplier.Scale(64, width);
        conv1 = Conv2d(inChannels, channels, kernel_size: 7, stride: 2, padding: cntkPadding ? 0 : 3, bias: false);
        bn1 = BatchNorm2d(channels);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: cntkPadding ? 0 : 1);
        layer1 = MakeStage(bottleneck, ref channels, WidthMultiplier.Scale(64, width), blocks[0], stride: 1, cntkPadding);
        layer2 = MakeStage(bottleneck, ref channels, WidthMultiplier.Scale(128, width), blocks[1], stride: 2, cntkPadding);
        layer3 = MakeStage(bottleneck, ref channels, WidthMultiplier.Scale(256, width), blocks[2], stride: 2, cntkPadding);
        layer4 = MakeStage(bottleneck, ref channels, WidthMultiplier.Scale(512, width), blocks[3], stride: 2, cntkPadding);
        featureLength = (int)channels;
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(featureLength, numClasses);
        RegisterComponents();
        ResNetInitialisation.Apply(this);
    }

    /// <inheritdoc />
    public override int NumFeatures => featureLength;

    /// <inheritdoc />
    public override int DefaultImageSize => 224;

    /// <inheritdoc />
    /// <remarks>CNTK's padding adds one pixel less after each strided layer, so its variant needs 32.</remarks>
    public override int MinImageSize => conv1Padding is null ? 1 : 32;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["fc."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var stem = functional.relu(bn1.call(conv1.call(conv1Padding is null ? images : conv1Padding.Apply(images))));
        var x = maxpool.call(maxpoolPadding is null ? stem : maxpoolPadding.Apply(stem));  // N x 64 x 56 x 56 (224 input)
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));           // N x 512*e x 7 x 7
        return avgpool.call(x).flatten(1).MoveToOuterDisposeScope();         // N x 512*e
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
        var padded = conv1Padding is null ? input : conv1Padding.Export(graph, input);
        var x = graph.Relu(graph.Export(bn1, graph.Export(conv1, padded, "conv1."), "bn1."));
        x = graph.Export(maxpool, maxpoolPadding is null ? x : maxpoolPadding.Export(graph, x), "maxpool.");
        foreach (var (name, layer) in new[] { ("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4) })
            x = graph.Export(layer, x, name + ".");
        return graph.Flatten(graph.Export(avgpool, x, "avgpool."));
    }

    internal override string ExportHead(OnnxGraph graph, string features) => graph.Export(fc, features, "fc.");

    private static Sequential MakeStage(bool bottleneck, ref long channels, long planes, int blocks, long stride, bool cntkPadding)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>(blocks);
        for (var i = 0; i < blocks; i++)
        {
            ResidualBlock block = bottleneck
                ? new Bottleneck(channels, planes, i == 0 ? stride : 1)
                : new BasicBlock(channels, planes, i == 0 ? stride : 1, cntkPadding);
            layers.Add((i.ToString(), block));
            channels = block.OutChannels;
        }
        return Sequential(layers);
    }
}

/// <summary>He initialisation of convolutions (fan-out, ReLU) and unit batch norms, as torchvision does for ResNets.</summary>
internal static class ResNetInitialisation
{
    /// <summary>Draws from <paramref name="generator"/>, or from libtorch's default generator when null.</summary>
    public static void Apply(nn.Module model, Generator? generator = null)
    {
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    WeightInitialisation.HeNormalFanOut(conv.weight, generator);
                    break;
                case BatchNorm2d bn:
                    WeightInitialisation.UnitNorm(bn);
                    break;
            }
        }
    }
}
