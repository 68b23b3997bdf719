using System.Text.Json.Serialization;

namespace MLNetCnn;

/// <summary>What the network sees: its size and channels, and how raw pixels are scaled and normalised.</summary>
public sealed record CnnInputOptions
{
    /// <summary>For vector image columns: (channels, height, width) of each vector, channel-major.</summary>
    public (int Channels, int Height, int Width)? VectorShape { get; init; }

    /// <summary>Height and width the network sees; images are resized to it. Default: the architecture's design size (224 for ImageNet nets, 32 for CIFAR nets), or the vector's size.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Channels the network takes: 1 grey, 3 colour. Default: the model's, else 3 for images and the vector's channels.</summary>
    public int? Channels { get; init; }

    /// <summary>Factor from raw pixel values to [0, 1]: 1/255 by default (bytes, and ExtractPixels' default floats).</summary>
    public float PixelScale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean after scaling; default: measured on the training data (or the pretrained weights').</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation after scaling; default: measured on the training data (or the pretrained weights').</summary>
    public float[]? Std { get; init; }

    /// <summary>The input's height and width when the options alone tell it (a vector shape, or an image size).</summary>
    [JsonIgnore]
    internal (int Height, int Width)? KnownSize => VectorShape is var (_, h, w) ? (h, w) : ImageSize is int size ? (size, size) : null;

    internal IEnumerable<string> Problems()
    {
        if (ImageSize is < 1)
            yield return $"Input.ImageSize must be at least 1; got {ImageSize}.";
        if (Channels is not (null or 1 or 3))
            yield return $"Input.Channels must be 1 or 3; got {Channels}.";
        if (!(PixelScale > 0 && float.IsFinite(PixelScale)))
            yield return $"Input.PixelScale must be greater than 0; got {PixelScale}.";
        if (VectorShape is var (c, h, w) && !(c is 1 or 3 && h >= 1 && w >= 1))
            yield return $"Input.VectorShape must be (1 or 3 channels, height >= 1, width >= 1); got {VectorShape}.";
        if (Mean is not null && !Mean.All(float.IsFinite))
            yield return "Input.Mean must hold finite values.";
        if (Std is not null && !Std.All(s => s > 0 && float.IsFinite(s)))
            yield return "Input.Std must hold values greater than 0.";
        if ((Mean is null) != (Std is null))
            yield return "Set Input.Mean and Input.Std together, or neither (then both are measured on the training data).";
    }
}
