namespace MLNetCnn.Zoo;

/// <summary>
/// One published set of weights for an architecture, in the manner of torchvision's <c>ResNet50_Weights.IMAGENET1K_V2</c>:
/// where the file is, how to check it, how images were prepared when it was trained, its classes and its published accuracy.
/// </summary>
/// <param name="Architecture">The registry name the weights fit (<see cref="CnnZoo.Names"/>).</param>
/// <param name="Name">The weights' name, e.g. <c>IMAGENET1K_V1</c>.</param>
/// <param name="FileName">The file's name under the weights URL base (<see cref="CnnZoo.WeightsBaseUrl"/>), also its name in the cache;
/// empty for weights that ship with a package and are never downloaded.</param>
/// <param name="Sha256">The file's SHA-256 in hex: all 64 digits, or at least its first 8 (as torchvision writes them into its file names),
/// in which case only those are compared (<see cref="HashIsPinnedInFull"/>).</param>
/// <param name="ResizeSize">The shorter side images were resized to before the centre crop, in evaluation.</param>
/// <param name="Normalization">The input size (the crop), scale, mean and std the network was trained with.</param>
/// <param name="Categories">The class names, by output index.</param>
/// <param name="Top1">Published ImageNet-1K top-1 accuracy, percent.</param>
/// <param name="Top5">Published ImageNet-1K top-5 accuracy, percent.</param>
/// <param name="Parameters">Parameters of the network the weights fill.</param>
public sealed record PretrainedWeights(
    string Architecture, string Name, string FileName, string Sha256, int ResizeSize, PixelNormalization Normalization,
    IReadOnlyList<string> Categories, double? Top1, double? Top5, long Parameters)
{
    /// <summary>Where the file is fetched from: the URL base followed by <see cref="FileName"/>; null when the weights ship offline.</summary>
    public Uri? Url => FileName.Length == 0 ? null : new Uri(WeightsLocation.BaseUrl, FileName);

    /// <summary>True when <see cref="Sha256"/> holds the whole digest; a prefix of 8 digits is 32 bits, which a hostile mirror can match.</summary>
    public bool HashIsPinnedInFull => Sha256.Length == 64;

    /// <summary>Keys of the file the architecture does not have, left out when loading (GoogLeNet's auxiliary classifiers).</summary>
    public IReadOnlyList<string> IgnoredKeyPrefixes { get; init; } = [];

    /// <summary>"resnet50 IMAGENET1K_V2 (top-1 80.858%)".</summary>
    public override string ToString() => $"{Architecture} {Name}" + (Top1 is double top1 ? $" (top-1 {top1}%)" : "");
}
