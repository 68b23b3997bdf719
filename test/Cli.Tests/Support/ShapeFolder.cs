using Microsoft.ML.Data;

namespace MLNetCnn.Cli.Tests.Support;

/// <summary>
/// A folder-per-class data set of generated PNGs: a filled square, a ring and a horizontal bar, each in a random colour at
/// a random place and size on a random grey background, so that only the shape tells the classes apart.
/// </summary>
public sealed class ShapeFolder : IDisposable
{
    public const int Size = 32;
    public static readonly string[] Classes = ["bar", "ring", "square"];

    public ShapeFolder(int perClass, int seed, IReadOnlyList<string>? classes = null)
    {
        var random = new Random(seed);
        foreach (var label in classes ?? Classes)
        {
            Directory.CreateDirectory(System.IO.Path.Combine(Path, label));
            for (var i = 0; i < perClass; i++)
            {
                using var image = MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Rgba32, Draw(label, random));
                image.Save(System.IO.Path.Combine(Path, label, $"{label}-{i:D3}.png"));
            }
        }
    }

    public string Path { get; } = Directory.CreateTempSubdirectory("mlnetcnn-cli-").FullName;

    /// <summary>Every image, sorted, with its class.</summary>
    public IReadOnlyList<(string File, string Label)> Images => Directory.GetDirectories(Path).Order(StringComparer.Ordinal)
        .SelectMany(folder => Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(file => (file, System.IO.Path.GetFileName(folder))))
        .ToList();

    public void Dispose() => Directory.Delete(Path, recursive: true);

    private static byte[] Draw(string label, Random random)
    {
        var pixels = new byte[4 * Size * Size];
        var background = (byte)random.Next(20, 110);
        var (r, g, b) = ((byte)random.Next(130, 256), (byte)random.Next(130, 256), (byte)random.Next(130, 256));
        var (cx, cy, radius) = (random.Next(11, 21), random.Next(11, 21), random.Next(6, 10));
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
            {
                var distance = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
                var inside = label switch
                {
                    "square" => Math.Abs(x - cx) <= radius && Math.Abs(y - cy) <= radius,
                    "ring" => distance <= radius && distance >= radius - 2.5,
                    _ => Math.Abs(x - cx) <= radius + 2 && Math.Abs(y - cy) <= 2,
                };
                var noise = random.Next(-12, 13);
                var p = 4 * (y * Size + x);
                (pixels[p], pixels[p + 1], pixels[p + 2]) = inside ? (r, g, b) : Grey(background + noise);
                pixels[p + 3] = 255;
            }
        return pixels;
    }

    private static (byte, byte, byte) Grey(int level)
    {
        var v = (byte)Math.Clamp(level, 0, 255);
        return (v, v, v);
    }
}
