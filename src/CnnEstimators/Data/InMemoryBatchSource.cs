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
        var isBytes = preprocessing.InputKind == CnnInputKind.Image;
        var rowBytes = (long)preprocessing.Length * (isBytes ? 1 : 4);
        var known = data.GetRowCount();
        if (known is long rows && rows * rowBytes > budgetBytes)
            return null;
        // One growing buffer, rows read straight into it (no per-row arrays).
        var length = preprocessing.Length;
        var capacity = (int)Math.Min(known ?? 1024, int.MaxValue / Math.Max(length, 1));
        var bytes = isBytes ? new byte[(long)Math.Max(capacity, 1) * length] : [];
        var floats = isBytes ? [] : new float[(long)Math.Max(capacity, 1) * length];
        var classes = new List<long>();
        using var reader = new LabeledRowReader(data, image, label, preprocessing, skipUnreadable);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var offset = classes.Count * length;
            if (isBytes && offset + length > bytes.Length) Array.Resize(ref bytes, bytes.Length * 2);
            if (!isBytes && offset + length > floats.Length) Array.Resize(ref floats, floats.Length * 2);
            var row = isBytes ? bytes.AsSpan(offset, length) : [];
            var rowFloats = isBytes ? [] : floats.AsSpan(offset, length);
            if (!reader.Next(row, rowFloats, out var classIndex))
                break;
            classes.Add(classIndex);
            if (classes.Count * rowBytes > budgetBytes)
                return null;
        }
        var n = classes.Count;
        var shape = new long[] { n, preprocessing.Channels, preprocessing.Height, preprocessing.Width };
        var imageTensor = isBytes ? tensor(bytes.AsSpan(0, n * length).ToArray(), shape) : tensor(floats.AsSpan(0, n * length).ToArray(), shape);
        return new InMemoryBatchSource(imageTensor, tensor(classes.ToArray()), reader.MissingLabels, reader.UnreadableImages);
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

    public IEnumerable<RawBatch> Batches(int batchSize, Generator? generator)
    {
        var n = Count;
        using var order = generator is null ? arange(n) : randperm(n, generator: generator);
        for (long start = 0; start < n; start += batchSize)
        {
            using var index = order.narrow(0, start, Math.Min(batchSize, n - start));
            yield return new RawBatch(images.index_select(0, index), labels.index_select(0, index));
        }
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
