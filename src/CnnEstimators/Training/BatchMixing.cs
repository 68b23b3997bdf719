using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// MixUp (Zhang et al.) and CutMix (Yun et al.) on a normalised batch: each image mixed with another of the same batch
/// (a seeded permutation), the one-hot targets (label smoothing included) mixed in the same proportion, as timm's Mixup does.
/// </summary>
internal sealed class BatchMixing(CnnTrainerOptions options, int classes)
{
    public bool IsActive => options.Regularization.MixUpAlpha > 0 || options.Regularization.CutMixAlpha > 0;

    /// <summary>The mixed batch and its soft targets (<c>N x classes</c>, rows summing to 1).</summary>
    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, Generator generator)
    {
        var targets = SoftTargets(labels, classes, options.Regularization.LabelSmoothing);
        var draws = rand([3], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        if (draws[0] >= options.Regularization.MixProbability)
            return (images, targets);
        var cutMix = options.Regularization.CutMixAlpha > 0 && (options.Regularization.MixUpAlpha == 0 || draws[1] < 0.5);
        var lambda = Beta(cutMix ? options.Regularization.CutMixAlpha : options.Regularization.MixUpAlpha, generator);
        var partner = randperm(images.shape[0], generator: generator).to(images.device);
        return cutMix ? CutMix(images, targets, partner, lambda, generator) : MixUp(images, targets, partner, lambda);
    }

    internal static (Tensor Images, Tensor Targets) MixUp(Tensor images, Tensor targets, Tensor partner, double lambda)
        => (images * lambda + images.index_select(0, partner) * (1 - lambda), targets * lambda + targets.index_select(0, partner) * (1 - lambda));

    /// <summary>Pastes a box of area about (1 - lambda) from the partner images; the targets follow the box's exact area.</summary>
    internal static (Tensor Images, Tensor Targets) CutMix(Tensor images, Tensor targets, Tensor partner, double lambda, Generator generator)
    {
        var (h, w) = (images.shape[2], images.shape[3]);
        var draws = rand([2], dtype: ScalarType.Float64, generator: generator).data<double>().ToArray();
        var (bh, bw) = ((long)(h * Math.Sqrt(1 - lambda)), (long)(w * Math.Sqrt(1 - lambda)));
        var (cy, cx) = ((long)(h * draws[0]), (long)(w * draws[1]));
        var (top, bottom) = (Math.Clamp(cy - bh / 2, 0, h), Math.Clamp(cy + bh / 2, 0, h));
        var (left, right) = (Math.Clamp(cx - bw / 2, 0, w), Math.Clamp(cx + bw / 2, 0, w));
        var mixed = images.clone();
        if (bottom > top && right > left)
            mixed.narrow(2, top, bottom - top).narrow(3, left, right - left)
                .copy_(images.index_select(0, partner).narrow(2, top, bottom - top).narrow(3, left, right - left));
        var kept = 1 - (double)(bottom - top) * (right - left) / (h * w);
        return (mixed, targets * kept + targets.index_select(0, partner) * (1 - kept));
    }

    /// <summary>One-hot targets with label smoothing: 1 - s + s/classes for the label, s/classes elsewhere.</summary>
    internal static Tensor SoftTargets(Tensor labels, int classes, double smoothing)
        => nn.functional.one_hot(labels, classes).to(ScalarType.Float32) * (1 - smoothing) + smoothing / classes;

    // Beta(a, a) from two gamma draws (Marsaglia and Tsang), with the run's generator so a seed repeats it.
    private static double Beta(double alpha, Generator generator)
    {
        var x = Gamma(alpha, generator);
        var y = Gamma(alpha, generator);
        return x / (x + y);
    }

    private static double Gamma(double shape, Generator generator)
    {
        if (shape < 1)
            return Gamma(shape + 1, generator) * Math.Pow(Uniform(generator), 1 / shape);
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            var z = randn([1], dtype: ScalarType.Float64, generator: generator).item<double>();
            var v = Math.Pow(1 + c * z, 3);
            if (v <= 0)
                continue;
            if (Math.Log(Uniform(generator)) < 0.5 * z * z + d - d * v + d * Math.Log(v))
                return d * v;
        }
    }

    private static double Uniform(Generator generator) => Math.Max(rand([1], dtype: ScalarType.Float64, generator: generator).item<double>(), double.Epsilon);
}
