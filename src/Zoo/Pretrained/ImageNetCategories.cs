using System.Reflection;

namespace MLNetCnn.Zoo;

/// <summary>The 1000 ImageNet-1K class names in output order, as torchvision lists them (an embedded text file, one per line).</summary>
internal static class ImageNetCategories
{
    private static readonly Lazy<IReadOnlyList<string>> Lines = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MLNetCnn.Zoo.Pretrained.imagenet-categories.txt")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    });

    public static IReadOnlyList<string> Names => Lines.Value;
}
