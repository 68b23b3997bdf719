namespace MLNetCnn.Zoo;

/// <summary>
/// The weights the zoo knows by name: torchvision's ImageNet-1K weights for every zoo architecture it publishes weights for
/// (file names, hash prefixes, evaluation resize, accuracies and parameter counts as torchvision 0.21 lists them), the
/// offline ResNet-18 of ML.NET's DnnImageFeaturizer package, and those registered with <see cref="CnnZoo.RegisterWeights"/>.
/// torchvision's features-only VGG-16 weights are left out: they hold no classifier.
/// </summary>
internal static class WeightsCatalog
{
    /// <summary>The offline entry's name.</summary>
    public const string OfflineName = "IMAGENET1K_CNTK";

    private static readonly object Gate = new();

    private static readonly List<PretrainedWeights> Entries =
    [
        Torchvision("alexnet", "IMAGENET1K_V1", "alexnet-owt-7be5be79.pth", "7be5be79", resize: 256, top1: 56.522, top5: 79.066, parameters: 61100840),
        Torchvision("vgg11", "IMAGENET1K_V1", "vgg11-8a719046.pth", "8a719046", resize: 256, top1: 69.02, top5: 88.628, parameters: 132863336),
        Torchvision("vgg11_bn", "IMAGENET1K_V1", "vgg11_bn-6002323d.pth", "6002323d", resize: 256, top1: 70.37, top5: 89.81, parameters: 132868840),
        Torchvision("vgg13", "IMAGENET1K_V1", "vgg13-19584684.pth", "19584684", resize: 256, top1: 69.928, top5: 89.246, parameters: 133047848),
        Torchvision("vgg13_bn", "IMAGENET1K_V1", "vgg13_bn-abd245e5.pth", "abd245e5", resize: 256, top1: 71.586, top5: 90.374, parameters: 133053736),
        Torchvision("vgg16", "IMAGENET1K_V1", "vgg16-397923af.pth", "397923af", resize: 256, top1: 71.592, top5: 90.382, parameters: 138357544),
        Torchvision("vgg16_bn", "IMAGENET1K_V1", "vgg16_bn-6c64b313.pth", "6c64b313", resize: 256, top1: 73.36, top5: 91.516, parameters: 138365992),
        Torchvision("vgg19", "IMAGENET1K_V1", "vgg19-dcbb9e9d.pth", "dcbb9e9d", resize: 256, top1: 72.376, top5: 90.876, parameters: 143667240),
        Torchvision("vgg19_bn", "IMAGENET1K_V1", "vgg19_bn-c79401a0.pth", "c79401a0", resize: 256, top1: 74.218, top5: 91.842, parameters: 143678248),
        // torchvision's GoogLeNet weights were trained on inputs scaled to [-1, 1] (its transform_input turns ImageNet-normalised
        // images back into those), so the normalisation here is mean 0.5, std 0.5; the file also holds the auxiliary classifiers.
        Torchvision("googlenet", "IMAGENET1K_V1", "googlenet-1378be20.pth", "1378be20", resize: 256, top1: 69.778, top5: 89.53, parameters: 6624904) with
        {
            Normalization = new PixelNormalization(3, 224, 224, 1f / 255, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]),
            IgnoredKeyPrefixes = ["aux1.", "aux2."],
        },
        Torchvision("resnet18", "IMAGENET1K_V1", "resnet18-f37072fd.pth", "f37072fd", resize: 256, top1: 69.758, top5: 89.078, parameters: 11689512),
        Torchvision("resnet34", "IMAGENET1K_V1", "resnet34-b627a593.pth", "b627a593", resize: 256, top1: 73.314, top5: 91.42, parameters: 21797672),
        Torchvision("resnet50", "IMAGENET1K_V1", "resnet50-0676ba61.pth", "0676ba61", resize: 256, top1: 76.13, top5: 92.862, parameters: 25557032),
        Torchvision("resnet50", "IMAGENET1K_V2", "resnet50-11ad3fa6.pth", "11ad3fa6", resize: 232, top1: 80.858, top5: 95.434, parameters: 25557032),
        Torchvision("resnet101", "IMAGENET1K_V1", "resnet101-63fe2227.pth", "63fe2227", resize: 256, top1: 77.374, top5: 93.546, parameters: 44549160),
        Torchvision("resnet101", "IMAGENET1K_V2", "resnet101-cd907fc2.pth", "cd907fc2", resize: 232, top1: 81.886, top5: 95.78, parameters: 44549160),
        Torchvision("resnet152", "IMAGENET1K_V1", "resnet152-394f9c45.pth", "394f9c45", resize: 256, top1: 78.312, top5: 94.046, parameters: 60192808),
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

    private static PretrainedWeights Torchvision(string architecture, string name, string fileName, string hash, int resize, double top1, double top5, long parameters)
        => new(architecture, name, fileName, hash, resize, PixelNormalization.ImageNet(224), ImageNetCategories.Names, top1, top5, parameters);
}
