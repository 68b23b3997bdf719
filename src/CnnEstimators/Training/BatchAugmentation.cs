using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// Augmentation of a float batch <c>N x C x H x W</c> on its device, drawn from the run's generator so
/// that a seed repeats it exactly.
/// </summary>
internal sealed class BatchAugmentation(CnnTrainerOptions options)
{
    public bool IsActive => options.Augmentation.RandomCropPadding > 0 || options.Augmentation.HorizontalFlip || options.Augmentation.RandomResizedCrop || Warps || options.Augmentation.TrivialAugment || Jitters ||
        options.Augmentation.RandomErasingProbability > 0;

    private bool Warps => options.Augmentation.RandomAffine.Degrees > 0 || options.Augmentation.RandomAffine.Translate > 0 || options.Augmentation.RandomAffine.Scale > 0;

    private bool Jitters => options.Augmentation.ColorJitter.Brightness > 0 || options.Augmentation.ColorJitter.Contrast > 0 || options.Augmentation.ColorJitter.Saturation > 0;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        if (options.Augmentation.RandomResizedCrop)
            batch = ResizedCrops(batch, generator);
        if (options.Augmentation.RandomCropPadding > 0)
            batch = PaddedCrops(batch, options.Augmentation.RandomCropPadding, generator);
        if (options.Augmentation.HorizontalFlip)
            batch = Flips(batch, generator);
        if (Warps)
            batch = RandomAffine(batch, options.Augmentation.RandomAffine, generator);
        if (options.Augmentation.TrivialAugment)
            batch = TrivialAugmentWide.Apply(batch, generator);
        if (Jitters)
            batch = Jitter(batch, options.Augmentation.ColorJitter, generator);
        if (options.Augmentation.RandomErasingProbability > 0)
            batch = Erase(batch, options.Augmentation.RandomErasingProbability, generator);
        return batch;
    }

    /// <summary>
    /// Brightness (scale), contrast (towards or away from each image's mean grey) and saturation (towards or away from each
    /// pixel's grey; colour images only), each by a factor from [1 - s, 1 + s] per image, in that order; values stay in [0, 1].
    /// </summary>
    internal static Tensor Jitter(Tensor batch, (double Brightness, double Contrast, double Saturation) strength, Generator generator)
    {
        var n = batch.shape[0];
        Tensor Factors(double s) => (1 + (rand([n, 1, 1, 1], generator: generator) * 2 - 1) * s).to(batch.device);
        var brightness = Factors(strength.Brightness);
        var contrast = Factors(strength.Contrast);
        var saturation = Factors(strength.Saturation);
        var x = (batch * brightness).clamp(0, 1);
        var grey = Grey(x);
        x = ((x - grey.mean([1, 2, 3], keepdim: true)) * contrast + grey.mean([1, 2, 3], keepdim: true)).clamp(0, 1);
        if (x.shape[1] == 3)
        {
            grey = Grey(x);
            x = ((x - grey) * saturation + grey).clamp(0, 1);
        }
        return x;
    }

    /// <summary>
    /// Random affine transform per image (torchvision's RandomAffine): rotation by an angle from [-degrees, degrees], a shift by up to
    /// <c>translate</c> of the width and of the height, a zoom from [1 - scale, 1 + scale]; uncovered pixels are black.
    /// </summary>
    internal static Tensor RandomAffine(Tensor batch, (double Degrees, double Translate, double Scale) strength, Generator generator)
    {
        var (n, h, w) = ((int)batch.shape[0], batch.shape[2], batch.shape[3]);
        var draws = rand([n, 4], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        double[] Uniform(int column, double half) => Enumerable.Range(0, n).Select(i => (draws[4 * i + column] * 2 - 1) * half).ToArray();
        var zero = new double[n];
        return AffineWarp.Apply(batch, Uniform(0, strength.Degrees), Uniform(1, strength.Translate * w), Uniform(2, strength.Translate * h),
            Uniform(3, strength.Scale).Select(s => 1 + s).ToArray(), zero, zero);
    }

    // ITU-R 601 luma of colour images; a grey image is its own.
    private static Tensor Grey(Tensor x) => x.shape[1] == 3 ? (0.299f * x[.., 0..1] + 0.587f * x[.., 1..2] + 0.114f * x[.., 2..3]) : x;

    /// <summary>
    /// Random erasing (Zhong et al.): with probability <paramref name="probability"/> per image, a box of 2%-33% of its area and
    /// aspect ratio 0.3-3.3 (log-uniform) is set to the image's mean colour; nothing outside the box changes.
    /// </summary>
    internal static Tensor Erase(Tensor batch, double probability, Generator generator)
    {
        var (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3]);
        var draws = rand([n, 5], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        var mask = zeros([n, 1, h, w]);
        for (var i = 0; i < n; i++)
        {
            if (draws[5 * i] >= probability)
                continue;
            var area = h * w * (0.02 + 0.31 * draws[5 * i + 1]);
            var ratio = Math.Exp(Math.Log(0.3) + (Math.Log(3.3) - Math.Log(0.3)) * draws[5 * i + 2]);
            var bh = Math.Clamp((long)Math.Round(Math.Sqrt(area / ratio)), 1, h);
            var bw = Math.Clamp((long)Math.Round(Math.Sqrt(area * ratio)), 1, w);
            var top = (long)((h - bh) * draws[5 * i + 3]);
            var left = (long)((w - bw) * draws[5 * i + 4]);
            mask[i].narrow(1, top, bh).narrow(2, left, bw).fill_(1);
        }
        return where(mask.gt(0).to(batch.device), batch.mean([2, 3], keepdim: true), batch);
    }

    // Pad with zeros, then cut each image back at its own random offset: two gathers (rows, then columns) do the
    // whole batch, where a crop per image would cost two native calls per image.
    private static Tensor PaddedCrops(Tensor batch, int padding, Generator generator)
    {
        var (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3]);
        var padded = nn.functional.pad(batch, [padding, padding, padding, padding]);
        var offsets = randint(2 * padding + 1, [n, 2, 1], generator: generator).to(batch.device);
        var rows = (offsets[.., 0] + arange(h, device: batch.device)).view(n, 1, h, 1).expand(n, c, h, w + 2 * padding);
        var columns = (offsets[.., 1] + arange(w, device: batch.device)).view(n, 1, 1, w).expand(n, c, h, w);
        return padded.gather(2, rows).gather(3, columns);
    }

    private static Tensor Flips(Tensor batch, Generator generator)
    {
        var flip = rand([batch.shape[0], 1, 1, 1], generator: generator).lt(0.5).to(batch.device);
        return where(flip, batch.flip(3), batch);
    }

    // Inception-style crops: 8%-100% of the area, aspect ratio 3/4-4/3 (log-uniform), resized back.
    private static Tensor ResizedCrops(Tensor batch, Generator generator)
    {
        var (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3]);
        var draws = rand([n, 4], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        var crops = new Tensor[n];
        for (var i = 0; i < n; i++)
        {
            var area = h * w * (0.08 + 0.92 * draws[4 * i]);
            var ratio = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * draws[4 * i + 1]);
            var cw = Math.Clamp((long)Math.Round(Math.Sqrt(area * ratio)), 1, w);
            var ch = Math.Clamp((long)Math.Round(Math.Sqrt(area / ratio)), 1, h);
            var top = (long)((h - ch) * draws[4 * i + 2]);
            var left = (long)((w - cw) * draws[4 * i + 3]);
            var crop = batch[i].narrow(1, top, ch).narrow(2, left, cw).unsqueeze(0);
            crops[i] = nn.functional.interpolate(crop, [h, w], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
        }
        return stack(crops);
    }
}
