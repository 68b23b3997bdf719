using MLNetCnn.Data;

namespace MLNetCnn;

/// <summary>
/// Limits on the images MLNetCnn reads, process-wide. An image beyond them is refused with its row and file before any
/// pixel is converted: a small file whose header claims 20000x20000 pixels would otherwise take gigabytes to convert.
/// </summary>
/// <remarks>
/// ML.NET's <c>LoadImages</c> decodes a file before MLNetCnn sees it, so in a pipeline the limit bounds MLNetCnn's own
/// conversion and resizing, not that decode. <see cref="ImageFolder.Read"/> checks each file's declared size with
/// <see cref="CheckFile"/> before anything decodes it; call <see cref="CheckFile"/> yourself on paths you list another way.
/// </remarks>
public static class CnnImageLimits
{
    private static long maxPixels = 50_000_000;

    /// <summary>The most pixels (width times height) an image may have; default 50 megapixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static long MaxPixels
    {
        get => Interlocked.Read(ref maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Interlocked.Exchange(ref maxPixels, value);
        }
    }

    /// <summary>
    /// Refuses an image file whose header declares more than <see cref="MaxPixels"/> pixels, reading only the header
    /// (PNG, JPEG, GIF, BMP and WebP; a file of another format, or too short to tell, passes and is left to the decoder).
    /// </summary>
    /// <exception cref="InvalidDataException">The declared size is over the limit; the message names the file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static void CheckFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (ImageHeader.ReadSize(path) is not var (width, height))
            return;
        if (width * height > MaxPixels)
            throw new InvalidDataException(
                $"Image '{path}' declares {width}x{height} = {width * height:N0} pixels, over the limit of {MaxPixels:N0} " +
                "(CnnImageLimits.MaxPixels); it was not decoded. Shrink the image, or raise the limit if it is genuine.");
    }
}
