namespace MLNetCnn;

/// <summary>
/// Limits on the images MLNetCnn reads, process-wide. An image beyond them is refused with its row and file before any
/// pixel is converted: a small file whose header claims 20000x20000 pixels would otherwise take gigabytes to convert.
/// </summary>
/// <remarks>
/// ML.NET's <c>LoadImages</c> decodes a file before MLNetCnn sees it, so the limit bounds MLNetCnn's own conversion and
/// resizing, not that decode; to bound decoding too, check file sizes before loading.
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
}
