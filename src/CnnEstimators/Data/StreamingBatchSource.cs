using System.Collections.Concurrent;
using Microsoft.ML;
using static TorchSharp.torch;

namespace MLNetCnn.Data;

/// <summary>
/// Rows that do not fit the memory budget: each pass re-reads the IDataView on a background thread that
/// prepares the next batches while the network trains on the current one, shuffling through a buffer of
/// <c>shuffleBufferRows</c> rows (seeded, so runs repeat).
/// </summary>
internal sealed class StreamingBatchSource : IBatchSource
{
    private const int PrefetchedBatches = 3;
    private readonly IDataView data;
    private readonly DataViewSchema.Column image;
    private readonly DataViewSchema.Column label;
    private readonly CnnPreprocessing preprocessing;
    private readonly bool skipUnreadable;
    private readonly int shuffleBufferRows;

    public StreamingBatchSource(IDataView data, DataViewSchema.Column image, DataViewSchema.Column label, CnnPreprocessing preprocessing,
        bool skipUnreadable, int shuffleBufferRows, CancellationToken cancellation)
    {
        this.data = data;
        this.image = image;
        this.label = label;
        this.preprocessing = preprocessing;
        this.skipUnreadable = skipUnreadable;
        this.shuffleBufferRows = shuffleBufferRows;
        // One pass to count usable rows and classes (the schedule needs the steps per epoch).
        var classes = new HashSet<long>();
        long count = 0;
        using var reader = new LabeledRowReader(data, image, label, preprocessing, skipUnreadable);
        var row = PixelBuffer.Allocate(preprocessing, 1);
        while (reader.Next(row, 0, out var classIndex))
        {
            cancellation.ThrowIfCancellationRequested();
            classes.Add(classIndex);
            count++;
        }
        Count = count;
        Classes = classes;
        SkippedMissingLabels = reader.MissingLabels;
        SkippedUnreadableImages = reader.UnreadableImages;
    }

    public long Count { get; }
    public IReadOnlyCollection<long> Classes { get; }
    public long SkippedMissingLabels { get; }
    public long SkippedUnreadableImages { get; }

    public IEnumerable<RawBatch> Batches(int batchSize, Generator? generator)
    {
        // The buffer's shuffling draws its seed from the training generator, so it follows the run's seed.
        Random? shuffle = generator is null ? null : new Random((int)randint(int.MaxValue, [1], generator: generator).item<long>());
        using var queue = new BlockingCollection<RawBatch>(PrefetchedBatches);
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(() => Produce(queue, batchSize, shuffle, stop.Token));
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
                yield return batch;
            producer.GetAwaiter().GetResult();  // surfaces a read error of the background thread
        }
        finally
        {
            stop.Cancel();
            while (queue.TryTake(out var left))
                left.Dispose();
        }
    }

    private void Produce(BlockingCollection<RawBatch> queue, int batchSize, Random? shuffle, CancellationToken stop)
    {
        try
        {
            using var reader = new LabeledRowReader(data, image, label, preprocessing, skipUnreadable);
            var pending = new List<(PixelBuffer Row, long Label)>();
            var capacity = shuffle is null ? batchSize : Math.Max(shuffleBufferRows, batchSize);
            var exhausted = false;
            while (!stop.IsCancellationRequested)
            {
                while (!exhausted && pending.Count < capacity)
                {
                    var row = PixelBuffer.Allocate(preprocessing, 1);
                    if (reader.Next(row, 0, out var classIndex)) pending.Add((row, classIndex));
                    else exhausted = true;
                }
                if (pending.Count == 0)
                    break;
                var take = Math.Min(batchSize, pending.Count);
                List<(PixelBuffer Row, long Label)> chosen;
                if (shuffle is null)
                {
                    chosen = pending.GetRange(0, take);
                    pending.RemoveRange(0, take);
                }
                else
                {
                    chosen = new(take);
                    for (var i = 0; i < take; i++)
                    {
                        var at = shuffle.Next(pending.Count);
                        chosen.Add(pending[at]);
                        pending[at] = pending[^1];
                        pending.RemoveAt(pending.Count - 1);
                    }
                }
                queue.Add(ToBatch(chosen), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private RawBatch ToBatch(List<(PixelBuffer Row, long Label)> rows)
    {
        var batch = PixelBuffer.Allocate(preprocessing, rows.Count);
        for (var i = 0; i < rows.Count; i++)
            rows[i].Row.CopyRow(0, batch, i);
        return new RawBatch(batch.ToTensor(), tensor(rows.Select(r => r.Label).ToArray()));
    }

    public (float[] Mean, float[] Std) ChannelStatistics(float pixelScale, int maxRows)
    {
        var c = preprocessing.Channels;
        var sum = new double[c];
        var sumSquares = new double[c];
        long values = 0;
        foreach (var batch in Batches(256, generator: null))
        {
            using (batch)
            using (var scope = NewDisposeScope())
            {
                var x = batch.Images.to_type(ScalarType.Float64) * pixelScale;
                var s = x.sum([0, 2, 3]).data<double>().ToArray();
                var q = x.square().sum([0, 2, 3]).data<double>().ToArray();
                for (var i = 0; i < c; i++) { sum[i] += s[i]; sumSquares[i] += q[i]; }
                values += x.numel() / c;
            }
            if (values >= (long)maxRows * preprocessing.Height * preprocessing.Width)
                break;
        }
        var mean = sum.Select(s => (float)(s / values)).ToArray();
        var std = sumSquares.Select((q, i) => (float)Math.Sqrt(Math.Max(q / values - mean[i] * (double)mean[i], 1e-12))).ToArray();
        return (mean, std);
    }

    public void Dispose()
    {
    }
}
