using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// TrivialAugmentWide (Müller and Hutter, 2021), as torchvision defines it: each image gets one operation drawn uniformly from 14,
/// at a strength drawn uniformly from 31 steps (a random sign for the symmetric ones). Works on a batch of <c>N x C x H x W</c>
/// floats in [0, 1]: each operation some image drew is computed for the whole batch, and each image keeps the one it drew.
/// </summary>
/// <remarks>Shears turn about the image centre (torchvision's about the top-left corner), so no shear moves the whole image aside.</remarks>
internal static class TrivialAugmentWide
{
    /// <summary>The operations, in torchvision's order.</summary>
    internal enum Operation
    {
        Identity, ShearX, ShearY, TranslateX, TranslateY, Rotate, Brightness, Color, Contrast, Sharpness, Posterize, Solarize, AutoContrast, Equalize,
    }

    private const int Steps = 31;
    private static readonly int Operations = Enum.GetValues<Operation>().Length;

    /// <summary>Draws an operation, a step and a sign per image from <paramref name="generator"/>, and applies them.</summary>
    public static Tensor Apply(Tensor batch, Generator generator)
    {
        var n = (int)batch.shape[0];
        var draws = rand([n, 3], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        var operations = Enumerable.Range(0, n).Select(i => (Operation)Math.Min((int)(draws[3 * i] * Operations), Operations - 1)).ToArray();
        var steps = Enumerable.Range(0, n).Select(i => Math.Min((int)(draws[3 * i + 1] * Steps), Steps - 1)).ToArray();
        var signs = Enumerable.Range(0, n).Select(i => draws[3 * i + 2] < 0.5 ? -1.0 : 1.0).ToArray();
        return Apply(batch, operations, steps, signs);
    }

    /// <summary>Applies operation <c>operations[i]</c> at step <c>steps[i]</c> (0-30) with sign <c>signs[i]</c> to image <c>i</c>.</summary>
    internal static Tensor Apply(Tensor batch, Operation[] operations, int[] steps, double[] signs)
    {
        var n = operations.Length;
        double Magnitude(int i, double max) => signs[i] * max * steps[i] / (Steps - 1);
        double[] Where(Operation op, Func<int, double> value, double otherwise) =>
            Enumerable.Range(0, n).Select(i => operations[i] == op ? value(i) : otherwise).ToArray();

        // The geometric operations in one warp (the identity for images that drew another); the others each over the whole batch with
        // a factor per image (1: unchanged). Only the operations some image drew are computed.
        var (h, w) = (batch.shape[2], batch.shape[3]);
        Tensor PerImage(double[] values) => tensor(values.Select(v => (float)v).ToArray(), [n, 1, 1, 1]).to(batch.device);
        Tensor? geometric = null;
        Tensor Geometric() => geometric ??= AffineWarp.Apply(batch,
            degrees: Where(Operation.Rotate, i => Magnitude(i, 135), 0),
            translateX: Where(Operation.TranslateX, i => Magnitude(i, 32) * w / Math.Max(w, 32), 0),
            translateY: Where(Operation.TranslateY, i => Magnitude(i, 32) * h / Math.Max(h, 32), 0),
            scale: Enumerable.Repeat(1.0, n).ToArray(),
            shearX: Where(Operation.ShearX, i => Math.Atan(Magnitude(i, 0.99)) * 180 / Math.PI, 0),
            shearY: Where(Operation.ShearY, i => Math.Atan(Magnitude(i, 0.99)) * 180 / Math.PI, 0));
        Tensor Factor(Operation op) => PerImage(Where(op, i => 1 + Magnitude(i, 0.99), 1));
        // Posterize keeps the top 8 - round(step / 5) bits of each 8-bit value; solarize inverts values at or above 1 - step / 30.
        Tensor Posterize()
        {
            var levels = pow(2, 8 - PerImage(Where(Operation.Posterize, i => 8 - Math.Round(steps[i] / ((Steps - 1) / 6.0)), 8)));
            return ((batch * 255).round() / levels).floor() * levels / 255;
        }
        Tensor Solarize() => where(batch.ge(PerImage(Where(Operation.Solarize, i => 1.0 - (double)steps[i] / (Steps - 1), 2))), 1 - batch, batch);

        var variants = new Dictionary<Operation, Func<Tensor>>
        {
            [Operation.ShearX] = Geometric, [Operation.ShearY] = Geometric, [Operation.TranslateX] = Geometric, [Operation.TranslateY] = Geometric,
            [Operation.Rotate] = Geometric,
            [Operation.Brightness] = () => Blend(zeros_like(batch), batch, Factor(Operation.Brightness)),
            [Operation.Color] = () => batch.shape[1] == 3 ? Blend(Grey(batch).expand_as(batch), batch, Factor(Operation.Color)) : batch,
            [Operation.Contrast] = () => Blend(Grey(batch).mean([1, 2, 3], keepdim: true).expand_as(batch), batch, Factor(Operation.Contrast)),
            [Operation.Sharpness] = () => Blend(Smoothed(batch), batch, Factor(Operation.Sharpness)),
            [Operation.Posterize] = Posterize,
            [Operation.Solarize] = Solarize,
            [Operation.AutoContrast] = () => AutoContrast(batch),
            [Operation.Equalize] = () => Equalize(batch),
        };
        var result = batch;
        foreach (var op in operations.Distinct().Where(variants.ContainsKey).Order())
            result = where(PerImage(Where(op, _ => 1, 0)).gt(0), variants[op](), result);
        return result;
    }

    // PIL's ImageEnhance: factor 0 gives the degenerate image, 1 the original, above 1 extrapolates; clamped to [0, 1].
    private static Tensor Blend(Tensor degenerate, Tensor image, Tensor factor) => (degenerate + (image - degenerate) * factor).clamp(0, 1);

    // ITU-R 601 luma of colour images; a grey image is its own.
    private static Tensor Grey(Tensor x) => x.shape[1] == 3 ? (0.299f * x[.., 0..1] + 0.587f * x[.., 1..2] + 0.114f * x[.., 2..3]) : x;

    // PIL's SMOOTH filter (3x3, centre weight 5, the rest 1, over 13) on the inside; the one-pixel border stays as it was.
    private static Tensor Smoothed(Tensor batch)
    {
        var c = batch.shape[1];
        var kernel = ones([c, 1, 3, 3], device: batch.device);
        kernel[.., .., 1, 1] = tensor(5f);
        var inner = nn.functional.conv2d(batch, kernel / 13, groups: c);
        var smoothed = batch.clone();
        smoothed[.., .., 1..^1, 1..^1] = inner;
        return smoothed;
    }

    // Each channel stretched so its darkest value is 0 and its brightest 1 (a flat channel is left alone).
    private static Tensor AutoContrast(Tensor batch)
    {
        var low = batch.amin([2, 3], keepdim: true);
        var high = batch.amax([2, 3], keepdim: true);
        var flat = high.le(low);
        return where(flat, batch, (batch - low) / where(flat, ones_like(high), high - low)).clamp(0, 1);
    }

    // Histogram equalisation per channel on 8-bit values, as PIL and torchvision compute it: the lookup table is the running
    // count of the histogram divided by the step (the count without the last used level, over 255); a channel whose step is 0 (fewer than 255 pixels below its top level) is left alone.
    private static Tensor Equalize(Tensor batch)
    {
        var (n, c) = (batch.shape[0], batch.shape[1]);
        var values = (batch * 255).round().clamp(0, 255).to(ScalarType.Int64).view(n, c, -1);
        var histogram = zeros([n, c, 256], ScalarType.Int64, device: batch.device).scatter_add_(2, values, ones_like(values));
        var lastLevel = (histogram.gt(0).to(ScalarType.Int64) * arange(256, device: batch.device)).argmax(2, keepdim: true);
        var step = (histogram.sum(2, keepdim: true) - histogram.gather(2, lastLevel)).div(255, rounding_mode: RoundingMode.floor);
        var running = histogram.cumsum(2);
        var table = (running + step.div(2, rounding_mode: RoundingMode.floor)).div(step.clamp_min(1), rounding_mode: RoundingMode.floor);
        // Shifted by one level: level k maps to the count below it.
        table = cat([zeros([n, c, 1], ScalarType.Int64, device: batch.device), table[.., .., ..^1]], 2).clamp(0, 255);
        var equalized = table.gather(2, values).to(batch.dtype).view(batch.shape) / 255;
        return where(step.gt(0).view(n, c, 1, 1), equalized, batch);
    }
}
