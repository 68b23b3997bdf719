using System.Text.Json;
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
    private static readonly SortedDictionary<string, Builder> Builders = new(StringComparer.Ordinal);

    // A registered family: how to build it, and the type and defaults of its arguments (none for a fixed architecture).
    private sealed record Builder(Type? ArgumentsType, object? Defaults, Func<int, int, object?, CnnModel> Build);

    static CnnZoo()
    {
        Register("alexnet", (classes, channels) => AlexNet.Torchvision(classes, channels));
        Register("alexnet_2012", (classes, channels) => AlexNet.Paper2012(classes, channels));
        foreach (var depth in Vgg.Configurations.Keys)
        {
            Register($"vgg{depth}", new VggArguments(), (classes, channels, arguments) => Vgg.Create(depth, batchNorm: false, classes, channels, arguments));
            Register($"vgg{depth}_bn", new VggArguments(), (classes, channels, arguments) => Vgg.Create(depth, batchNorm: true, classes, channels, arguments));
        }
        Register("googlenet", (classes, channels) => new GoogLeNet(classes, channels, auxLogits: false));
        Register("googlenet_aux", (classes, channels) => new GoogLeNet(classes, channels, auxLogits: true));
        foreach (var depth in ResNet.Depths.Keys)
            Register($"resnet{depth}", ResNet.DefaultArguments(depth), (classes, channels, arguments) => new ResNet(depth, arguments, classes, channels));
        Register("resnet18_cntk", (classes, channels) => ResNet.Cntk18(classes, channels));
        foreach (var depth in CifarResNet.PaperDepths)
        {
            var arguments = CifarResNet.DefaultArguments(depth);
            Register($"resnet{depth}", arguments, (classes, channels, a) => new CifarResNet(residual: true, a, classes, channels));
            Register($"plain{depth}", arguments, (classes, channels, a) => new CifarResNet(residual: false, a, classes, channels));
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
    /// <param name="arguments">The variant to build, of the family's argument type (<see cref="ArgumentsType"/>, e.g.
    /// <see cref="ResNetArguments"/>); null for the registered defaults (<see cref="DefaultArguments"/>). They become the model's
    /// <see cref="CnnModel.Arguments"/>, part of its identity.</param>
    /// <exception cref="ArgumentException">The name is not registered (the message lists those that are), the weights are unknown for it
    /// (the message lists its weights), the channels are not the weights', the arguments are of another type than the family takes
    /// or out of range, or pretrained weights are asked for a variant other than the one they were trained as.</exception>
    /// <exception cref="IOException">The weights could not be fetched (the message says where to put the file by hand).</exception>
    /// <exception cref="InvalidDataException">The fetched file does not match its hash.</exception>
    public static CnnModel Create(string name, int numClasses = 1000, int inChannels = 3, string? weights = null, object? arguments = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = Find(name);
        if (arguments is not null && builder.ArgumentsType != arguments.GetType())
            throw new ArgumentException(builder.ArgumentsType is null
                ? $"Architecture '{name}' takes no arguments; got {arguments.GetType().Name}."
                : $"Architecture '{name}' takes {builder.ArgumentsType.Name}; got {arguments.GetType().Name}.", nameof(arguments));
        if (weights is not null)
        {
            if (arguments is not null && !Equals(arguments, builder.Defaults))
                throw new ArgumentException(
                    $"Pretrained weights of '{name}' are for its registered variant ({ArgumentsToJson(builder.Defaults)}), not {ArgumentsToJson(arguments)}: " +
                    "leave the arguments out to fine-tune, or train the variant from scratch.", nameof(arguments));
            return CreatePretrained(name, numClasses, inChannels, weights);
        }
        var chosen = arguments ?? builder.Defaults;
        var model = builder.Build(numClasses, inChannels, chosen);
        model.Architecture = name;  // the registry key is the model's identity, whatever its class calls itself
        model.Arguments = chosen;
        return model;
    }

    /// <summary>The type of the arguments <paramref name="name"/>'s builder takes (e.g. <see cref="ResNetArguments"/>), or null when it takes none.</summary>
    /// <exception cref="ArgumentException">The name is not registered.</exception>
    public static Type? ArgumentsType(string name) => Find(name).ArgumentsType;

    /// <summary>The arguments <paramref name="name"/> is built with when none are given (e.g. blocks [2, 2, 2, 2] for <c>resnet18</c>), or null when it takes none.</summary>
    /// <exception cref="ArgumentException">The name is not registered.</exception>
    public static object? DefaultArguments(string name) => Find(name).Defaults;

    /// <summary>Arguments as the JSON that checkpoints and ONNX metadata record them in; null for none.</summary>
    public static string? ArgumentsToJson(object? arguments) => ArchitectureArgumentsJson.Of(arguments);

    /// <summary>Reads arguments of <paramref name="name"/>'s type from JSON (<see cref="ArgumentsToJson"/>'s); null JSON gives null.</summary>
    /// <exception cref="ArgumentException">The name is not registered, takes no arguments, or the JSON is not its arguments.</exception>
    public static object? ArgumentsFromJson(string name, string? json)
    {
        if (json is null)
            return null;
        var type = ArgumentsType(name)
            ?? throw new ArgumentException($"Architecture '{name}' takes no arguments, but arguments were given: {json}.", nameof(json));
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"'{json}' is not {type.Name} for architecture '{name}': {e.Message}", nameof(json), e);
        }
    }

    private static Builder Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Builder? builder;
        lock (Gate) Builders.TryGetValue(name, out builder);
        return builder ?? throw new ArgumentException($"Unknown architecture '{name}'. Registered: {string.Join(", ", Names)}.", nameof(name));
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
        using var twin = Create(model.Architecture, model.NumClasses, model.InChannels, arguments: model.Arguments);
        if (twin.GetType() != model.GetType())
            return $"the name '{model.Architecture}' builds a {twin.GetType().Name}, but this model is a {model.GetType().Name}; " +
                   "register your class under a name of its own with CnnZoo.Register and build it with CnnZoo.Create";
        var expected = twin.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var actual = model.state_dict();
        var differing = actual.Keys.Union(expected.Keys)
            .Where(key => !expected.TryGetValue(key, out var shape) || !actual.TryGetValue(key, out var tensor) || !tensor.shape.SequenceEqual(shape))
            .Take(5).ToList();
        return differing.Count == 0 ? null
            : $"'{model.Architecture}' rebuilt with {model.NumClasses} classes, {model.InChannels} channels and arguments {ArgumentsToJson(model.Arguments) ?? "none"} does not have this model's weights " +
              $"(first differing keys: {string.Join(", ", differing)}); register a builder that reproduces the model's shape";
    }

    /// <summary>
    /// Where weights files are fetched from: <c>MLNETCNN_WEIGHTS_URL</c> when set, else torchvision's
    /// <c>https://download.pytorch.org/models/</c>. Point it at a mirror behind a firewall (the file names stay torchvision's).
    /// </summary>
    /// <exception cref="ArgumentException">The URL set, or <c>MLNETCNN_WEIGHTS_URL</c> when it is read, is not an absolute http or https URL.</exception>
    public static Uri WeightsBaseUrl
    {
        get => WeightsLocation.BaseUrl;
        set => WeightsLocation.BaseUrl = value;
    }

    /// <summary>
    /// How long a weights download may wait for the server's answer or its next bytes before it fails (default 60 s): a server that
    /// sends headers and then nothing does not hang the caller.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public static TimeSpan WeightsDownloadIdleTimeout
    {
        get => WeightsLocation.DownloadIdleTimeout;
        set => WeightsLocation.DownloadIdleTimeout = value;
    }

    /// <summary>
    /// MLNetCnn's cache folder (weights in <c>weights/</c>; the command-line tool keeps data sets there too):
    /// <c>MLNETCNN_HOME</c>, else <c>$XDG_CACHE_HOME/mlnetcnn</c>, else <c>~/.cache/mlnetcnn</c>.
    /// </summary>
    public static string CacheFolder => WeightsLocation.CacheFolder;

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
        if (weights.Sha256.Length is < 8 or > 64 || !weights.Sha256.All(Uri.IsHexDigit))
            throw new ArgumentException($"The SHA-256 '{weights.Sha256}' must be 8 to 64 hex digits (all 64 to check the whole file).", nameof(weights));
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
        model.Arguments = Find(name).Defaults;
        return model;
    }

    /// <summary>Adds an architecture to the registry, so every feature that takes a name can build it.</summary>
    /// <param name="name">A new name.</param>
    /// <param name="build">Builds the model from (numClasses, inChannels).</param>
    /// <exception cref="ArgumentException">The name is already registered.</exception>
    public static void Register(string name, Func<int, int, CnnModel> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        Add(name, new Builder(null, null, (classes, channels, _) => build(classes, channels)));
    }

    /// <summary>
    /// Adds a parameterised family to the registry: <see cref="Create"/> passes it the caller's arguments or
    /// <paramref name="defaults"/>, and checkpoints, saved models and ONNX metadata record the arguments (as JSON, so
    /// <typeparamref name="TArguments"/> must round-trip through System.Text.Json; a record of numbers, strings and lists does)
    /// to rebuild the same variant when loading.
    /// </summary>
    /// <param name="name">A new name.</param>
    /// <param name="defaults">The arguments of the family's standard member.</param>
    /// <param name="build">Builds the model from (numClasses, inChannels, arguments).</param>
    /// <exception cref="ArgumentException">The name is already registered, or the defaults do not survive a JSON round trip.</exception>
    public static void Register<TArguments>(string name, TArguments defaults, Func<int, int, TArguments, CnnModel> build) where TArguments : class
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(build);
        var json = ArgumentsToJson(defaults)!;
        if (!Equals(JsonSerializer.Deserialize<TArguments>(json), defaults))
            throw new ArgumentException(
                $"{typeof(TArguments).Name} does not survive a JSON round trip ({json} reads back as something else), so a saved variant could not be rebuilt: " +
                "use a record of public init properties (lists need an Equals that compares their items).", nameof(defaults));
        Add(name, new Builder(typeof(TArguments), defaults, (classes, channels, arguments) => build(classes, channels, (TArguments)arguments!)));
    }

    private static void Add(string name, Builder builder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (Gate)
        {
            if (!Builders.TryAdd(name, builder))
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
