using MLNetCnn.Zoo;

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
/// identically in training, scoring, featurization and the saved ONNX graph: read the column, convert channels,
/// resize to the network's size, then the <see cref="Normalization"/> (scale, per-channel mean and std).
/// </summary>
/// <param name="InputKind">Image or float vector column.</param>
/// <param name="Normalization">The network's input size and pixel normalisation (the zoo's record, shared with ONNX export).</param>
/// <param name="VectorShape">For vector columns, the (channels, height, width) of each vector; null for images.</param>
public sealed record CnnPreprocessing(CnnInputKind InputKind, PixelNormalization Normalization, (int Channels, int Height, int Width)? VectorShape = null)
{
    /// <summary>Preprocessing of an image column (MLImage) for <paramref name="model"/>: the model's own normalisation when it carries one
    /// (pretrained weights), else bytes scaled to [0, 1] without standardisation; each argument given overrides.</summary>
    /// <param name="model">The network: its channels, design size and default normalisation.</param>
    /// <param name="imageSize">Height and width; default the model's.</param>
    /// <param name="pixelScale">From bytes to the model's scale: 1/255 for [0, 1], 1 for 0-255.</param>
    /// <param name="mean">Per-channel mean after scaling (ImageNet's is 0.485, 0.456, 0.406).</param>
    /// <param name="std">Per-channel standard deviation after scaling (ImageNet's is 0.229, 0.224, 0.225).</param>
    /// <exception cref="ArgumentException">The resulting normalisation is inconsistent (the message lists why).</exception>
    public static CnnPreprocessing ForImages(CnnModel model, int? imageSize = null, float? pixelScale = null,
        IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var size = imageSize ?? model.DefaultNormalization?.Height ?? model.DefaultImageSize;
        var baseline = model.DefaultNormalization ?? PixelNormalization.UnitScale(model.InChannels, size, size);
        var normalization = baseline with
        {
            Height = size,
            Width = size,
            Scale = pixelScale ?? baseline.Scale,
            Mean = mean ?? baseline.Mean,
            Std = std ?? baseline.Std,
        };
        return new CnnPreprocessing(CnnInputKind.Image, normalization.Validated());
    }

    /// <summary>Channels the network takes.</summary>
    public int Channels => Normalization.Channels;

    /// <summary>Network input height.</summary>
    public int Height => Normalization.Height;

    /// <summary>Network input width.</summary>
    public int Width => Normalization.Width;

    /// <summary>Factor from raw values to the normalisation's scale (1/255 for bytes to [0, 1]).</summary>
    public float PixelScale => Normalization.Scale;

    /// <summary>Per-channel mean subtracted after scaling.</summary>
    public IReadOnlyList<float> Mean => Normalization.Mean;

    /// <summary>Per-channel standard deviation divided by after the mean.</summary>
    public IReadOnlyList<float> Std => Normalization.Std;

    /// <summary>Values per preprocessed image: <c>Channels * Height * Width</c>.</summary>
    public int Length => Normalization.Length;

    /// <summary>Describes the expected column, for error messages.</summary>
    public string ExpectedColumnText => InputKind == CnnInputKind.Image
        ? "an image (MLImage)"
        : $"a vector of {VectorShape!.Value.Channels}*{VectorShape.Value.Height}*{VectorShape.Value.Width} = " +
          $"{VectorShape.Value.Channels * VectorShape.Value.Height * VectorShape.Value.Width} floats";
}
