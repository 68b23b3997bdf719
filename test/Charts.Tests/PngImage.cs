using SkiaSharp;

namespace MLNetCnn.Charts.Tests;

/// <summary>Reads back a written chart to check it is a real picture, not an empty file or a blank canvas.</summary>
internal static class PngImage
{
    public static (int Width, int Height, int DistinctColours) Inspect(string path)
    {
        File.ReadAllBytes(path).Take(8).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        using var bitmap = SKBitmap.Decode(path);
        var colours = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y += 3)
            for (var x = 0; x < bitmap.Width; x += 3)
                colours.Add(bitmap.GetPixel(x, y));
        return (bitmap.Width, bitmap.Height, colours.Count);
    }
}
