using Microsoft.ML.Data;
using SkiaSharp;

namespace MLNetCnn.Explanation;

/// <summary>Draws a heatmap over a picture: the heat resized bilinearly to the picture, coloured with the "jet" ramp, blended in.</summary>
internal static class HeatmapOverlay
{
    /// <summary>The picture with the heat blended over it, as PNG bytes.</summary>
    public static byte[] Png(MLImage image, ReadOnlySpan<float> heat, int heatHeight, int heatWidth, float opacity)
    {
        var (width, height) = (image.Width, image.Height);
        var source = image.Pixels;
        var bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        var pixels = new byte[4 * width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var value = Sample(heat, heatHeight, heatWidth, (y + 0.5f) * heatHeight / height - 0.5f, (x + 0.5f) * heatWidth / width - 0.5f);
                var (r, g, b) = Jet(value);
                var p = 4 * (y * width + x);
                var (pr, pg, pb) = bgra ? (source[p + 2], source[p + 1], source[p]) : (source[p], source[p + 1], source[p + 2]);
                // Cool regions show the picture through; hot ones are covered up to the chosen opacity.
                var alpha = opacity * (0.25f + 0.75f * value);
                pixels[p] = (byte)(pr * (1 - alpha) + r * alpha);
                pixels[p + 1] = (byte)(pg * (1 - alpha) + g * alpha);
                pixels[p + 2] = (byte)(pb * (1 - alpha) + b * alpha);
                pixels[p + 3] = 255;
            }
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Bilinear sample at fractional (row, column), clamped at the edges.</summary>
    private static float Sample(ReadOnlySpan<float> heat, int height, int width, float row, float column)
    {
        row = Math.Clamp(row, 0, height - 1);
        column = Math.Clamp(column, 0, width - 1);
        var (r0, c0) = ((int)row, (int)column);
        var (r1, c1) = (Math.Min(r0 + 1, height - 1), Math.Min(c0 + 1, width - 1));
        var (fr, fc) = (row - r0, column - c0);
        var top = heat[r0 * width + c0] * (1 - fc) + heat[r0 * width + c1] * fc;
        var bottom = heat[r1 * width + c0] * (1 - fc) + heat[r1 * width + c1] * fc;
        return Math.Clamp(top * (1 - fr) + bottom * fr, 0, 1);
    }

    /// <summary>The "jet" colour ramp: blue, cyan, yellow, red.</summary>
    private static (byte R, byte G, byte B) Jet(float v)
    {
        static byte Channel(float x) => (byte)(255 * Math.Clamp(1.5f - Math.Abs(x), 0, 1));
        return (Channel(4 * v - 3), Channel(4 * v - 2), Channel(4 * v - 1));
    }
}
