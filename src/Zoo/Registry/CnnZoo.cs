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

    /// <summary>
    /// Builds a registered architecture; its <see cref="CnnModel.Architecture"/> is <paramref name="name"/>. Without
    /// <paramref name="weights"/> the weights are freshly initialised; with it they are the named pretrained weights (see
    /// <see cref="Weights"/>), fetched into the cache on first use, with their preprocessing as the model's
    /// <see cref="CnnModel.DefaultNormalization"/> and the classifier reset when <paramref name="numClasses"/> differs from theirs.
    /// </summary>
    /// <param name="name">Registry name, see <see cref="Names"/>.</param>
    /// <param name="numClasses">Number of classes of the classifier.</param>
    /// <param name="inChannels">Image channels: 3 for colour, 1 for grey (pretrained weights take colour).</param>
    /// <param name="weights">Pretrained weights by name, e.g. <c>IMAGENET1K_V1</c>; null for none.</param>
    /// <exception cref="ArgumentException">The name is not registered (the message lists those that are), the weights are unknown for it
    /// (the message lists its weights), or the channels are not the weights'.</exception>
    /// <exception cref="IOException">The weights could not be fetched (the message says where to put the file by hand).</exception>
    /// <exception cref="InvalidDataException">The fetched file does not match its hash.</exception>
    public static CnnModel Create(string name, int numClasses = 1000, int inChannels = 3, string? weights = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (weights is not null)
            return CreatePretrained(name, numClasses, inChannels, weights);
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

    /// <summary>
    /// Where weights files are fetched from: <c>MLNETCNN_WEIGHTS_URL</c> when set, else torchvision's
    /// <c>https://download.pytorch.org/models/</c>. Point it at a mirror behind a firewall (the file names stay torchvision's).
    /// </summary>
    public static Uri WeightsBaseUrl
    {
        get { lock (Gate) return weightsBaseUrl; }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!value.IsAbsoluteUri)
                throw new ArgumentException($"The weights URL base must be absolute (got '{value}').", nameof(value));
            lock (Gate) weightsBaseUrl = WithTrailingSlash(value);
        }
    }

    private static Uri weightsBaseUrl = WithTrailingSlash(new Uri(
        Environment.GetEnvironmentVariable("MLNETCNN_WEIGHTS_URL") is { Length: > 0 } mirror ? mirror : "https://download.pytorch.org/models/"));

    /// <summary>
    /// MLNetCnn's cache folder (weights in <c>weights/</c>; the command-line tool keeps data sets there too):
    /// <c>MLNETCNN_HOME</c>, else <c>$XDG_CACHE_HOME/mlnetcnn</c>, else <c>~/.cache/mlnetcnn</c>.
    /// </summary>
    public static string CacheFolder => Environment.GetEnvironmentVariable("MLNETCNN_HOME") is { Length: > 0 } home
        ? home
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mlnetcnn");

    /// <summary>The pretrained weights known for <paramref name="architecture"/> (possibly none), as <c>weights:</c> of <see cref="Create"/> takes them.</summary>
    public static IReadOnlyList<PretrainedWeights> Weights(string architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return WeightsCatalog.Of(architecture);
    }

    /// <summary>Adds weights to the catalogue: your own file, or another file on the URL base, under a name of your choice.</summary>
    /// <exception cref="ArgumentException">The architecture is not registered, a field is empty, or the architecture already has weights of that name.</exception>
    public static void RegisterWeights(PretrainedWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!IsRegistered(weights.Architecture))
            throw new ArgumentException($"Architecture '{weights.Architecture}' is not registered; register it first.", nameof(weights));
        if (string.IsNullOrWhiteSpace(weights.Name) || string.IsNullOrWhiteSpace(weights.FileName) || weights.FileName.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException("Weights need a name and a plain file name (no folders).", nameof(weights));
        if (weights.Sha256Prefix.Length < 8 || !weights.Sha256Prefix.All(Uri.IsHexDigit))
            throw new ArgumentException($"The SHA-256 prefix '{weights.Sha256Prefix}' must be at least 8 hex digits.", nameof(weights));
        WeightsCatalog.Add(weights);
    }

    /// <summary>Fetches the named weights into the cache (checked against their hash) and returns the file's path; a cached, checked file is reused.</summary>
    /// <param name="architecture">The architecture.</param>
    /// <param name="weights">The weights' name.</param>
    /// <param name="progress">Bytes received, and lines about the cache.</param>
    /// <param name="cancellation">Stops the download; nothing is left in the cache.</param>
    /// <exception cref="ArgumentException">Unknown weights (the message lists the architecture's), or weights that ship offline.</exception>
    /// <exception cref="IOException">No network, an HTTP error, a truncated body, an unwritable cache, or offline mode: the message says where to put the file.</exception>
    /// <exception cref="InvalidDataException">The downloaded file does not match its hash.</exception>
    public static Task<string> FetchWeightsAsync(string architecture, string weights, IProgress<WeightsDownloadProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(weights);
        var entry = WeightsCatalog.Find(architecture, weights);
        if (entry.Url is null)
            throw new ArgumentException($"{entry} ships with its package and is never downloaded; create it with CnnZoo.Create.", nameof(weights));
        return WeightsCache.FetchAsync(entry, progress, cancellation);
    }

    private static CnnModel CreatePretrained(string name, int numClasses, int inChannels, string weights)
    {
        if (!IsRegistered(name))
            throw new ArgumentException($"Unknown architecture '{name}'. Registered: {string.Join(", ", Names)}.", nameof(name));
        var entry = WeightsCatalog.Find(name, weights);
        if (inChannels != entry.Normalization.Channels)
            throw new ArgumentException(
                $"{entry} takes {entry.Normalization.Channels}-channel images, not {inChannels}: create it with {entry.Normalization.Channels} " +
                "(the trainer repeats grey images into colour for such weights).", nameof(inChannels));
        CnnModel model;
        if (entry.Url is null)
            model = DnnFeaturizerResNet18.Import(numClasses: numClasses);   // offline: the package's files, its own classifier-less graph
        else
        {
            var path = WeightsCache.FetchAsync(entry, progress: null, CancellationToken.None).GetAwaiter().GetResult();
            model = Create(name, entry.Categories.Count, inChannels);
            model.LoadWeights(path, strict: true, skip: entry.IgnoredKeyPrefixes);
            if (numClasses != entry.Categories.Count)
                model.ResetClassifier(numClasses);
        }
        model.DefaultNormalization = entry.Normalization;
        model.PretrainedWeights = entry;
        return model;
    }

    private static Uri WithTrailingSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

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
