namespace MLNetCnn.Zoo;

/// <summary>
/// The weights the zoo knows by name: torchvision's ImageNet-1K weights for every zoo architecture it publishes weights for
/// (file names, evaluation resize, accuracies and parameter counts as torchvision 0.21 lists them), the
/// offline ResNet-18 of ML.NET's DnnImageFeaturizer package, and those registered with <see cref="CnnZoo.RegisterWeights"/>.
/// torchvision's features-only VGG-16 weights are left out: they hold no classifier.
/// </summary>
internal static class WeightsCatalog
{
    /// <summary>The offline entry's name.</summary>
    public const string OfflineName = "IMAGENET1K_CNTK";

    private static readonly object Gate = new();

    // torchvision publishes only the first 8 hex digits of each file's SHA-256 (in its name). The full digests here are the ones
    // public projects pinned after downloading the same files (their first 8 digits agree with the name); the five files no public
    // record pinned (vgg11, vgg11_bn, vgg13, vgg13_bn, resnet152 IMAGENET1K_V2) keep the prefix, and fetching one says so.
    private static readonly List<PretrainedWeights> Entries =
    [
        Torchvision("alexnet", "IMAGENET1K_V1", "alexnet-owt-7be5be79.pth",
            "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02", resize: 256, top1: 56.522, top5: 79.066, parameters: 61100840),
        Torchvision("vgg11", "IMAGENET1K_V1", "vgg11-8a719046.pth", "8a719046", resize: 256, top1: 69.02, top5: 88.628, parameters: 132863336),
        Torchvision("vgg11_bn", "IMAGENET1K_V1", "vgg11_bn-6002323d.pth", "6002323d", resize: 256, top1: 70.37, top5: 89.81, parameters: 132868840),
        Torchvision("vgg13", "IMAGENET1K_V1", "vgg13-19584684.pth", "19584684", resize: 256, top1: 69.928, top5: 89.246, parameters: 133047848),
        Torchvision("vgg13_bn", "IMAGENET1K_V1", "vgg13_bn-abd245e5.pth", "abd245e5", resize: 256, top1: 71.586, top5: 90.374, parameters: 133053736),
        Torchvision("vgg16", "IMAGENET1K_V1", "vgg16-397923af.pth",
            "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0", resize: 256, top1: 71.592, top5: 90.382, parameters: 138357544),
        Torchvision("vgg16_bn", "IMAGENET1K_V1", "vgg16_bn-6c64b313.pth",
            "6c64b3138f2f4fcb3bcc4cafde11619c4f440eb1631787e93a682fd88305888a", resize: 256, top1: 73.36, top5: 91.516, parameters: 138365992),
        Torchvision("vgg19", "IMAGENET1K_V1", "vgg19-dcbb9e9d.pth",
            "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44", resize: 256, top1: 72.376, top5: 90.876, parameters: 143667240),
        Torchvision("vgg19_bn", "IMAGENET1K_V1", "vgg19_bn-c79401a0.pth",
            "c79401a0cf3cb42714e4182f5868c7a6f4f4534f5df9e956e2bb2098de41cbb6", resize: 256, top1: 74.218, top5: 91.842, parameters: 143678248),
        // torchvision's GoogLeNet weights were trained on inputs scaled to [-1, 1] (its transform_input turns ImageNet-normalised
        // images back into those), so the normalisation here is mean 0.5, std 0.5; the file also holds the auxiliary classifiers.
        Torchvision("googlenet", "IMAGENET1K_V1", "googlenet-1378be20.pth",
            "1378be20a8e875cf1568b8a71654e704449655e34711a959a38b04fb34905cef", resize: 256, top1: 69.778, top5: 89.53, parameters: 6624904) with
        {
            Normalization = new PixelNormalization(3, 224, 224, 1f / 255, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]),
            IgnoredKeyPrefixes = ["aux1.", "aux2."],
        },
        Torchvision("resnet18", "IMAGENET1K_V1", "resnet18-f37072fd.pth",
            "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec", resize: 256, top1: 69.758, top5: 89.078, parameters: 11689512),
        Torchvision("resnet34", "IMAGENET1K_V1", "resnet34-b627a593.pth",
            "b627a593bcbe140c234610266fe4f8ae95ea42fc881d091c9b6052e6b1d0590f", resize: 256, top1: 73.314, top5: 91.42, parameters: 21797672),
        Torchvision("resnet50", "IMAGENET1K_V1", "resnet50-0676ba61.pth",
            "0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a", resize: 256, top1: 76.13, top5: 92.862, parameters: 25557032),
        Torchvision("resnet50", "IMAGENET1K_V2", "resnet50-11ad3fa6.pth",
            "11ad3fa62ca79e40addfd354a8ec4b7c75143b3038b8d2a807fbc68deab379ca", resize: 232, top1: 80.858, top5: 95.434, parameters: 25557032),
        Torchvision("resnet101", "IMAGENET1K_V1", "resnet101-63fe2227.pth",
            "63fe2227b86e8f1f2063f43a75c84d195911b6a0eace650907dd3dc62dd49a0a", resize: 256, top1: 77.374, top5: 93.546, parameters: 44549160),
        Torchvision("resnet101", "IMAGENET1K_V2", "resnet101-cd907fc2.pth",
            "cd907fc2a0de2292b2ba2b27d2216bc672d84632d1cf20058d01c0c03b5e020e", resize: 232, top1: 81.886, top5: 95.78, parameters: 44549160),
        Torchvision("resnet152", "IMAGENET1K_V1", "resnet152-394f9c45.pth",
            "394f9c45966e3651a89bbb78a48410a6755854ce4a5ab64927cf1c7247f85e58", resize: 256, top1: 78.312, top5: 94.046, parameters: 60192808),
        Torchvision("resnet152", "IMAGENET1K_V2", "resnet152-f82ba261.pth", "f82ba261", resize: 232, top1: 82.284, top5: 96.002, parameters: 60192808),
        // Ships inside Microsoft.ML.DnnImageFeaturizer.ResNet18 (no download); a CNTK export with no classifier, so no classes or accuracy.
        new("resnet18_cntk", OfflineName, "", "", ResizeSize: 224, DnnFeaturizerResNet18.Normalization, Categories: [], Top1: null, Top5: null,
            Parameters: 11176512),
    ];

    /// <summary>The entries of <paramref name="architecture"/>, in catalogue order.</summary>
    public static IReadOnlyList<PretrainedWeights> Of(string architecture)
    {
        lock (Gate) return Entries.Where(e => e.Architecture == architecture).ToList();
    }

    /// <summary>The entry <paramref name="name"/> of <paramref name="architecture"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists the architecture's weights, or the architectures that have that name.</exception>
    public static PretrainedWeights Find(string architecture, string name)
    {
        lock (Gate)
        {
            if (Entries.FirstOrDefault(e => e.Architecture == architecture && e.Name == name) is { } entry)
                return entry;
            var own = Entries.Where(e => e.Architecture == architecture).Select(e => e.Name).ToList();
            var elsewhere = Entries.Where(e => e.Name == name).Select(e => e.Architecture).ToList();
            throw new ArgumentException(
                $"{architecture} has no weights '{name}'. " +
                (own.Count > 0 ? $"Its weights: {string.Join(", ", own)}." : $"No weights are known for {architecture}.") +
                (elsewhere.Count > 0 ? $" '{name}' exists for {string.Join(", ", elsewhere)}." : ""),
                nameof(name));
        }
    }

    /// <summary>Adds an entry (a mirror's file, the user's own weights).</summary>
    /// <exception cref="ArgumentException">The architecture already has weights of that name.</exception>
    public static void Add(PretrainedWeights entry)
    {
        lock (Gate)
        {
            if (Entries.Any(e => e.Architecture == entry.Architecture && e.Name == entry.Name))
                throw new ArgumentException($"{entry.Architecture} already has weights '{entry.Name}'.", nameof(entry));
            Entries.Add(entry);
        }
    }

    private static PretrainedWeights Torchvision(string architecture, string name, string fileName, string sha256, int resize, double top1, double top5, long parameters)
        => new(architecture, name, fileName, sha256, resize, PixelNormalization.ImageNet(224), ImageNetCategories.Names, top1, top5, parameters);
}
