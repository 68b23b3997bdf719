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
    /// <summary>Preprocessing of an image column (MLImage) for <paramref name="model"/>.</summary>
    /// <param name="model">The network: its channels and design size.</param>
    /// <param name="imageSize">Height and width; default the model's design size.</param>
    /// <param name="pixelScale">From bytes to the model's scale: 1/255 for [0, 1], 1 for 0-255 (e.g. <c>DnnFeaturizerResNet18</c>).</param>
    /// <param name="mean">Per-channel mean after scaling (ImageNet's is 0.485, 0.456, 0.406); default 0.</param>
    /// <param name="std">Per-channel standard deviation after scaling (ImageNet's is 0.229, 0.224, 0.225); default 1.</param>
    public static CnnPreprocessing ForImages(MLNetCnn.Zoo.CnnModel model, int? imageSize = null, float pixelScale = 1f / 255f,
        IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var size = imageSize ?? model.DefaultImageSize;
        var m = mean ?? Enumerable.Repeat(0f, model.InChannels).ToArray();
        var s = std ?? Enumerable.Repeat(1f, model.InChannels).ToArray();
        if (m.Count != model.InChannels || s.Count != model.InChannels)
            throw new ArgumentException($"mean and std need one value per channel ({model.InChannels}); got {m.Count} and {s.Count}.");
        return new CnnPreprocessing(CnnInputKind.Image, model.InChannels, size, size, null, pixelScale, m, s);
    }

    /// <summary>Values per preprocessed image: <c>Channels * Height * Width</c>.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>Describes the expected column, for error messages.</summary>
    public string ExpectedColumnText => InputKind == CnnInputKind.Image
        ? "an image (MLImage)"
        : $"a vector of {VectorShape!.Value.Channels}*{VectorShape.Value.Height}*{VectorShape.Value.Width} = " +
          $"{VectorShape.Value.Channels * VectorShape.Value.Height * VectorShape.Value.Width} floats";
}
