using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// What a network expects of its input pixels, as torchvision's weights carry their <c>transforms()</c> and timm's
/// pretrained configs their mean and std: <see cref="Channels"/> x <see cref="Height"/> x <see cref="Width"/> images,
/// multiplied by <see cref="Scale"/> (1/255 maps bytes to [0, 1]), then standardised per channel with <see cref="Mean"/>
/// and <see cref="Std"/>. Training, TorchSharp scoring and the exported ONNX graph all read this one record.
/// </summary>
/// <param name="Channels">Image channels the network takes (1 grey, 3 RGB).</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Scale">Factor from raw pixel values to the scale of <see cref="Mean"/> and <see cref="Std"/>.</param>
/// <param name="Mean">Per-channel mean subtracted after scaling.</param>
/// <param name="Std">Per-channel standard deviation divided by after the mean.</param>
public sealed record PixelNormalization(int Channels, int Height, int Width, float Scale, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>Pixels scaled from bytes to [0, 1], no standardisation.</summary>
    public static PixelNormalization UnitScale(int channels, int height, int width)
        => new(channels, height, width, 1f / 255f, Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>ImageNet's mean and std on [0, 1] pixels, as torchvision's weights use them.</summary>
    public static PixelNormalization ImageNet(int size = 224)
        => new(3, size, size, 1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Values per image: <c>Channels * Height * Width</c>.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>Every inconsistency of the record (empty when it is usable), for error messages.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Channels < 1 || Height < 1 || Width < 1)
            problems.Add($"the input size must be positive; got {Channels}x{Height}x{Width}");
        if (!float.IsFinite(Scale) || Scale <= 0)
            problems.Add($"the pixel scale must be finite and positive; got {Scale}");
        if (Mean is null || Mean.Count != Channels || Mean.Any(m => !float.IsFinite(m)))
            problems.Add($"the mean needs one finite value per channel ({Channels}); got [{string.Join(", ", Mean ?? [])}]");
        if (Std is null || Std.Count != Channels || Std.Any(s => !float.IsFinite(s) || s <= 0))
            problems.Add($"the std needs one finite positive value per channel ({Channels}); got [{string.Join(", ", Std ?? [])}]");
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem of <see cref="Problems"/>.</summary>
    public PixelNormalization Validated()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new ArgumentException($"Invalid pixel normalisation: {string.Join("; ", problems)}.");
    }

    // The arithmetic, written once: (x * scale - mean) / std = x * factor + shift per channel, with factor = scale / std
    // and shift = -mean / std. TorchSharp (Normalizer) and the ONNX graph (ExportOnnx) apply these same numbers.
    internal float[] Factor => Std.Select(s => Scale / s).ToArray();

    internal float[] Shift => Mean.Zip(Std, (m, s) => -m / s).ToArray();

    /// <summary>The normalisation as tensors on <paramref name="device"/>, for training and TorchSharp scoring.</summary>
    internal Normalizer On(Device device) => new(this, device);

    /// <summary>
    /// Adds the normalisation to an ONNX graph as one multiply and one add per channel; each is a pass over the whole
    /// input, so one that would change nothing (factor 1, shift 0) is left out.
    /// </summary>
    internal string ExportOnnx(OnnxGraph graph, string x)
    {
        var (factor, shift) = (Factor, Shift);
        if (factor.Any(f => f != 1f))
            x = graph.Node("Mul", [x, graph.Floats("scale", factor, 1, factor.Length, 1, 1)]);
        if (shift.Any(b => b != 0f))
            x = graph.Node("Add", [x, graph.Floats("shift", shift, 1, shift.Length, 1, 1)]);
        return x;
    }

    /// <summary>
    /// The normalisation on a device. Training augments between <see cref="ScaleOnly"/> and <see cref="Standardize"/>;
    /// scoring uses <see cref="Apply"/>, which is both in one multiply-add.
    /// </summary>
    internal sealed class Normalizer
    {
        private readonly float scale;
        private readonly Device device;
        private readonly Tensor factor;     // scale / std
        private readonly Tensor shift;      // -mean / std
        private readonly Tensor inverseStd; // 1 / std, for already scaled pixels

        public Normalizer(PixelNormalization normalization, Device device)
        {
            scale = normalization.Scale;
            this.device = device;
            factor = Channelwise(normalization.Factor);
            shift = Channelwise(normalization.Shift);
            inverseStd = Channelwise(normalization.Std.Select(s => 1f / s).ToArray());
        }

        /// <summary>Raw pixels (bytes or floats, any device) to network input on the normaliser's device.</summary>
        public Tensor Apply(Tensor raw) => Float(raw).mul(factor).add_(shift);

        /// <summary>Raw pixels to scaled floats (no standardisation yet).</summary>
        public Tensor ScaleOnly(Tensor raw) => Float(raw).mul(scale);

        /// <summary>Scaled pixels to network input.</summary>
        public Tensor Standardize(Tensor scaled) => scaled.mul(inverseStd).add_(shift);

        private Tensor Float(Tensor raw) => raw.to(device).to_type(ScalarType.Float32);

        private Tensor Channelwise(float[] values) => tensor(values).reshape(1, -1, 1, 1).to(device).DetachFromDisposeScope();
    }
}
