using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNetCnn.Tests.Support;

/// <summary>A row with an in-memory image.</summary>
public sealed class ImageRow
{
    public string Label { get; set; } = "";
    [ImageType(Shapes.Size, Shapes.Size)]
    public MLImage Image { get; set; } = null!;
}

/// <summary>A row with a path to an image file.</summary>
public sealed class FileRow
{
    public string Label { get; set; } = "";
    public string ImagePath { get; set; } = "";
}

/// <summary>A row with planar RGB pixels, 0-255, as ExtractPixels gives them.</summary>
public sealed class VectorRow
{
    public string Label { get; set; } = "";
    [VectorType(3 * Shapes.Size * Shapes.Size)]
    public float[] Pixels { get; set; } = [];
}

/// <summary>One generated example: its class and RGBA pixels.</summary>
public sealed record ShapeExample(string Label, byte[] Rgba)
{
    public ImageRow AsImage() => new() { Label = Label, Image = MLImage.CreateFromPixels(Shapes.Size, Shapes.Size, MLPixelFormat.Rgba32, Rgba) };

    /// <summary>The example mirrored left to right.</summary>
    public ShapeExample Mirrored()
    {
        var mirrored = new byte[Rgba.Length];
        for (var y = 0; y < Shapes.Size; y++)
            for (var x = 0; x < Shapes.Size; x++)
                Array.Copy(Rgba, 4 * (y * Shapes.Size + x), mirrored, 4 * (y * Shapes.Size + Shapes.Size - 1 - x), 4);
        return this with { Rgba = mirrored };
    }

    public VectorRow AsVector()
    {
        const int area = Shapes.Size * Shapes.Size;
        var planar = new float[3 * area];
        for (var p = 0; p < area; p++)
            for (var c = 0; c < 3; c++)
                planar[c * area + p] = Rgba[4 * p + c];
        return new VectorRow { Label = Label, Pixels = planar };
    }
}

/// <summary>
/// Coloured shapes on noisy backgrounds, at random places and sizes: a red square, a green disc, a blue
/// horizontal bar and a yellow cross. A small CNN learns them in seconds at 32x32. With random colours, each shape gets a
/// colour of its own, so only the shape tells the classes apart.
/// </summary>
public static class Shapes
{
    public const int Size = 32;
    public static readonly string[] Classes = ["square", "disc", "bar", "cross"];

    public static List<ShapeExample> Generate(int count, int seed, int classes = 4, bool randomColours = true)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new ShapeExample(Classes[i % classes], Draw(i % classes, random, randomColours))).ToList();
    }

    /// <summary>Writes the images as PNG files into <paramref name="folder"/>; the rows name them relative to it.</summary>
    public static List<FileRow> SaveAsPng(IEnumerable<ShapeExample> examples, string folder)
    {
        Directory.CreateDirectory(folder);
        var rows = new List<FileRow>();
        foreach (var example in examples)
        {
            var row = new FileRow { Label = example.Label, ImagePath = $"{example.Label}-{rows.Count}.png" };
            using var image = example.AsImage().Image;
            image.Save(Path.Combine(folder, row.ImagePath));
            rows.Add(row);
        }
        return rows;
    }

    private static byte[] Draw(int kind, Random random, bool randomColour)
    {
        var pixels = new byte[Size * Size * 4];
        for (var p = 0; p < Size * Size; p++)
        {
            var grey = (byte)random.Next(40, 110);
            pixels[4 * p] = grey; pixels[4 * p + 1] = grey; pixels[4 * p + 2] = grey; pixels[4 * p + 3] = 255;
        }
        var extent = random.Next(6, 11);
        var cx = random.Next(extent, Size - extent);
        var cy = random.Next(extent, Size - extent);
        (byte R, byte G, byte B) fixedColour = kind switch { 0 => (220, 30, 30), 1 => (30, 200, 40), 2 => (40, 60, 230), _ => (230, 220, 40) };
        var colour = randomColour ? RandomColour(random) : fixedColour;
        for (var y = 0; y < Size; y++)
        for (var x = 0; x < Size; x++)
        {
            int dx = x - cx, dy = y - cy;
            var inside = kind switch
            {
                0 => Math.Abs(dx) <= extent && Math.Abs(dy) <= extent,
                1 => dx * dx + dy * dy <= extent * extent,
                2 => Math.Abs(dx) <= extent && Math.Abs(dy) <= extent / 3,
                _ => (Math.Abs(dx) <= extent && Math.Abs(dy) <= 1) || (Math.Abs(dy) <= extent && Math.Abs(dx) <= 1),
            };
            if (!inside) continue;
            var p = 4 * (y * Size + x);
            pixels[p] = colour.R; pixels[p + 1] = colour.G; pixels[p + 2] = colour.B;
        }
        return pixels;
    }

    // Any colour with one channel bright enough to stand out from the grey background (40-110).
    private static (byte R, byte G, byte B) RandomColour(Random random)
    {
        var channels = new[] { (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256) };
        channels[random.Next(3)] = (byte)random.Next(190, 256);
        return (channels[0], channels[1], channels[2]);
    }
}
