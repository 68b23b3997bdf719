using static TorchSharp.torch;

namespace MLNetCnn.Data;

/// <summary>
/// The numeric half of <see cref="CnnPreprocessing"/>, on a device: raw pixels to floats in [0, 1] (<see cref="Scale"/>),
/// then per-channel standardisation (<see cref="Standardize"/>). Training augments between the two; scoring and
/// featurizing use <see cref="Apply"/>.
/// </summary>
internal sealed class PixelNormalizer
{
    private readonly float pixelScale;
    private readonly Device device;
    private readonly Tensor mean;
    private readonly Tensor std;

    public PixelNormalizer(CnnPreprocessing preprocessing, Device device)
    {
        pixelScale = preprocessing.PixelScale;
        this.device = device;
        mean = tensor(preprocessing.Mean.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
        std = tensor(preprocessing.Std.ToArray()).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
    }

    /// <summary>Raw images (bytes or floats, any device) to scaled floats on the normaliser's device.</summary>
    public Tensor Scale(Tensor raw) => raw.to(device).to_type(ScalarType.Float32) * pixelScale;

    /// <summary>Scaled images to standardised network input.</summary>
    public Tensor Standardize(Tensor scaled) => (scaled - mean) / std;

    /// <summary>Raw images to network input.</summary>
    public Tensor Apply(Tensor raw) => Standardize(Scale(raw));
}
