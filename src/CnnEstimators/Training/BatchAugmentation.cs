using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// Augmentation of a float batch <c>N x C x H x W</c> on its device, drawn from the run's generator so
/// that a seed repeats it exactly.
/// </summary>
internal sealed class BatchAugmentation(CnnTrainerOptions options)
{
    public bool IsActive => options.RandomCropPadding > 0 || options.HorizontalFlip || options.RandomResizedCrop;

    public Tensor Apply(Tensor batch, Generator generator)
    {
        if (options.RandomResizedCrop)
            batch = ResizedCrops(batch, generator);
        if (options.RandomCropPadding > 0)
            batch = PaddedCrops(batch, options.RandomCropPadding, generator);
        if (options.HorizontalFlip)
            batch = Flips(batch, generator);
        return batch;
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
