using System.Buffers.Binary;
using FluentAssertions;
using MLNetCnn.Data;
using MLNetCnn.Tests.Robustness;
using MLNetCnn.Tests.Support;
using SkiaSharp;

namespace MLNetCnn.Tests.Data;

/// <summary>
/// The declared size read from a header equals what SkiaSharp (ML.NET's decoder) reads for the same file, for every format
/// we sniff, at random sizes; a header that lies is refused before anything decodes it.
/// </summary>
[Collection(ProcessWideSettings.Name)]
public class ImageHeaderTests
{
    public static TheoryData<string> Formats => new() { "png", "jpeg", "webp-lossy", "webp-lossless", "bmp", "bmp-top-down", "gif" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void DeclaredSize_EqualsTheDecodersSize_AtRandomSizes(string format)
    {
        using var folder = new TempFolder();
        var random = new Random(format.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        for (var i = 0; i < 5; i++)
        {
            var (width, height) = (random.Next(1, 700), random.Next(1, 500));
            var path = folder.File($"{i}.{format}");
            File.WriteAllBytes(path, Encode(format, width, height, random));

            using var codec = SKCodec.Create(path);
            codec.Should().NotBeNull($"SkiaSharp must read the {format} file we wrote");
            (codec!.Info.Width, codec.Info.Height).Should().Be((width, height));
            ImageHeader.ReadSize(path).Should().Be(((long)width, (long)height));
        }
    }

    [Fact]
    public void PngDeclaringTwentyThousandSquared_IsRefusedByImageFolderRead_WithoutDecoding()
    {
        using var folder = new TempFolder();
        foreach (var label in new[] { "a", "b" })
        {
            Directory.CreateDirectory(folder.File(label));
            File.WriteAllBytes(folder.File($"{label}/small.png"), Encode("png", 8, 8, new Random(1)));
        }
        var liar = Encode("png", 8, 8, new Random(2));
        BinaryPrimitives.WriteUInt32BigEndian(liar.AsSpan(16), 20_000);
        BinaryPrimitives.WriteUInt32BigEndian(liar.AsSpan(20), 20_000);
        File.WriteAllBytes(folder.File("b/liar.png"), liar);

        FluentActions.Invoking(() => ImageFolder.Read(folder.Path)).Should().Throw<InvalidDataException>()
            .WithMessage("*liar.png*20000x20000 = 400,000,000 pixels*50,000,000*CnnImageLimits.MaxPixels*not decoded*");
        File.Delete(folder.File("b/liar.png"));
        ImageFolder.Read(folder.Path).Should().HaveCount(2);
    }

    [Fact]
    public void CheckFile_FollowsTheLimit_AndLeavesUnknownFormatsToTheDecoder()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("photo.jpg"), Encode("jpeg", 120, 100, new Random(3)));
        File.WriteAllText(folder.File("notes.jpg"), "not an image at all");
        var limit = CnnImageLimits.MaxPixels;
        try
        {
            CnnImageLimits.MaxPixels = 12_000;
            CnnImageLimits.CheckFile(folder.File("photo.jpg"));
            CnnImageLimits.MaxPixels = 11_999;
            FluentActions.Invoking(() => CnnImageLimits.CheckFile(folder.File("photo.jpg"))).Should().Throw<InvalidDataException>()
                .WithMessage("*photo.jpg*120x100 = 12,000 pixels*11,999*");
            ImageHeader.ReadSize(folder.File("notes.jpg")).Should().BeNull();
            CnnImageLimits.CheckFile(folder.File("notes.jpg"));
        }
        finally
        {
            CnnImageLimits.MaxPixels = limit;
        }
    }

    /// <summary>A file of <paramref name="format"/> holding random pixels: SkiaSharp's encoders, or by hand for BMP and GIF, which Skia does not write.</summary>
    private static byte[] Encode(string format, int width, int height, Random random)
    {
        var pixels = new byte[width * height * 4];
        random.NextBytes(pixels);
        for (var i = 3; i < pixels.Length; i += 4) pixels[i] = 255;
        return format switch
        {
            "png" => SkiaEncode(pixels, width, height, SKEncodedImageFormat.Png, 100),
            "jpeg" => SkiaEncode(pixels, width, height, SKEncodedImageFormat.Jpeg, 90),
            "webp-lossy" => SkiaEncode(pixels, width, height, SKEncodedImageFormat.Webp, 80),
            "webp-lossless" => SkiaEncode(pixels, width, height, SKEncodedImageFormat.Webp, quality: null),
            "bmp" => Bmp(pixels, width, height, topDown: false),
            "bmp-top-down" => Bmp(pixels, width, height, topDown: true),
            "gif" => Gif(width, height),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Encodes with SkiaSharp; a null quality is WebP's lossless mode.</summary>
    private static byte[] SkiaEncode(byte[] pixels, int width, int height, SKEncodedImageFormat format, int? quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var pixmap = bitmap.PeekPixels();
        using var data = quality is { } q ? pixmap.Encode(format, q) : pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100));
        return data.ToArray();
    }

    /// <summary>A 24-bit BMP (BITMAPINFOHEADER), rows padded to four bytes; top-down rows have a negative height.</summary>
    private static byte[] Bmp(byte[] rgba, int width, int height, bool topDown)
    {
        var stride = (width * 3 + 3) & ~3;
        var file = new byte[54 + stride * height];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), topDown ? -height : height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                for (var c = 0; c < 3; c++)
                    file[54 + y * stride + x * 3 + c] = rgba[(y * width + x) * 4 + 2 - c];
        return file;
    }

    /// <summary>A GIF89a of one frame covering the screen, black; its LZW stream is one clear code then end.</summary>
    private static byte[] Gif(int width, int height)
    {
        var file = new List<byte>();
        file.AddRange("GIF89a"u8.ToArray());
        file.AddRange([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0x80, 0, 0]);  // global table of 2 colours
        file.AddRange([0, 0, 0, 255, 255, 255]);
        file.AddRange([0x2C, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0]);
        file.AddRange([2, 1, 0x44, 0, 0x3B]);  // min code size 2; codes clear(4), end(5) in 3 bits each; terminator; trailer
        return file.ToArray();
    }
}
