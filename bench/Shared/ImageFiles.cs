using Microsoft.ML.Data;

/// <summary>Photo-sized test images: 320x240, a random colour gradient with random discs and bars, alternately JPEG and PNG.</summary>
internal static class ImageFiles
{
    /// <summary>Writes <paramref name="count"/> images and returns their paths relative to <paramref name="folder"/>.</summary>
    /// <param name="folder">Where they go.</param>
    /// <param name="count">How many.</param>
    /// <param name="classes">0 for one flat folder; otherwise image i goes in the class folder <c>c{i % classes}</c>, as an image-folder dataset.</param>
    public static List<string> Write(string folder, int count, int classes = 0)
    {
        var random = new Random(5);
        var names = new List<string>();
        const int width = 320, height = 240;
        for (var i = 0; i < count; i++)
        {
            var pixels = new byte[4 * width * height];
            var (from, to) = (RandomColour(random), RandomColour(random));
            var shapes = Enumerable.Range(0, random.Next(2, 6))
                .Select(_ => (X: random.Next(width), Y: random.Next(height), Size: random.Next(10, 60), Disc: random.Next(2) == 0, Colour: RandomColour(random)))
                .ToList();
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var t = (float)(x + y) / (width + height);
                    var colour = Enumerable.Range(0, 3).Select(c => (byte)(from[c] + t * (to[c] - from[c]) + random.Next(-8, 9))).ToArray();
                    foreach (var s in shapes)
                        if (s.Disc ? (x - s.X) * (x - s.X) + (y - s.Y) * (y - s.Y) < s.Size * s.Size : Math.Abs(x - s.X) < s.Size && Math.Abs(y - s.Y) < s.Size / 4)
                            colour = s.Colour;
                    var p = 4 * (y * width + x);
                    (pixels[p], pixels[p + 1], pixels[p + 2], pixels[p + 3]) = (colour[0], colour[1], colour[2], 255);
                }
            var name = $"{i:D3}.{(i % 2 == 0 ? "jpg" : "png")}";
            if (classes > 0)
            {
                name = Path.Combine($"c{i % classes}", name);
                Directory.CreateDirectory(Path.Combine(folder, $"c{i % classes}"));
            }
            using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, pixels);
            image.Save(Path.Combine(folder, name));
            names.Add(name);
        }
        return names;
    }

    private static byte[] RandomColour(Random random) => [(byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)];
}
