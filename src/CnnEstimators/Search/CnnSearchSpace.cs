using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNetCnn.Search;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>One network a search may train: a zoo architecture, its variant (registry arguments) and, optionally, pretrained weights.</summary>
/// <param name="Architecture">Registry name (<c>CnnZoo.Names</c>).</param>
/// <param name="Arguments">The variant, of the type the registry entry takes (e.g. <see cref="CifarResNetArguments"/> for another depth or width); null: the registered default.</param>
/// <param name="Weights">Pretrained weights of the architecture (<c>CnnZoo.Weights(name)</c>, e.g. the offline <c>resnet18_cntk</c> weights); null: from scratch.</param>
public sealed record CnnSearchCandidate(string Architecture, object? Arguments = null, string? Weights = null)
{
    /// <summary>A short name for tables: the architecture, its arguments when not the default, and the weights.</summary>
    public override string ToString()
        => Architecture + (Arguments is null ? "" : " " + CnnZoo.ArgumentsToJson(Arguments)) + (Weights is null ? "" : $" ({Weights})");
}

/// <summary>An optimiser a search may choose, with the learning-rate range it tolerates (sampled on a log scale).</summary>
/// <param name="Kind">The optimiser.</param>
/// <param name="MinLearningRate">The lowest rate tried.</param>
/// <param name="MaxLearningRate">The highest rate tried.</param>
public sealed record CnnSearchOptimizer(CnnOptimizer Kind, double MinLearningRate, double MaxLearningRate);

/// <summary>
/// What a search chooses from: networks (architectures, variants, pretrained weights), input sizes and the recipe (optimiser and
/// learning rate, weight decay, batch size, label smoothing, augmentation strength, mixing). Each trial draws one value of each,
/// uniformly (rates and weight decay on a log scale), on top of <see cref="Basis"/>. <see cref="For(int, int, int, long)"/> derives a sensible space from
/// the data; narrow or extend it with <c>with</c>.
/// </summary>
public sealed record CnnSearchSpace
{
    // The ImageNet weights that ship with ML.NET's DnnImageFeaturizer package: always available, offline.
    private const string OfflineWeights = "IMAGENET1K_CNTK";

    /// <summary>The networks.</summary>
    public IReadOnlyList<CnnSearchCandidate> Candidates { get; init; } = [new("resnet20")];

    /// <summary>Input sizes in pixels (square). Pretrained candidates take the sizes of at least 32 pixels (they downsample by 32), or 64 when there are none.</summary>
    public IReadOnlyList<int> ImageSizes { get; init; } = [32];

    /// <summary>Optimisers with their learning-rate ranges.</summary>
    public IReadOnlyList<CnnSearchOptimizer> Optimizers { get; init; } = [new(CnnOptimizer.AdamW, 5e-4, 5e-3), new(CnnOptimizer.Sgd, 0.02, 0.2)];

    /// <summary>Weight decay range, sampled on a log scale.</summary>
    public (double Min, double Max) WeightDecay { get; init; } = (1e-5, 1e-3);

    /// <summary>Batch sizes.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [32, 64];

    /// <summary>Label smoothing values.</summary>
    public IReadOnlyList<double> LabelSmoothing { get; init; } = [0, 0.1];

    /// <summary>
    /// Augmentation strengths: 0 none; 1 random crops (padding of an eighth of the size) and horizontal flips; 2 adds TrivialAugment.
    /// </summary>
    public IReadOnlyList<int> AugmentationLevels { get; init; } = [0, 1, 2];

    /// <summary>MixUp alphas (0: no mixing).</summary>
    public IReadOnlyList<double> MixUpAlpha { get; init; } = [0, 0.2];

    /// <summary>
    /// The options every trial starts from (columns, input, runtime, ...); the search sets the model, input size, optimiser, batch
    /// size, epochs, label smoothing, augmentation, mixing, seed and deadline of each trial over it. Default: <see cref="CnnRecipes.Default"/>.
    /// </summary>
    public CnnTrainerOptions Basis { get; init; } = CnnRecipes.Default();

    /// <summary>
    /// A space suited to the data: for small images (up to 64 pixels) the CIFAR ResNets at two depths and two widths and a plain net,
    /// at the images' size and at most one smaller size; for larger images the ImageNet ResNet-18 at half and full width at sizes up
    /// to the images' own; and in both, the offline pretrained <c>resnet18_cntk</c> (grey images are repeated into its three channels)
    /// when the application carries ML.NET's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package. Few rows favour augmentation; the
    /// recipe ranges are the library's tested ones.
    /// </summary>
    /// <param name="imageSize">The images' (smaller) side in pixels.</param>
    /// <param name="channels">1 (grey) or 3 (colour).</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="rows">Training rows.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static CnnSearchSpace For(int imageSize, int channels, int classes, long rows)
    {
        if (imageSize < 8)
            throw new ArgumentException($"imageSize must be at least 8 pixels; got {imageSize}.", nameof(imageSize));
        if (channels is not (1 or 3))
            throw new ArgumentException($"channels must be 1 (grey) or 3 (colour); got {channels}.", nameof(channels));
        if (classes < 2)
            throw new ArgumentException($"A search needs at least 2 classes; got {classes}.", nameof(classes));
        if (rows < 1)
            throw new ArgumentException($"rows must be at least 1; got {rows}.", nameof(rows));
        var small = imageSize <= 64;
        var size = small ? Math.Max(imageSize, 16) : Math.Min(imageSize, 224);
        var sizes = small
            ? (size >= 32 ? new[] { size, size * 3 / 4 } : [size])
            : new[] { size, Math.Max(64, size / 2) };
        IReadOnlyList<CnnSearchCandidate> fromScratch = small
            ?
            [
                new("resnet20"), new("resnet20", new CifarResNetArguments { BlocksPerStage = 3, WidthMultiplier = 0.5 }),
                new("resnet32"), new("resnet20", new CifarResNetArguments { BlocksPerStage = 3, WidthMultiplier = 2 }), new("plain20"),
            ]
            : [new("resnet18"), new("resnet18", new ResNetArguments { Blocks = [2, 2, 2, 2], WidthMultiplier = 0.5 })];
        // The offline weights come with ML.NET's Microsoft.ML.DnnImageFeaturizer.ResNet18 package: offered when the application carries it.
        IReadOnlyList<CnnSearchCandidate> candidates = DnnFeaturizerResNet18.IsAvailable() ? [.. fromScratch, new("resnet18_cntk", Weights: OfflineWeights)] : fromScratch;
        return new CnnSearchSpace
        {
            Candidates = candidates,
            ImageSizes = sizes.Distinct().ToList(),
            BatchSizes = rows < 2000 ? [16, 32] : [32, 64],
            AugmentationLevels = rows < 2000 ? [1, 2] : [0, 1, 2],
        };
    }

    /// <summary>
    /// <see cref="For(int, int, int, long)"/> the rows of <paramref name="trainData"/>: the size of its first image, its label's class count
    /// and its row count (colour is assumed; grey images are searched the same way).
    /// </summary>
    /// <param name="trainData">Training rows with an image column (an <c>MLImage</c>, from LoadImages) and a key label.</param>
    /// <param name="imageColumnName">The image column.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <exception cref="ArgumentException">A column is missing or of another type, or the data has no rows.</exception>
    public static CnnSearchSpace For(IDataView trainData, string imageColumnName = "Image", string labelColumnName = "Label")
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var label = trainData.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentException($"The data has no label column '{labelColumnName}'; its columns: {string.Join(", ", trainData.Schema.Select(c => c.Name))}.", nameof(labelColumnName));
        if (label.Type is not KeyDataViewType key)
            throw new ArgumentException($"The label column '{labelColumnName}' must be a key (MapValueToKey); it is {label.Type}.", nameof(labelColumnName));
        var image = trainData.Schema.GetColumnOrNull(imageColumnName)
            ?? throw new ArgumentException($"The data has no image column '{imageColumnName}'; its columns: {string.Join(", ", trainData.Schema.Select(c => c.Name))}.", nameof(imageColumnName));
        if (image.Type is not ImageDataViewType)
            throw new ArgumentException($"The default search space reads the image size from an image column; '{imageColumnName}' is {image.Type}: " +
                                        "build a CnnSearchSpace whose Basis sets Input.VectorShape.", nameof(imageColumnName));
        using var cursor = trainData.GetRowCursor([image]);
        if (!cursor.MoveNext())
            throw new ArgumentException("The training data has no rows.", nameof(trainData));
        MLImage first = null!;
        cursor.GetGetter<MLImage>(image)(ref first);
        var rows = trainData.GetRowCount() ?? trainData.GetColumn<uint>(labelColumnName).LongCount();
        return For(Math.Min(first.Width, first.Height), channels: 3, (int)key.Count, rows);
    }

    /// <summary>Every problem of the space, in one list; empty when it can be searched.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Check(Candidates is { Count: > 0 }, "Candidates must hold at least one network.");
        foreach (var c in Candidates ?? [])
        {
            if (c is null || string.IsNullOrWhiteSpace(c.Architecture) || !CnnZoo.IsRegistered(c.Architecture))
            {
                problems.Add($"Candidates: '{c?.Architecture}' is not a registered architecture (CnnZoo.Names lists them).");
                continue;
            }
            var check = new CnnModelOptions { Architecture = c.Architecture, Arguments = c.Arguments, Weights = c.Weights }.Problems();
            problems.AddRange(check.Select(p => $"Candidates ({c}): {p}"));
            if (c.Weights is not null && !CnnZoo.Weights(c.Architecture).Any(w => w.Name == c.Weights))
                problems.Add($"Candidates ({c}): '{c.Architecture}' has no weights named '{c.Weights}'; it has {string.Join(", ", CnnZoo.Weights(c.Architecture).Select(w => w.Name).DefaultIfEmpty("none"))}.");
        }
        Check(ImageSizes is { Count: > 0 } && ImageSizes.All(s => s is >= 8 and <= 1024), $"ImageSizes must hold sizes from 8 to 1024 pixels; got {List(ImageSizes)}.");
        Check(Optimizers is { Count: > 0 } && Optimizers.All(o => o is not null && Enum.IsDefined(o.Kind) && o.MinLearningRate > 0 && o.MaxLearningRate >= o.MinLearningRate && double.IsFinite(o.MaxLearningRate)),
            "Optimizers must hold at least one optimiser, each with 0 < MinLearningRate <= MaxLearningRate.");
        Check(WeightDecay.Min >= 0 && WeightDecay.Max >= WeightDecay.Min && double.IsFinite(WeightDecay.Max), $"WeightDecay must be a range 0 <= Min <= Max; got {WeightDecay}.");
        Check(BatchSizes is { Count: > 0 } && BatchSizes.All(b => b >= 2), $"BatchSizes must hold sizes of at least 2; got {List(BatchSizes)}.");
        Check(LabelSmoothing is { Count: > 0 } && LabelSmoothing.All(s => s is >= 0 and < 1), $"LabelSmoothing must hold values in [0, 1); got {List(LabelSmoothing)}.");
        Check(AugmentationLevels is { Count: > 0 } && AugmentationLevels.All(a => a is >= 0 and <= 2), $"AugmentationLevels must hold levels 0, 1 or 2; got {List(AugmentationLevels)}.");
        Check(MixUpAlpha is { Count: > 0 } && MixUpAlpha.All(a => a >= 0 && double.IsFinite(a)), $"MixUpAlpha must hold values of 0 or more; got {List(MixUpAlpha)}.");
        Check(Basis is not null, "Basis must be trainer options.");
        if (Basis is not null && Basis.Model.Instance is not null)
            problems.Add("Basis.Model.Instance must be unset: a search builds its networks from the candidates.");
        return problems;
    }

    /// <summary>Checks the space, reporting all problems at once.</summary>
    /// <exception cref="ArgumentException">Lists each problem.</exception>
    public void Validate() => OptionProblems.ThrowIfAny("search space", Problems());

    /// <summary>The sizes a candidate is tried at: for pretrained weights those of at least 32 pixels, or 64 when there are none
    /// (ImageNet networks downsample by 32, and 64 is the cheapest size at which their features still carry; their own 224 costs 12 times more).</summary>
    internal IReadOnlyList<int> SizesFor(CnnSearchCandidate candidate)
    {
        if (candidate.Weights is null)
            return ImageSizes;
        var usable = ImageSizes.Where(s => s >= 32).ToList();
        return usable.Count > 0 ? usable : [64];
    }

    /// <summary>
    /// The trial's options: one value of each dimension drawn from a generator seeded by the search's seed and the trial's number alone,
    /// so trial <paramref name="trial"/> is the same configuration whatever ran before it.
    /// </summary>
    internal CnnTrainerOptions Sample(int seed, int trial, int epochs)
    {
        var random = new Random(StableSeed.Of(seed, trial, purpose: 1));
        T Pick<T>(IReadOnlyList<T> values) => values[random.Next(values.Count)];
        double LogUniform(double min, double max) => min <= 0 || max <= min ? max : Math.Exp(Math.Log(min) + random.NextDouble() * (Math.Log(max) - Math.Log(min)));
        var candidate = Pick(Candidates);
        var size = Pick(SizesFor(candidate));
        var optimizer = Pick(Optimizers);
        var rate = Round(LogUniform(optimizer.MinLearningRate, optimizer.MaxLearningRate));
        var decay = WeightDecay.Min == 0 && WeightDecay.Max == 0 ? 0 : Round(LogUniform(Math.Max(WeightDecay.Min, 1e-8), WeightDecay.Max));
        var batch = Pick(BatchSizes);
        var smoothing = Pick(LabelSmoothing);
        var augmentation = Pick(AugmentationLevels);
        var mixUp = Pick(MixUpAlpha);
        return Basis with
        {
            Model = new() { Architecture = candidate.Architecture, Arguments = candidate.Arguments, Weights = candidate.Weights },
            Input = Basis.Input with { ImageSize = size },
            Optimizer = Basis.Optimizer with { Kind = optimizer.Kind, LearningRate = rate, WeightDecay = decay, Nesterov = optimizer.Kind == CnnOptimizer.Sgd },
            Schedule = Basis.Schedule with { Epochs = epochs, BatchSize = batch, WarmupEpochs = Math.Min(Basis.Schedule.WarmupEpochs, Math.Max(0.2, epochs / 10.0)) },
            Augmentation = augmentation switch
            {
                0 => new CnnAugmentationOptions(),
                1 => new CnnAugmentationOptions { RandomCropPadding = Math.Max(1, size / 8), HorizontalFlip = true },
                _ => new CnnAugmentationOptions { RandomCropPadding = Math.Max(1, size / 8), HorizontalFlip = true, TrivialAugment = true },
            },
            Regularization = Basis.Regularization with { LabelSmoothing = smoothing, MixUpAlpha = mixUp },
            // A search compares trials at every rung, so a pretrained backbone learns from the first epoch.
            FineTuning = Basis.FineTuning with { FreezeEpochs = 0 },
        };
    }

    private static double Round(double value) => double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string List<T>(IReadOnlyList<T>? values) => values is null ? "null" : "[" + string.Join(", ", values) + "]";
}
