using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// VGG (Simonyan and Zisserman 2014): stacks of 3x3 convolutions (three of them see a 7x7 receptive
/// field with fewer parameters than one 7x7) between 2x2 max pools, then three fully connected layers.
/// </summary>
/// <remarks>State_dict keys follow torchvision: <c>features.N.*</c>, <c>classifier.0/3/6.*</c>.</remarks>
public sealed class Vgg : CnnModel
{
    private const int FeatureLength = 4096;

    /// <summary>One entry of a VGG configuration: a 3x3 convolution or a 2x2 max pool.</summary>
    public abstract record Layer;

    /// <summary>A 3x3 convolution (padding 1) with <paramref name="Channels"/> filters, then ReLU.</summary>
    public sealed record Conv(int Channels) : Layer;

    /// <summary>A 2x2 max pool with stride 2.</summary>
    public sealed record Pool : Layer;

    private static readonly Pool P = new();

    private static Conv[] Convs(int count, int channels) => Enumerable.Repeat(new Conv(channels), count).ToArray();

    /// <summary>The paper's configurations A, B, D and E by depth (weight layers).</summary>
    public static IReadOnlyDictionary<int, Layer[]> Configurations { get; } = new Dictionary<int, Layer[]>
    {
        [11] = [.. Convs(1, 64), P, .. Convs(1, 128), P, .. Convs(2, 256), P, .. Convs(2, 512), P, .. Convs(2, 512), P],
        [13] = [.. Convs(2, 64), P, .. Convs(2, 128), P, .. Convs(2, 256), P, .. Convs(2, 512), P, .. Convs(2, 512), P],
        [16] = [.. Convs(2, 64), P, .. Convs(2, 128), P, .. Convs(3, 256), P, .. Convs(3, 512), P, .. Convs(3, 512), P],
        [19] = [.. Convs(2, 64), P, .. Convs(2, 128), P, .. Convs(4, 256), P, .. Convs(4, 512), P, .. Convs(4, 512), P],
    };

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private Sequential classifier;
    private readonly int poolCount;

    /// <summary>Builds a VGG from a configuration.</summary>
    /// <param name="architecture">Registry name.</param>
    /// <param name="layers">Convolutions and pools, see <see cref="Configurations"/>.</param>
    /// <param name="batchNorm">Batch normalisation after each convolution (the <c>_bn</c> variants).</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="dropout">Dropout before fc7 and fc8.</param>
    public Vgg(string architecture, IReadOnlyList<Layer> layers, bool batchNorm, int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
        : base(architecture, numClasses, inChannels)
    {
        features = MakeFeatures(layers, batchNorm, inChannels);
        poolCount = layers.OfType<Pool>().Count();
        avgpool = AdaptiveAvgPool2d(7);
        classifier = Sequential(
            ("0", Linear(512 * 7 * 7, FeatureLength)),
            ("1", ReLU()),
            ("2", Dropout(dropout)),
            ("3", Linear(FeatureLength, FeatureLength)),
            ("4", ReLU()),
            ("5", Dropout(dropout)),
            ("6", Linear(FeatureLength, numClasses)));
        RegisterComponents();
        InitialiseWeights();
    }

    /// <summary>Builds the registry's VGG of the given depth (11, 13, 16 or 19).</summary>
    public static Vgg Create(int depth, bool batchNorm, int numClasses = 1000, int inChannels = 3)
        => new($"vgg{depth}{(batchNorm ? "_bn" : "")}", Configurations[depth], batchNorm, numClasses, inChannels);

    /// <inheritdoc />
    public override int NumFeatures => FeatureLength;

    /// <inheritdoc />
    public override int DefaultImageSize => 224;

    /// <inheritdoc />
    public override int MinImageSize => 1 << poolCount;

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["classifier.6."];

    /// <inheritdoc />
    protected override Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features.call(images)).flatten(1);  // N x 25088
        return FullyConnectedClassifier.PreLogits(classifier, x).MoveToOuterDisposeScope();  // N x 4096
    }

    /// <inheritdoc />
    protected override Tensor Head(Tensor features) => FullyConnectedClassifier.Logits(classifier, features);

    /// <inheritdoc />
    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = FullyConnectedClassifier.WithNewLastLayer(classifier, FeatureLength, numClasses);
        ReplaceModule(nameof(classifier), classifier);
    }

    internal override string ExportFeatures(OnnxGraph graph, string input)
    {
        var x = graph.Flatten(graph.Export(avgpool, graph.Export(features, input, "features."), "avgpool."));
        foreach (var (name, layer) in classifier.named_children().SkipLast(1))
            x = graph.Export(layer, x, $"classifier.{name}.");
        return x;
    }

    internal override string ExportHead(OnnxGraph graph, string features)
        => graph.Export(classifier.named_children().Last().module, features, $"classifier.{classifier.Count - 1}.");

    private static Sequential MakeFeatures(IReadOnlyList<Layer> layers, bool batchNorm, int inChannels)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        var channels = (long)inChannels;
        foreach (var layer in layers)
        {
            switch (layer)
            {
                case Pool:
                    modules.Add((modules.Count.ToString(), MaxPool2d(kernel_size: 2, stride: 2)));
                    break;
                case Conv conv:
                    modules.Add((modules.Count.ToString(), Conv2d(channels, conv.Channels, kernel_size: 3, padding: 1)));
                    if (batchNorm)
                        modules.Add((modules.Count.ToString(), BatchNorm2d(conv.Channels)));
                    modules.Add((modules.Count.ToString(), ReLU()));
                    channels = conv.Channels;
                    break;
            }
        }
        return Sequential(modules);
    }

    // torchvision's initialisation: He-normal convolutions, N(0, 0.01) linear layers.
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.01);
                    init.zeros_(linear.bias);
                    break;
            }
        }
    }
}
