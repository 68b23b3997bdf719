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
        // The imported ML.NET ResNet-18's shape, so its checkpoints rebuild (the weights, mean image included, come from the file).
        Register(DnnFeaturizerResNet18.RegistryName, DnnFeaturizerResNet18.Empty);
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

    /// <summary>Whether <paramref name="name"/> is registered.</summary>
    public static bool IsRegistered(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate) return Builders.ContainsKey(name);
    }

    /// <summary>Builds a registered architecture with freshly initialised weights; its <see cref="CnnModel.Architecture"/> is <paramref name="name"/>.</summary>
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
        var model = build(numClasses, inChannels);
        model.Architecture = name;  // the registry key is the model's identity, whatever its class calls itself
        return model;
    }

    /// <summary>
    /// Why <see cref="Create"/> could not rebuild <paramref name="model"/> from its <see cref="CnnModel.Architecture"/>, class count
    /// and channels to receive its weights; null when it can. Building the twin costs one model creation.
    /// </summary>
    internal static string? RebuildProblem(CnnModel model)
    {
        if (!IsRegistered(model.Architecture))
            return $"architecture '{model.Architecture}' ({model.GetType().Name}) is not registered; register it with CnnZoo.Register " +
                   "and build the model with CnnZoo.Create, so it can be rebuilt when loading";
        using var twin = Create(model.Architecture, model.NumClasses, model.InChannels);
        if (twin.GetType() != model.GetType())
            return $"the name '{model.Architecture}' builds a {twin.GetType().Name}, but this model is a {model.GetType().Name}; " +
                   "register your class under a name of its own with CnnZoo.Register and build it with CnnZoo.Create";
        var expected = twin.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var actual = model.state_dict();
        var differing = actual.Keys.Union(expected.Keys)
            .Where(key => !expected.TryGetValue(key, out var shape) || !actual.TryGetValue(key, out var tensor) || !tensor.shape.SequenceEqual(shape))
            .Take(5).ToList();
        return differing.Count == 0 ? null
            : $"'{model.Architecture}' rebuilt with {model.NumClasses} classes and {model.InChannels} channels does not have this model's weights " +
              $"(first differing keys: {string.Join(", ", differing)}); register a builder that reproduces the model's shape";
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
