namespace MLNetCnn;

/// <summary>What the image column holds.</summary>
public enum CnnInputKind
{
    /// <summary>An <c>MLImage</c> column (from <c>LoadImages</c> or <c>MLImage.CreateFromPixels</c>): bytes 0-255.</summary>
    Image,

    /// <summary>A float vector of <c>C*H*W</c> pixels in channel-major order (from <c>ExtractPixels</c> or the user's arrays).</summary>
    Vector,
}

/// <summary>
/// How rows become network input, recorded with the model (like timm's pretrained config) and applied
/// identically in training, scoring and featurization: read the column, convert channels, resize to
/// <see cref="Height"/> x <see cref="Width"/>, multiply by <see cref="PixelScale"/>, then subtract
/// <see cref="Mean"/> and divide by <see cref="Std"/> per channel.
/// </summary>
/// <param name="InputKind">Image or float vector column.</param>
/// <param name="Channels">Channels the network takes (1 grey, 3 RGB).</param>
/// <param name="Height">Network input height.</param>
/// <param name="Width">Network input width.</param>
/// <param name="VectorShape">For vector columns, the (channels, height, width) of each vector; null for images.</param>
/// <param name="PixelScale">Factor from raw values to [0, 1] (1/255 for bytes).</param>
/// <param name="Mean">Per-channel mean subtracted after scaling.</param>
/// <param name="Std">Per-channel standard deviation divided by after the mean.</param>
public sealed record CnnPreprocessing(
    CnnInputKind InputKind,
    int Channels,
    int Height,
    int Width,
    (int Channels, int Height, int Width)? VectorShape,
    float PixelScale,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std)
{
    /// <summary>Values per preprocessed image: <c>Channels * Height * Width</c>.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>Describes the expected column, for error messages.</summary>
    public string ExpectedColumnText => InputKind == CnnInputKind.Image
        ? "an image (MLImage)"
        : $"a vector of {VectorShape!.Value.Channels}*{VectorShape.Value.Height}*{VectorShape.Value.Width} = " +
          $"{VectorShape.Value.Channels * VectorShape.Value.Height * VectorShape.Value.Width} floats";
}
