using Microsoft.ML;
using static TorchSharp.torch;

namespace MLNetCnn.Data;

/// <summary>All rows read once into one uint8 (images) or float (vectors) tensor; batches are index_select views of it.</summary>
internal sealed class InMemoryBatchSource : IBatchSource
{
    private readonly Tensor images;
    private readonly Tensor labels;

    private InMemoryBatchSource(Tensor images, Tensor labels, long missingLabels, long unreadable)
    {
        this.images = images;
        this.labels = labels;
        SkippedMissingLabels = missingLabels;
        SkippedUnreadableImages = unreadable;
        Classes = labels.numel() == 0 ? [] : labels.unique().Item1.data<long>().ToArray();
    }

    public long Count => labels.shape[0];
    public IReadOnlyCollection<long> Classes { get; }
    public long SkippedMissingLabels { get; }
    public long SkippedUnreadableImages { get; }

    /// <summary>Reads every row; returns null when they would take more than <paramref name="budgetBytes"/>.</summary>
    public static InMemoryBatchSource? TryRead(IDataView data, DataViewSchema.Column image, DataViewSchema.Column label,
        CnnPreprocessing preprocessing, bool skipUnreadable, long budgetBytes, CancellationToken cancellation)
    {
        var known = data.GetRowCount();
        // One growing buffer, rows read straight into it (no per-row arrays).
        var pixels = PixelBuffer.Allocate(preprocessing, 1);
        long rowBytes = pixels.BytesPerRow;
        if (known is long rows && rows * rowBytes > budgetBytes)
            return null;
        pixels.EnsureCapacity((int)Math.Min(known ?? 1024, int.MaxValue / Math.Max(preprocessing.Length, 1)));
        var classes = new List<long>();
        using var reader = new LabeledRowReader(data, image, label, preprocessing, skipUnreadable);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            pixels.EnsureCapacity(classes.Count + 1);
            if (!reader.Next(pixels, classes.Count, out var classIndex))
                break;
            classes.Add(classIndex);
            if (classes.Count * rowBytes > budgetBytes)
                return null;
        }
        pixels.Count = classes.Count;
        return new InMemoryBatchSource(pixels.ToTensor(), tensor(classes.ToArray()), reader.MissingLabels, reader.UnreadableImages);
    }

    /// <summary>Splits off a random <paramref name="fraction"/> of the rows for validation (copies; this source can be disposed).</summary>
    public (InMemoryBatchSource Train, InMemoryBatchSource Validation) Split(double fraction, Generator generator)
    {
        var n = Count;
        var held = Math.Clamp((long)Math.Round(n * fraction), 1, n - 1);
        using var order = randperm(n, generator: generator);
        using var validationIndex = order.narrow(0, 0, held);
        using var trainIndex = order.narrow(0, held, n - held);
        return (new InMemoryBatchSource(images.index_select(0, trainIndex), labels.index_select(0, trainIndex), SkippedMissingLabels, SkippedUnreadableImages),
                new InMemoryBatchSource(images.index_select(0, validationIndex), labels.index_select(0, validationIndex), 0, 0));
    }

    /// <summary>
    /// Whether shuffled passes draw their rows with replacement, each with probability inversely proportional to its
    /// class's frequency (so classes come up equally often), instead of a permutation.
    /// </summary>
    public bool BalancedSampling { get; set; }

    public IEnumerable<RawBatch> Batches(int batchSize, Generator? generator)
    {
        var n = Count;
        using var order = generator is null ? arange(n) : BalancedSampling ? BalancedDraw(generator) : randperm(n, generator: generator);
        for (long start = 0; start < n; start += batchSize)
        {
            using var index = order.narrow(0, start, Math.Min(batchSize, n - start));
            yield return new RawBatch(images.index_select(0, index), labels.index_select(0, index));
        }
    }

    private Tensor BalancedDraw(Generator generator)
    {
        using var scope = NewDisposeScope();
        var rowWeights = labels.bincount(null).to_type(ScalarType.Float64).reciprocal().index_select(0, labels);
        return multinomial(rowWeights, Count, replacement: true, generator: generator).MoveToOuterDisposeScope();
    }

    public (float[] Mean, float[] Std) ChannelStatistics(float pixelScale, int maxRows)
    {
        using var scope = NewDisposeScope();
        var sample = images.narrow(0, 0, Math.Min(maxRows, Count)).to_type(ScalarType.Float64) * pixelScale;
        var mean = sample.mean([0, 2, 3]);
        var std = sample.std([0, 2, 3]).clamp_min(1e-6);
        return (mean.to_type(ScalarType.Float32).data<float>().ToArray(), std.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    public void Dispose()
    {
        images.Dispose();
        labels.Dispose();
    }
}
