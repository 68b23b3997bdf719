using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNetCnn.Tests.Support;

/// <summary>A picture of one shape among clutter, and the shape's bounding box (inclusive pixel bounds).</summary>
public sealed record ClutteredExample(string Label, byte[] Rgba, int Left, int Top, int Right, int Bottom)
{
    public ClutteredImageRow AsImage() => new() { Label = Label, Image = MLImage.CreateFromPixels(ClutteredShapes.Size, ClutteredShapes.Size, MLPixelFormat.Rgba32, Rgba) };
}

/// <summary>A row with an in-memory cluttered picture.</summary>
public sealed class ClutteredImageRow
{
    public string Label { get; set; } = "";

    [ImageType(ClutteredShapes.Size, ClutteredShapes.Size)]
    public MLImage Image { get; set; } = null!;
}

/// <summary>
/// One shape (a filled square, a ring or a triangle) in a random colour, place and size, on a noisy background strewn
/// with short strokes and dots of random colours: only the shape tells the class, and only inside its box.
/// </summary>
public static class ClutteredShapes
{
    public const int Size = 48;
    public static readonly string[] Classes = ["square", "ring", "triangle"];

    public static List<ClutteredExample> Generate(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => Draw(Classes[i % Classes.Length], random)).ToList();
    }

    private static ClutteredExample Draw(string label, Random random)
    {
        var pixels = new byte[4 * Size * Size];
        var background = random.Next(40, 120);
        for (var p = 0; p < Size * Size; p++)
        {
            var v = (byte)Math.Clamp(background + random.Next(-25, 26), 0, 255);
            (pixels[4 * p], pixels[4 * p + 1], pixels[4 * p + 2], pixels[4 * p + 3]) = (v, v, v, 255);
        }
        for (var stroke = 0; stroke < 10; stroke++)  // clutter: short straight strokes and dots, any colour
        {
            var colour = RandomColour(random);
            var (x, y) = (random.Next(Size), random.Next(Size));
            var (dx, dy) = (random.Next(-1, 2), random.Next(-1, 2));
            for (var step = random.Next(1, 6); step > 0; step--, x += dx, y += dy)
                Set(pixels, x, y, colour);
        }
        var half = random.Next(8, 13);
        var (cx, cy) = (random.Next(half + 1, Size - half - 1), random.Next(half + 1, Size - half - 1));
        var shape = RandomColour(random);
        for (var y = cy - half; y <= cy + half; y++)
            for (var x = cx - half; x <= cx + half; x++)
            {
                var (u, v) = (x - cx, y - cy);
                var distance = Math.Sqrt(u * u + v * v);
                var inside = label switch
                {
                    "square" => true,
                    "ring" => distance <= half && distance >= half - 2.5,
                    _ => v >= -half && Math.Abs(u) <= (v + half) / 2.0,   // apex up, base at the bottom
                };
                if (inside)
                    Set(pixels, x, y, shape);
            }
        return new ClutteredExample(label, pixels, cx - half, cy - half, cx + half, cy + half);
    }

    private static (byte, byte, byte) RandomColour(Random random) => ((byte)random.Next(140, 256), (byte)random.Next(140, 256), (byte)random.Next(140, 256));

    private static void Set(byte[] pixels, int x, int y, (byte R, byte G, byte B) colour)
    {
        if (x < 0 || y < 0 || x >= Size || y >= Size)
            return;
        var p = 4 * (y * Size + x);
        (pixels[p], pixels[p + 1], pixels[p + 2]) = colour;
    }
}
