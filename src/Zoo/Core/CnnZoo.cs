using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// The registry of architectures: AlexNet, VGG, GoogLeNet, the ImageNet ResNets and the CIFAR ResNets
/// and plain nets, each built by name; plus the analysis of any module.
/// </summary>
public static class CnnZoo
{
    private static readonly object Gate = new();
    private static readonly SortedDictionary<string, Func<int, int, CnnModel>> Builders = new(StringComparer.Ordinal);

    static CnnZoo()
    {
        Register("alexnet", (classes, channels) => AlexNet.Torchvision(classes, channels));
        Register("alexnet_2012", (classes, channels) => AlexNet.Paper2012(classes, channels));
        foreach (var depth in Vgg.Configurations.Keys)
        {
            Register($"vgg{depth}", (classes, channels) => Vgg.Create(depth, batchNorm: false, classes, channels));
            Register($"vgg{depth}_bn", (classes, channels) => Vgg.Create(depth, batchNorm: true, classes, channels));
        }
        Register("googlenet", (classes, channels) => new GoogLeNet(classes, channels, auxLogits: false));
        Register("googlenet_aux", (classes, channels) => new GoogLeNet(classes, channels, auxLogits: true));
        foreach (var depth in ResNet.Depths.Keys)
            Register($"resnet{depth}", (classes, channels) => new ResNet(depth, classes, channels));
        Register("resnet18_cntk", (classes, channels) => ResNet.Cntk18(classes, channels));
        foreach (var depth in CifarResNet.PaperDepths)
        {
            Register($"resnet{depth}", (classes, channels) => new CifarResNet(depth, residual: true, classes, channels));
            Register($"plain{depth}", (classes, channels) => new CifarResNet(depth, residual: false, classes, channels));
        }
    }

    /// <summary>All registered architecture names, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Gate) return Builders.Keys.ToList(); }
    }

    /// <summary>The registered names matching a pattern with <c>*</c> wildcards, for example <c>resnet*</c> or <c>vgg*_bn</c>.</summary>
    public static IReadOnlyList<string> List(string pattern = "*")
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var regex = new Regex("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant);
        return Names.Where(n => regex.IsMatch(n)).ToList();
    }

    /// <summary>Builds a registered architecture with freshly initialised weights.</summary>
    /// <param name="name">Registry name, see <see cref="Names"/>.</param>
    /// <param name="numClasses">Number of classes of the classifier.</param>
    /// <param name="inChannels">Image channels: 3 for colour, 1 for grey.</param>
    /// <exception cref="ArgumentException">The name is not registered; the message lists those that are.</exception>
    public static CnnModel Create(string name, int numClasses = 1000, int inChannels = 3)
    {
        ArgumentNullException.ThrowIfNull(name);
        Func<int, int, CnnModel>? build;
        lock (Gate) Builders.TryGetValue(name, out build);
        if (build is null)
            throw new ArgumentException($"Unknown architecture '{name}'. Registered: {string.Join(", ", Names)}.", nameof(name));
        return build(numClasses, inChannels);
    }

    /// <summary>Adds an architecture to the registry, so every feature that takes a name can build it.</summary>
    /// <param name="name">A new name.</param>
    /// <param name="build">Builds the model from (numClasses, inChannels).</param>
    /// <exception cref="ArgumentException">The name is already registered.</exception>
    public static void Register(string name, Func<int, int, CnnModel> build)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(build);
        lock (Gate)
        {
            if (!Builders.TryAdd(name, build))
                throw new ArgumentException($"Architecture '{name}' is already registered; choose another name.", nameof(name));
        }
    }

    /// <summary>
    /// Per-layer output shapes, parameters, multiply-accumulates, activations and receptive fields of
    /// <paramref name="module"/> for one <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/> image,
    /// measured by running it.
    /// </summary>
    public static ModelSummary Summarize(nn.Module<Tensor, Tensor> module, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Summarizer.Summarize(module, channels, height, width);
    }
}
