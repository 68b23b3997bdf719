using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.Data;

namespace MLNetCnn;

/// <summary>One set of Fashion-MNIST: 28x28 grey images (row-major bytes, 0-255) and their class indices (0-9).</summary>
/// <param name="Pixels">Count x 28 x 28 bytes.</param>
/// <param name="Labels">Count class indices into <see cref="FashionMnist.ClassNames"/>.</param>
public sealed record FashionMnistSet(byte[] Pixels, byte[] Labels)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The class name of image <paramref name="index"/>.</summary>
    public string Label(int index) => FashionMnist.ClassNames[Labels[index]];

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * FashionMnist.ImageSize * FashionMnist.ImageSize, FashionMnist.ImageSize * FashionMnist.ImageSize);
}

/// <summary>
/// Reads Fashion-MNIST (Zalando's 70,000 grey 28x28 clothing images, 10 classes) from its IDX files as Debian's
/// <c>dataset-fashion-mnist</c> package installs them (gzip), and writes a set out as a folder-per-class of PNG files for
/// <see cref="ImageFolder"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Width and height of every image.</summary>
    public const int ImageSize = 28;

    /// <summary>The class names, by class index.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The 60,000 training images, or the 10,000 test images.</summary>
    /// <param name="folder">Where the IDX files are.</param>
    /// <param name="train">The training set, else the test set.</param>
    /// <param name="limit">Read only the first this many (the sets are shuffled, so a prefix keeps the classes about balanced).</param>
    /// <exception cref="FileNotFoundException">A file is missing (the message says how to install them).</exception>
    /// <exception cref="InvalidDataException">A file is not an IDX file of the expected kind, or images and labels disagree.</exception>
    public static FashionMnistSet Read(string folder = DefaultFolder, bool train = true, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (limit is < 1)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "Read at least one image, or pass null for all.");
        var prefix = train ? "train" : "t10k";
        var pixels = ReadIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), ImagesMagic, out var count);
        var labels = ReadIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), LabelsMagic, out var labelCount);
        if (count != labelCount || pixels.Length != (long)count * ImageSize * ImageSize)
            throw new InvalidDataException($"'{folder}': {count} images of {pixels.Length} bytes but {labelCount} labels; reinstall dataset-fashion-mnist.");
        if (labels.Any(label => label >= ClassNames.Count))
            throw new InvalidDataException($"'{folder}': a label is outside 0-9; reinstall dataset-fashion-mnist.");
        var kept = Math.Min(count, limit ?? count);
        return new FashionMnistSet(pixels[..(kept * ImageSize * ImageSize)], labels[..kept]);
    }

    /// <summary>
    /// Writes <paramref name="set"/> as <c>destination/&lt;class&gt;/&lt;index&gt;.png</c> (class names with '/' get '-'), for
    /// <see cref="ImageFolder.Read"/>. The folder appears whole or not at all: written beside, then renamed.
    /// </summary>
    /// <exception cref="IOException">The destination exists.</exception>
    public static void WriteImageFolder(FashionMnistSet set, string destination)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(destination);
        destination = Path.GetFullPath(destination);
        if (Directory.Exists(destination) || File.Exists(destination))
            throw new IOException($"'{destination}' exists; remove it or write elsewhere.");
        var staging = $"{destination}.partial-{Environment.ProcessId}";
        try
        {
            // Only the classes the set holds get a folder: an empty class folder is not a data set ImageFolder reads.
            for (var i = 0; i < set.Count; i++)
            {
                var classFolder = Directory.CreateDirectory(Path.Combine(staging, FolderName(set.Label(i)))).FullName;
                using var image = ToImage(set.Image(i));
                image.Save(Path.Combine(classFolder, $"{i:D5}.png"));
            }
            Directory.Move(staging, destination);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The folder name of a class: its name, with the '/' of "T-shirt/top" made '-'.</summary>
    public static string FolderName(string className) => className.Replace('/', '-');

    private const int ImagesMagic = 0x803;
    private const int LabelsMagic = 0x801;

    private static MLImage ToImage(ReadOnlySpan<byte> grey)
    {
        var rgba = new byte[grey.Length * 4];
        for (var i = 0; i < grey.Length; i++)
        {
            rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = grey[i];
            rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(ImageSize, ImageSize, MLPixelFormat.Rgba32, rgba);
    }

    private static byte[] ReadIdx(string path, int expectedMagic, out int count)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Fashion-MNIST file '{path}' is missing: install Debian's dataset-fashion-mnist (eng/setup.sh --data does).", path);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var magic = bytes.Length >= 8 ? BinaryPrimitives.ReadInt32BigEndian(bytes) : -1;
        if (magic != expectedMagic)
            throw new InvalidDataException($"'{path}' is not an IDX file of the expected kind (magic 0x{magic:X}, expected 0x{expectedMagic:X}).");
        var headerLength = 4 + 4 * (magic & 0xFF);
        count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (bytes.Length < headerLength || count < 0)
            throw new InvalidDataException($"'{path}' is cut short in its header.");
        return bytes[headerLength..];
    }
}
