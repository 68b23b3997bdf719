using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// VGG (Simonyan and Zisserman 2014): stacks of 3x3 convolutions (three of them see a 7x7 receptive
/// field with fewer parameters than one 7x7) between 2x2 max pools, then three fully connected layers.
/// </summary>
/// <remarks>State_dict keys follow torchvision: <c>features.N.*</c>, <c>classifier.0/3/6.*</c>.</remarks>
public sealed class Vgg : FullyConnectedHeadModel
{

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

    private readonly int poolCount;

    /// <summary>Builds a VGG from a configuration.</summary>
    /// <param name="architecture">Registry name.</param>
    /// <param name="layers">Convolutions and pools, see <see cref="Configurations"/>.</param>
    /// <param name="batchNorm">Batch normalisation after each convolution (the <c>_bn</c> variants).</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="dropout">Dropout before fc7 and fc8.</param>
    /// <param name="hiddenUnits">Units of fc6 and fc7.</param>
    public Vgg(string architecture, IReadOnlyList<Layer> layers, bool batchNorm, int numClasses = 1000, int inChannels = 3, double dropout = 0.5,
        int hiddenUnits = 4096)
        : base(architecture, numClasses, inChannels, MakeFeatures(layers, batchNorm, inChannels), AdaptiveAvgPool2d(7),
            Classifier(LastChannels(layers), hiddenUnits, numClasses, dropout))
    {
        poolCount = layers.OfType<Pool>().Count();
        InitialiseWeights(null);
    }

    /// <summary>Builds the registry's VGG of the given depth (11, 13, 16 or 19), as the paper's or as <paramref name="arguments"/> vary it.</summary>
    /// <exception cref="ArgumentException">The arguments are out of range (the message lists each problem).</exception>
    public static Vgg Create(int depth, bool batchNorm, int numClasses = 1000, int inChannels = 3, VggArguments? arguments = null)
    {
        var name = $"vgg{depth}{(batchNorm ? "_bn" : "")}";
        arguments ??= new VggArguments();
        if (arguments.Problems() is { Count: > 0 } problems)
            throw new ArgumentException($"{name}: invalid VggArguments: {string.Join("; ", problems)}.", nameof(arguments));
        var layers = Configurations[depth]
            .Select(layer => layer is Conv conv ? new Conv(WidthMultiplier.Scale(conv.Channels, arguments.WidthMultiplier)) : layer).ToList();
        return new(name, layers, batchNorm, numClasses, inChannels, arguments.Dropout, arguments.HiddenUnits);
    }

    private static int LastChannels(IReadOnlyList<Layer> layers) => layers.OfType<Conv>().Last().Channels;

    /// <inheritdoc />
    public override int DefaultImageSize => 224;

    /// <inheritdoc />
    public override int MinImageSize => 1 << poolCount;

    private static Sequential Classifier(int channels, int hiddenUnits, int numClasses, double dropout) => Sequential(
        ("0", Linear(channels * 7 * 7, hiddenUnits)),
        ("1", ReLU()),
        ("2", new RunDropout(dropout)),
        ("3", Linear(hiddenUnits, hiddenUnits)),
        ("4", ReLU()),
        ("5", new RunDropout(dropout)),
        ("6", Linear(hiddenUnits, numClasses)));

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

    /// <inheritdoc />
    protected override bool DrawInitialWeights(Generator generator)
    {
        InitialiseWeights(generator);
        return true;
    }

    // torchvision's initialisation (every layer VGG has): He-normal convolutions, N(0, 0.01) linear layers; from libtorch's
    // default generator when null.
    private void InitialiseWeights(Generator? generator)
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    WeightInitialisation.HeNormalFanOut(conv.weight, generator);
                    init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    WeightInitialisation.UnitNorm(bn);
                    break;
                case Linear linear:
                    WeightInitialisation.Normal(linear.weight, 0.01, generator);
                    init.zeros_(linear.bias);
                    break;
            }
        }
    }
}
