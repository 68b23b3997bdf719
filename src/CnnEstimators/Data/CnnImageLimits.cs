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
    /// (PNG, JPEG, GIF, BMP and WebP; a file of another format, or too short to tell, passes and is left to the decoder), and one
    /// of no bytes, which is empty or not a regular file at all (a FIFO named like an image would block the reader forever), before opening it.
    /// </summary>
    /// <exception cref="InvalidDataException">The declared size is over the limit, or the file has no bytes; the message names the file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static void CheckFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A FIFO, socket or device reports no length: its size is all that can be asked of it without opening it.
        if (new FileInfo(path) is { Exists: true, Length: 0 })
            throw new InvalidDataException($"Image '{path}' has no bytes: it is empty, or not a regular file (a FIFO, socket or device); it was not opened. Remove it.");
        if (ImageHeader.ReadSize(path) is var (width, height))
            Check(width, height, $"Image '{path}' (as its header declares)", "; it was not decoded");
    }

    /// <summary>The one check and message for every image MLNetCnn reads: a file's header, a decoded image, a picture to explain.</summary>
    /// <param name="width">The image's width.</param>
    /// <param name="height">The image's height.</param>
    /// <param name="what">The image, named for the message: its file, or its row and column.</param>
    /// <param name="note">Said after the limit, e.g. that the file was not decoded.</param>
    /// <exception cref="InvalidDataException">The image has more than <see cref="MaxPixels"/> pixels.</exception>
    internal static void Check(long width, long height, string what, string note = "")
    {
        if (width * height > MaxPixels)
            throw new InvalidDataException(
                $"{what} is {width}x{height} = {width * height:N0} pixels, over the limit of {MaxPixels:N0} (CnnImageLimits.MaxPixels){note}. " +
                "Shrink the image, or raise the limit if it is genuine.");
    }
}
